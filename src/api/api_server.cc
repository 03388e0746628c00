#include "api/api_server.h"

#include <chrono>

#include "api/genai_api.h"
#include "api/traces_api.h"
#include "api/ui_server.h"
#include "common/log.h"
#include "net/http_server.h"

namespace astrolabe::api {
namespace {

constexpr std::string_view kJson = "application/json";

int HttpStatusOf(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

void Fail(net::ServerResponse& response, const Status& s) {
  const int code = HttpStatusOf(s);
  response.Set(code, std::string(kJson), ErrorJson(code, s.message()));
  if (code == 401) response.headers.Set("WWW-Authenticate", "Api-Token realm=\"astrolabe\"");
}

}  // namespace

ApiServer::ApiServer(ApiServerOptions options) : options_(std::move(options)) {
  if (options_.query.storage != nullptr) {
    if (options_.query.telemetry == nullptr) options_.query.telemetry = options_.telemetry;
    query_ = std::make_unique<QueryApi>(options_.query);
  }
}

ApiServer::~ApiServer() { Shutdown(); }

Status ApiServer::Start() {
  net::HttpServerOptions http;
  http.listen_address = options_.listen_address;
  http.log_name = "api";
  http.max_body_bytes = 1 << 20;
  // Queries run on the I/O threads (bounded by the query timeout); four let a slow query
  // leave the token routes and other queries served.
  http.io_threads = 4;
  http.tls = options_.tls;
  server_ = std::make_unique<net::HttpServer>(http);
  server_->Handle("POST", "/api/v1/tokens",
                  [this](net::ServerRequest& req, net::ServerResponse& resp) {
                    if (Authorize(req, resp, component::kScopeSettingsWrite))
                      CreateToken(req, resp);
                  });
  server_->Handle("GET", "/api/v1/tokens",
                  [this](net::ServerRequest& req, net::ServerResponse& resp) {
                    if (Authorize(req, resp, component::kScopeSettingsWrite)) ListTokens(resp);
                  });
  server_->Handle("DELETE", "/api/v1/tokens/*",
                  [this](net::ServerRequest& req, net::ServerResponse& resp) {
                    if (Authorize(req, resp, component::kScopeSettingsWrite))
                      RevokeToken(req, resp);
                  });
  traces_ = std::make_unique<TracesApi>(options_.spans, options_.telemetry);
  traces_->Mount(*server_, [this](net::ServerRequest& req, net::ServerResponse& resp,
                                  std::string_view scope) { return Authorize(req, resp, scope); });
  GenAiApiOptions genai;
  genai.spans = options_.spans;
  genai.metrics = options_.query.storage;
  genai.query_timeout = options_.query.timeout;
  genai.max_samples = options_.query.max_samples;
  genai.telemetry = options_.telemetry;
  genai_ = std::make_unique<GenAiApi>(std::move(genai));
  genai_->Mount(*server_, [this](net::ServerRequest& req, net::ServerResponse& resp,
                                 std::string_view scope) { return Authorize(req, resp, scope); });
  for (const QueryApi::Route& route : QueryApi::Routes()) {
    server_->Handle(route.method, route.pattern,
                    [this](net::ServerRequest& req, net::ServerResponse& resp) {
                      if (Authorize(req, resp, component::kScopeMetricsRead)) ServeQuery(req, resp);
                    });
  }
  if (options_.serve_ui) {
    // The shortest prefix: every other route wins over it.
    ui_ = std::make_unique<UiServer>(options_.ui_files);
    server_->Handle("GET", "/*", [this](net::ServerRequest& req, net::ServerResponse& resp) {
      ui_->Serve(req, resp);
    });
  }
  if (options_.telemetry != nullptr) {
    server_->Handle("GET", "/metrics", [this](net::ServerRequest&, net::ServerResponse& resp) {
      resp.Set(200, "text/plain; version=0.0.4; charset=utf-8", options_.telemetry->RenderText());
    });
  }
  Status s = server_->Start();
  if (!s.ok()) {
    server_.reset();
    return s.Annotate("serving the API");
  }
  return Status::Ok();
}

void ApiServer::Shutdown() {
  if (server_) {
    server_->Shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(2));
    server_.reset();
  }
}

std::string ApiServer::address() const { return server_ ? server_->address() : ""; }

bool ApiServer::Authorize(net::ServerRequest& request, net::ServerResponse& response,
                          std::string_view scope) {
  if (options_.authenticator == nullptr) return true;
  const auto fields = request.header_fields();
  Status s = options_.authenticator->Authenticate(fields, scope);
  if (s.ok()) return true;
  Fail(response, s);
  return false;
}

void ApiServer::ServeQuery(net::ServerRequest& request, net::ServerResponse& response) {
  if (query_ != nullptr) {
    query_->Handle(request, response);
    return;
  }
  std::string body = "{\"status\":\"error\",\"errorType\":\"unavailable\",\"error\":";
  AppendJsonString(body, options_.query_unavailable);
  body += '}';
  response.Set(503, std::string(kJson), std::move(body));
}

void ApiServer::CreateToken(net::ServerRequest& request, net::ServerResponse& response) {
  std::string name;
  std::vector<std::string> scopes;
  if (Status s = ParseCreateTokenRequest(request.body(), &name, &scopes); !s.ok()) {
    Fail(response, s);
    return;
  }
  auto made = options_.tokens->Create(name, scopes);
  if (!made.ok()) {
    Fail(response, made.status());
    return;
  }
  std::string body = TokenJson(made->info);
  body.pop_back();
  body += ",\"token\":";
  AppendJsonString(body, made->token);
  body += '}';
  GetLogger("api")->info("created API token {} (\"{}\") from {}", made->info.id, made->info.name,
                         request.remote_address());
  response.Set(201, std::string(kJson), std::move(body));
}

void ApiServer::ListTokens(net::ServerResponse& response) {
  std::string body = "{\"tokens\":[";
  const auto tokens = options_.tokens->List();
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (i > 0) body += ',';
    body += TokenJson(tokens[i]);
  }
  body += "]}";
  response.Set(200, std::string(kJson), std::move(body));
}

void ApiServer::RevokeToken(net::ServerRequest& request, net::ServerResponse& response) {
  constexpr std::string_view kPrefix = "/api/v1/tokens/";
  const std::string_view id = request.path().substr(kPrefix.size());
  if (Status s = options_.tokens->Revoke(id); !s.ok()) {
    Fail(response, s);
    return;
  }
  GetLogger("api")->info("revoked API token {} from {}", id, request.remote_address());
  response.status = 204;
}

}  // namespace astrolabe::api
