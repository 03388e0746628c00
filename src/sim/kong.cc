#include "sim/kong.h"

#include <chrono>
#include <cmath>

#include "net/http_client.h"
#include "net/http_server.h"
#include "sim/llm_server.h"

namespace astrolabe::sim {

std::vector<KongRoute> DefaultKongRoutes() {
  return {
      {"openai", "gpt-4o", 2.5, 10, ""},
      {"openai", "gpt-4o-mini", 0.15, 0.6, ""},
      {"anthropic", "claude-3-5-sonnet-20241022", 3, 15, ""},
      {"mistral", "mistral-large-latest", 2, 6, ""},
  };
}

Result<KongRoute> ParseUpstreamRoute(std::string_view text) {
  KongRoute route;
  route.input_cost = 0.2;
  route.output_cost = 0.2;
  std::string_view url = text;
  size_t scheme = text.find("://");
  size_t eq = text.find('=');
  if (eq != std::string_view::npos && (scheme == std::string_view::npos || eq < scheme)) {
    route.model = std::string(text.substr(0, eq));
    url = text.substr(eq + 1);
  }
  if (url.substr(0, 7) != "http://" && url.substr(0, 8) != "https://") {
    return InvalidArgument("upstream \"" + std::string(text) +
                           "\": expected [MODEL=]http://HOST:PORT");
  }
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  if (url.size() >= 3 && url.substr(url.size() - 3) == "/v1") url.remove_suffix(3);
  route.upstream = std::string(url);
  return route;
}

KongSimulator::KongSimulator(KongSimulatorOptions options) : options_(std::move(options)) {
  if (options_.routes.empty()) options_.routes = DefaultKongRoutes();
  BackendOptions b;
  LlmSimulatorOptions llm;
  llm.traffic = options_.traffic;
  for (const KongRoute& r : options_.routes) {
    if (r.upstream.empty() && !r.model.empty()) {
      b.models.push_back(MakeModelOptions(Flavor::kOpenAI, r.model, llm));
    }
  }
  b.seed = options_.seed;
  b.time_scale = options_.time_scale;
  b.api_error_probability = options_.api_error_probability;
  b.clock = options_.clock;
  b.owned_by = "kong";
  backend_ = std::make_unique<ModelBackend>(std::move(b));
  net::HttpClientOptions co;
  co.timeout = options_.upstream_timeout;
  client_ = std::make_unique<net::HttpClient>(co);
  net::HttpServerOptions so;
  so.listen_address = options_.listen_address;
  so.io_threads = std::max(1, options_.io_threads);
  so.log_name = "sim/kong";
  server_ = std::make_unique<net::HttpServer>(so);
}

KongSimulator::~KongSimulator() { Shutdown(); }

const KongRoute* KongSimulator::FindRoute(const std::string& model) const {
  for (const KongRoute& r : options_.routes) {
    if (r.model == model) return &r;
  }
  for (const KongRoute& r : options_.routes) {
    if (r.model.empty() && !r.upstream.empty()) return &r;
  }
  return nullptr;
}

void KongSimulator::Record(const KongRoute& route, const std::string& model, int64_t prompt_tokens,
                           int64_t completion_tokens, double latency_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  KongSeries& s = series_[{route.provider, model}];
  s.provider = route.provider;
  s.model = model;
  ++s.requests;
  s.prompt_tokens += static_cast<uint64_t>(std::max<int64_t>(0, prompt_tokens));
  s.completion_tokens += static_cast<uint64_t>(std::max<int64_t>(0, completion_tokens));
  s.total_tokens += static_cast<uint64_t>(std::max<int64_t>(0, prompt_tokens + completion_tokens));
  double cost = (static_cast<double>(prompt_tokens) * route.input_cost +
                 static_cast<double>(completion_tokens) * route.output_cost) /
                1e6;
  if (cost > 0) s.cost += cost;
  // Kong keeps llm_latency as integer milliseconds.
  s.latency_ms.Observe(std::round(latency_ms));
}

std::string KongSimulator::Metrics() {
  std::string out;
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<const KongSeries*> list;
  for (const auto& [key, s] : series_) list.push_back(&s);
  WriteKongExposition(list, requests_.load(std::memory_order_relaxed), &out);
  return out;
}

namespace {

ApiKind KindOf(std::string_view path) {
  if (path == "/v1/completions") return ApiKind::kCompletion;
  if (path == "/v1/embeddings") return ApiKind::kEmbedding;
  return ApiKind::kChat;
}

void KongHeaders(net::ServerResponse& res, int64_t upstream_ms, int64_t proxy_ms) {
  res.headers.Add("X-Kong-Upstream-Latency", std::to_string(upstream_ms));
  res.headers.Add("X-Kong-Proxy-Latency", std::to_string(proxy_ms));
  res.headers.Add("Via", "1.1 kong/3.9.1");
}

}  // namespace

Status KongSimulator::Start() {
  backend_->SetSyntheticObserver([this](const std::string& model, const Completion& c) {
    const KongRoute* route = FindRoute(model);
    if (route == nullptr) return;
    bool ok = c.reason == FinishReason::kStop || c.reason == FinishReason::kLength;
    Record(*route, model, ok ? c.prompt_tokens : 0, ok ? c.completion_tokens : 0, c.E2e() * 1000);
  });
  auto proxy = [this](net::ServerRequest& req, net::ServerResponse& res) {
    requests_.fetch_add(1, std::memory_order_relaxed);
    const auto start = std::chrono::steady_clock::now();
    ApiKind kind = KindOf(req.path());
    ApiRequest parsed;
    ApiError err;
    if (!ParseApiRequest(kind, req.body(), &parsed, &err)) {
      res.Set(err.status, "application/json", ErrorJson(err));
      KongHeaders(res, 0, 0);
      return;
    }
    const KongRoute* route = FindRoute(parsed.model);
    if (route == nullptr) {
      res.Set(404, "application/json", R"({"message":"no Route matched with those values"})");
      return;
    }
    int status;
    int64_t prompt = 0, completion = 0;
    auto fail = req.header("x-sim-fail");
    if (route->upstream.empty()) {
      ApiResponse r = backend_->Serve(kind, req.body(), fail.has_value() && *fail == "error");
      status = r.status;
      prompt = r.prompt_tokens;
      completion = r.completion_tokens;
      res.Set(r.status, r.content_type, std::move(r.body));
    } else {
      net::HttpRequest up;
      up.method = "POST";
      up.url = route->upstream + std::string(req.path());
      up.headers.Add("Content-Type", "application/json");
      if (auto auth = req.header("authorization"))
        up.headers.Add("Authorization", std::string(*auth));
      if (fail) up.headers.Add("x-sim-fail", std::string(*fail));
      up.body = std::string(req.body());
      Result<net::HttpResponse> r = client_->Send(std::move(up)).get();
      if (!r.ok()) {
        res.Set(502, "application/json",
                R"({"message":"An invalid response was received from the upstream server"})");
        KongHeaders(res, 0, 0);
        return;
      }
      status = r->status;
      std::string content_type(r->headers.Get("Content-Type").value_or("application/json"));
      bool sse = content_type.find("event-stream") != std::string::npos;
      if (status == 200) {
        if (auto usage = ExtractUsage(r->body, sse)) {
          prompt = usage->prompt_tokens;
          completion = usage->completion_tokens;
        }
      }
      res.Set(status, content_type, std::move(r->body));
    }
    double wall_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    // In-process providers run on simulated time: report their latency in it.
    double latency_ms = route->upstream.empty() ? wall_ms * options_.time_scale : wall_ms;
    Record(*route, parsed.model, status == 200 ? prompt : 0, status == 200 ? completion : 0,
           latency_ms);
    KongHeaders(res, static_cast<int64_t>(latency_ms), 1);
  };
  for (ApiKind kind : {ApiKind::kChat, ApiKind::kCompletion, ApiKind::kEmbedding}) {
    server_->Handle("POST", ApiPath(kind), proxy);
  }
  // The models behind the gateway: the catch-all upstream's list when there is one (passed
  // through), else the fixed-model routes.
  server_->Handle("GET", "/v1/models", [this](net::ServerRequest&, net::ServerResponse& res) {
    for (const KongRoute& r : options_.routes) {
      if (!r.model.empty() || r.upstream.empty()) continue;
      net::HttpRequest up;
      up.url = r.upstream + "/v1/models";
      Result<net::HttpResponse> got = client_->Send(std::move(up)).get();
      if (!got.ok()) {
        res.Set(502, "application/json",
                R"({"message":"An invalid response was received from the upstream server"})");
        return;
      }
      res.Set(got->status,
              std::string(got->headers.Get("Content-Type").value_or("application/json")),
              std::move(got->body));
      return;
    }
    std::vector<std::string> models;
    for (const KongRoute& r : options_.routes) {
      if (!r.model.empty()) models.push_back(r.model);
    }
    res.Set(200, "application/json",
            ModelsJson(models, options_.clock->NowUnixNanos() / 1'000'000'000, "kong"));
  });
  server_->Handle("GET", "/metrics", [this](net::ServerRequest&, net::ServerResponse& res) {
    res.Set(200, "text/plain; version=0.0.4; charset=utf-8", Metrics());
  });
  server_->Handle("GET", "/status", [](net::ServerRequest&, net::ServerResponse& res) {
    res.Set(200, "application/json", R"({"database":{"reachable":true},"server":{}})");
  });
  RETURN_IF_ERROR(server_->Start());
  backend_->Start();
  return Status::Ok();
}

void KongSimulator::Shutdown() {
  if (backend_) backend_->Stop();
  if (client_) client_->Shutdown();
  if (server_) server_->Shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(2));
}

int KongSimulator::port() const { return server_->port(); }
std::string KongSimulator::address() const { return server_->address(); }

}  // namespace astrolabe::sim
