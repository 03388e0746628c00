#include "extension/api/api_extension.h"

#include "component/auth.h"
#include "component/host.h"
#include "net/http_server_config.h"

namespace astrolabe::extension::api {

ApiExtension::ApiExtension(const component::CreateSettings& settings, const Config& config)
    : settings_(settings), config_(config), tokens_(config.tokens_file) {}

ApiExtension::~ApiExtension() { (void)Shutdown(std::chrono::steady_clock::now()); }

Status ApiExtension::Start(component::Host& host) {
  astrolabe::api::ApiServerOptions options;
  options.listen_address = config_.endpoint;
  options.tokens = &tokens_;
  options.telemetry = &host.telemetry();
  if (config_.tls) options.tls = net::ToServerTlsOptions(*config_.tls);
  if (config_.auth) {
    auto found = component::FindAuthenticator(host, config_.auth->authenticator);
    if (!found.ok()) return found.status().Annotate(settings_.id.ToString() + ": auth");
    options.authenticator = *found;
  }
  RETURN_IF_ERROR(tokens_.Load().Annotate(settings_.id.ToString()));
  server_ = std::make_unique<astrolabe::api::ApiServer>(options);
  Status s = server_->Start();
  if (!s.ok()) {
    server_.reset();
    return s.Annotate(settings_.id.ToString());
  }
  return Status::Ok();
}

Status ApiExtension::Shutdown(component::Deadline) {
  if (server_) {
    server_->Shutdown();
    server_.reset();
  }
  return Status::Ok();
}

std::string ApiExtension::address() const { return server_ ? server_->address() : ""; }

}  // namespace astrolabe::extension::api
