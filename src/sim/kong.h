#pragma once
// KongSimulator: `astrolabe sim kong` — a Kong AI Gateway (ai-proxy + prometheus plugin with
// ai_metrics and log_statistics on) in one process:
//   - POST /v1/chat/completions, /v1/completions, /v1/embeddings are routed by the requested
//     model: to an upstream (a nim/vllm/openai simulator or any OpenAI-compatible server,
//     through net::HttpClient) or, for the built-in provider routes, to an in-process
//     simulated provider. Upstream answers are passed through unchanged.
//   - GET /metrics: kong_ai_llm_{requests,cost,tokens}_total and
//     kong_ai_llm_provider_latency_ms (Kong's label order, millisecond buckets), cost =
//     (prompt × input_cost + completion × output_cost) / 1e6 with prices per 1M tokens.
//   - Synthetic traffic on the in-process routes (TrafficOptions per route).
//
// Threads: Start/Shutdown from the owner; the rest from any thread. Proxied requests hold an
// HTTP I/O thread until the upstream answers.

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "sim/backend.h"
#include "sim/exposition.h"

namespace astrolabe::net {
class HttpServer;
class HttpClient;
struct HttpRequest;
struct ServerResponse;
}  // namespace astrolabe::net

namespace astrolabe::sim {

struct KongRoute {
  std::string provider = "openai";  // the ai_provider label (the configured driver)
  std::string model;                // requested model served here; "" = every other model
  double input_cost = 0;            // price per 1M prompt tokens (0: no cost series)
  double output_cost = 0;           // price per 1M completion tokens
  std::string upstream;             // "http://127.0.0.1:8000"; empty: simulated in-process
};

// openai/gpt-4o, openai/gpt-4o-mini, anthropic/claude-3-5-sonnet, mistral/mistral-large,
// all in-process, with list prices.
std::vector<KongRoute> DefaultKongRoutes();

// "[MODEL=]URL": an upstream route for MODEL (every otherwise unrouted model without it),
// provider "openai" (a NIM behind Kong's OpenAI driver), 0.2/0.2 per 1M tokens. URL is an
// http(s) base URL; a trailing "/v1" or "/" is dropped.
Result<KongRoute> ParseUpstreamRoute(std::string_view text);

struct KongSimulatorOptions {
  std::string listen_address = "127.0.0.1:8100";
  std::vector<KongRoute> routes;  // empty: DefaultKongRoutes()
  TrafficOptions traffic;         // synthetic traffic per in-process route
  uint64_t seed = 1;
  double time_scale = 1.0;
  double api_error_probability = 0.004;
  int io_threads = 32;
  std::chrono::milliseconds upstream_timeout{120'000};
  Clock* clock = &Clock::Real();
};

class KongSimulator {
 public:
  explicit KongSimulator(KongSimulatorOptions options);
  ~KongSimulator();
  KongSimulator(const KongSimulator&) = delete;
  KongSimulator& operator=(const KongSimulator&) = delete;

  // Binds and starts (synthetic traffic included). REQUIRES: called at most once.
  Status Start();
  // Stops serving, the in-process providers and the upstream client. Idempotent.
  void Shutdown();
  int port() const;
  std::string address() const;

  // The current exposition (GET /metrics).
  std::string Metrics();

  // What Kong's log phase does for one AI request: counts it, its tokens (when > 0), its
  // cost (when > 0) and the provider latency in milliseconds.
  void Record(const KongRoute& route, const std::string& model, int64_t prompt_tokens,
              int64_t completion_tokens, double latency_ms);

  const std::vector<KongRoute>& routes() const { return options_.routes; }

 private:
  const KongRoute* FindRoute(const std::string& model) const;

  // What Proxy() got from an upstream.
  struct Upstream {
    bool ok = false;        // false: no response (unreachable, timeout, broken before the head)
    int status = 0;         // the upstream's; 499 when our client left mid-stream
    bool sse = false;       // text/event-stream
    bool streamed = false;  // passed on piece by piece: `res` has been sent
    std::string body;       // the whole body, or a stream's tail (for its usage chunk)
  };
  // Sends `up` to the upstream and passes the answer on to `res`: a 200 event stream as it
  // arrives (Kong's headers with the head; a client that leaves abandons the upstream
  // transfer), anything else whole (res.Set) once complete.
  Upstream Proxy(net::HttpRequest up, net::ServerResponse& res,
                 std::chrono::steady_clock::time_point start);

  KongSimulatorOptions options_;
  std::unique_ptr<ModelBackend> backend_;  // the in-process providers
  std::unique_ptr<net::HttpClient> client_;
  std::unique_ptr<net::HttpServer> server_;
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, KongSeries> series_;  // GUARDED_BY(mu_)
  std::atomic<uint64_t> requests_{0};
};

}  // namespace astrolabe::sim
