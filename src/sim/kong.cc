#include "sim/kong.h"

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

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

// The in-process providers' streams: Kong's headers go out with the head, the upstream
// latency being the time to the first token (in simulated time).
class KongSink final : public StreamSink {
 public:
  KongSink(net::ServerResponse& res, std::chrono::steady_clock::time_point start, double scale)
      : res_(res), inner_(res), start_(start), scale_(scale) {}
  bool Begin(const ApiResponse& head) override {
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_)
                    .count() *
                scale_;
    KongHeaders(res_, static_cast<int64_t>(ms), 1);
    return inner_.Begin(head);
  }
  bool Send(std::string_view piece) override { return inner_.Send(piece); }
  bool ClientGone() override { return inner_.ClientGone(); }

 private:
  net::ServerResponse& res_;
  ResponseSink inner_;
  std::chrono::steady_clock::time_point start_;
  double scale_;
};

// Hands a streamed upstream response from the client's thread to the handler's.
struct UpstreamPipe {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<net::HttpResponse> head;  // GUARDED_BY(mu)
  std::deque<std::string> pieces;         // GUARDED_BY(mu); bounded by max_response_bytes
  bool done = false;                      // GUARDED_BY(mu)
  Status status = Status::Ok();           // GUARDED_BY(mu): the transfer's outcome
  bool abandon = false;                   // GUARDED_BY(mu): our client went away
};

}  // namespace

KongSimulator::Upstream KongSimulator::Proxy(net::HttpRequest up, net::ServerResponse& res,
                                             std::chrono::steady_clock::time_point start) {
  auto pipe = std::make_shared<UpstreamPipe>();
  up.on_head = [pipe](const net::HttpResponse& head) {
    std::lock_guard<std::mutex> lock(pipe->mu);
    pipe->head = head;
    pipe->cv.notify_all();
  };
  up.on_body = [pipe](std::string_view piece) {
    std::lock_guard<std::mutex> lock(pipe->mu);
    if (pipe->abandon) return false;  // closes the upstream connection: it aborts too
    pipe->pieces.emplace_back(piece);
    pipe->cv.notify_all();
    return true;
  };
  client_->Send(std::move(up), [pipe](Result<net::HttpResponse> r) {
    std::lock_guard<std::mutex> lock(pipe->mu);
    pipe->done = true;
    pipe->status = r.status();
    pipe->cv.notify_all();
  });
  Upstream out;
  std::unique_lock<std::mutex> lock(pipe->mu);
  // The client's own timeout ends the transfer; this bound only guards against a lost callback.
  if (!pipe->cv.wait_for(lock, options_.upstream_timeout + std::chrono::seconds(5),
                         [&] { return pipe->head.has_value() || pipe->done; }) ||
      !pipe->head) {
    pipe->abandon = true;
    return out;
  }
  out.status = pipe->head->status;
  std::string content_type(pipe->head->headers.Get("Content-Type").value_or("application/json"));
  out.sse = content_type.find("event-stream") != std::string::npos;
  if (!out.sse || out.status != 200) {
    // A plain answer: passed on whole once complete.
    pipe->cv.wait(lock, [&] { return pipe->done; });
    if (!pipe->status.ok()) return out;
    for (const std::string& p : pipe->pieces) out.body += p;
    out.ok = true;
    res.Set(out.status, content_type, out.body);
    return out;
  }
  // A stream: passed on piece by piece as it arrives. Only its tail is kept, for the usage
  // chunk at its end, so memory stays bounded whatever the stream's length.
  out.ok = true;
  out.streamed = true;
  res.status = 200;
  res.headers.Set("Content-Type", content_type);
  res.headers.Set("Cache-Control", "no-cache");
  double upstream_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  KongHeaders(res, static_cast<int64_t>(upstream_ms), 1);
  lock.unlock();
  bool client_ok = res.Write("").ok();
  lock.lock();
  constexpr size_t kTail = 64 * 1024;
  while (client_ok) {
    pipe->cv.wait_for(lock, std::chrono::milliseconds(100),
                      [&] { return !pipe->pieces.empty() || pipe->done; });
    std::deque<std::string> pieces = std::move(pipe->pieces);
    pipe->pieces.clear();
    const bool done = pipe->done;
    lock.unlock();
    for (const std::string& p : pieces) {
      out.body += p;
      if (!res.Write(p).ok()) {
        client_ok = false;
        break;
      }
    }
    if (out.body.size() > 2 * kTail) {
      size_t cut = out.body.find('\n', out.body.size() - kTail);
      out.body.erase(0, cut == std::string::npos ? out.body.size() - kTail : cut + 1);
    }
    if (client_ok && pieces.empty() && !done) client_ok = !res.ClientGone();
    lock.lock();
    if (done && pipe->pieces.empty()) break;
  }
  if (!client_ok) {
    pipe->abandon = true;
    out.status = 499;  // nginx's "client closed request", as Kong logs it
  } else if (!pipe->status.ok()) {
    out.status = 502;  // the upstream broke off mid-stream
  }
  return out;
}

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
    bool headers_sent = false;
    if (route->upstream.empty()) {
      KongSink sink(res, start, options_.time_scale);
      ApiResponse r =
          backend_->Serve(kind, req.body(), fail.has_value() && *fail == "error", &sink);
      status = r.status;
      prompt = r.prompt_tokens;
      completion = r.completion_tokens;
      headers_sent = r.sent;
      if (!r.sent) res.Set(r.status, r.content_type, std::move(r.body));
    } else {
      net::HttpRequest up;
      up.method = "POST";
      up.url = route->upstream + std::string(req.path());
      up.headers.Add("Content-Type", "application/json");
      if (auto auth = req.header("authorization"))
        up.headers.Add("Authorization", std::string(*auth));
      if (fail) up.headers.Add("x-sim-fail", std::string(*fail));
      up.body = std::string(req.body());
      Upstream u = Proxy(std::move(up), res, start);
      if (!u.ok) {
        res.Set(502, "application/json",
                R"({"message":"An invalid response was received from the upstream server"})");
        KongHeaders(res, 0, 0);
        return;
      }
      status = u.status;
      headers_sent = u.streamed;
      if (status == 200) {
        if (auto usage = ExtractUsage(u.body, u.sse)) {
          prompt = usage->prompt_tokens;
          completion = usage->completion_tokens;
        }
      }
    }
    double wall_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    // In-process providers run on simulated time: report their latency in it.
    double latency_ms = route->upstream.empty() ? wall_ms * options_.time_scale : wall_ms;
    Record(*route, parsed.model, status == 200 ? prompt : 0, status == 200 ? completion : 0,
           latency_ms);
    if (!headers_sent) KongHeaders(res, static_cast<int64_t>(latency_ms), 1);
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
