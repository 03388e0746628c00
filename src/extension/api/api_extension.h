#pragma once
// The api extension: runs the server's HTTP API (api/api_server.h) on `endpoint` — the token
// admin routes, the traces API (over the span store of the store extension, found through the
// Host at Start: it must start first) and the process's own /metrics; the query API and the
// UI join it as they land. With `auth`, the routes ask the named authenticator
// (component/auth.h) for their scope (settings.write for /api/v1/tokens, traces.read for the
// traces API).
//
// Threads: Start/Shutdown from the service thread; requests on the HTTP server's threads.

#include <memory>

#include "api/api_server.h"
#include "api/token_store.h"
#include "component/component.h"
#include "component/factory.h"
#include "extension/api/config.h"

namespace astrolabe::extension::api {

class ApiExtension final : public component::Extension {
 public:
  ApiExtension(const component::CreateSettings& settings, const Config& config);
  ~ApiExtension() override;

  Status Start(component::Host& host) override;
  Status Shutdown(component::Deadline deadline) override;

  // The bound address; empty before Start.
  std::string address() const;

 private:
  const component::CreateSettings settings_;
  const Config config_;
  astrolabe::api::TokenStore tokens_;
  std::unique_ptr<astrolabe::api::ApiServer> server_;
};

}  // namespace astrolabe::extension::api
