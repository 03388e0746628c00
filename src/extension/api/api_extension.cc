#include "extension/api/api_extension.h"

#include "api/ui_assets.h"
#include "common/log.h"
#include "component/auth.h"
#include "component/host.h"
#include "component/store.h"
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
  options.ui_files = astrolabe::api::EmbeddedUiFiles();
  if (config_.tls) options.tls = net::ToServerTlsOptions(*config_.tls);
  if (config_.auth) {
    auto found = component::FindAuthenticator(host, config_.auth->authenticator);
    if (!found.ok()) return found.status().Annotate(settings_.id.ToString() + ": auth");
    options.authenticator = *found;
  }
  // The query API reads the store extension's metrics. Extensions start in list order, so
  // the store must be listed before api; a store named by `store:` is required, otherwise
  // the query routes answer 503 saying why.
  auto store = component::FindStoreExtension(host, config_.StoreId());
  if (store.ok()) {
    options.query.storage = &(*store)->metrics();
    options.spans = &(*store)->spans();
    options.query.timeout =
        std::chrono::duration_cast<std::chrono::milliseconds>(config_.query_timeout);
    options.query.max_samples = static_cast<size_t>(config_.query_max_samples);
  } else if (!config_.store.empty()) {
    return store.status().Annotate(settings_.id.ToString() + ": store");
  } else {
    options.query_unavailable = "the query API has no metrics store: " + store.status().message() +
                                " (list the store extension before " + settings_.id.ToString() +
                                " in service::extensions)";
    if (store.status().code() != StatusCode::kNotFound) {
      return store.status().Annotate(settings_.id.ToString() + ": store");
    }
    GetLogger("api")->info("{}: no store extension is running; the query API answers 503",
                           settings_.id.ToString());
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
