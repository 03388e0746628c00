#pragma once
// TrafficGenerator: the applications of the demo. It calls models through an OpenAI-compatible
// gateway (the Kong simulator) the way instrumented apps do — chat mostly, some embeddings
// (retrieval before the answer), some failures — and sends the GenAI spans and message logs
// those apps would emit to an OTLP/HTTP endpoint (protobuf, `Authorization: Api-Token`).
//
// Each workflow is one trace: the app's endpoint span (SERVER) → its workflow/agent span
// (INTERNAL) → one CLIENT span per model call (genai_spans.h), plus message logs. Services
// (ServiceProfile) differ in dialect: half the calls are in the legacy OpenLLMetry attributes,
// half in the current OpenTelemetry GenAI conventions. Prompts and answer texts come from the
// built-in corpus (corpus.h); token counts, response ids and models, finish reasons and
// failures are the gateway's answer, so the spans count exactly what the simulators counted.
//
//   TrafficOptions o;
//   o.gateway_url = "http://127.0.0.1:8100";
//   o.chat_models = {"meta/llama-3.1-8b-instruct", "gpt-4o-mini"};
//   o.embedding_model = "text-embedding-3-small";
//   o.otlp_url = "http://127.0.0.1:4318";  o.api_token = token;
//   TrafficGenerator gen(o);
//   gen.Start();      // `concurrency` workers at `rate` workflows/s, an exporter every second
//   ...
//   gen.Shutdown();   // cancels calls in flight, exports what is queued (bounded), joins
//
// Threads: Start/Shutdown from the owner; RunWorkflows from any one thread at a time (tests
// use it instead of Start); Flush and stats from any thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/status.h"
#include "demo/corpus.h"
#include "demo/genai_spans.h"
#include "pdata/logs.h"
#include "pdata/traces.h"

namespace astrolabe::net {
class HttpClient;
}
namespace astrolabe::sim {
class Rng;
}

namespace astrolabe::demo {

// One instrumented application.
struct ServiceProfile {
  std::string name;  // service.name
  Dialect dialect = Dialect::kCurrent;
  MessageLogs logs = MessageLogs::kNone;
  std::string scope_name;  // the instrumentation library
  std::string scope_version;
  std::string sdk_language;  // telemetry.sdk.language
  std::string route;         // the app's own endpoint, "/api/support/reply"
  std::vector<Topic> topics;
  double retrieval_share = 0;  // workflows that embed the question first
  double weight = 1;           // share of the workflows
};

// support-bot and search-api (legacy, Python OpenLLMetry 0.47); code-assistant (current,
// operation-details logs) and doc-summarizer (current, per-message logs). The two dialects
// get the same weight.
std::vector<ServiceProfile> DefaultServices();

struct TrafficOptions {
  std::string gateway_url;  // "http://127.0.0.1:8100"; /v1/chat/completions etc. appended
  std::vector<std::string> chat_models;
  std::string embedding_model;  // empty: no embeddings
  std::string otlp_url;         // base URL; /v1/traces and /v1/logs appended. Empty: no export
  std::string api_token;        // sent as "Authorization: Api-Token <token>"
  double rate = 1.0;            // workflows per second (all workers together)
  int concurrency = 8;
  // Failures the apps run into, per chat call (besides the simulators' own 500s and 429s):
  double server_error_share = 0.04;   // header x-sim-fail: error → 500
  double bad_request_share = 0.015;   // max_tokens over the context length → 400
  double unknown_model_share = 0.01;  // a model no gateway route serves → 404
  uint64_t seed = 1;
  std::chrono::milliseconds export_interval{1000};
  std::chrono::milliseconds call_timeout{120'000};
  std::vector<ServiceProfile> services;  // empty: DefaultServices()
};

struct TrafficStats {
  uint64_t workflows = 0;
  uint64_t calls = 0;
  uint64_t failed_calls = 0;
  uint64_t spans_exported = 0;
  uint64_t logs_exported = 0;
  uint64_t export_errors = 0;  // requests the OTLP endpoint refused or that failed
};

// Reads a gateway's answer to `call` (untrusted bytes; fuzz/demo_answer_fuzz.cc): for
// call.http_status 200 the id, model, finish reason (chat), embedding size and usage (counts
// below 0 are ignored); a 200 whose body is not JSON becomes http_status 0 with a message; for
// any other status the error message (OpenAI's error.message, Kong's message, else the body's
// first 200 bytes).
void ReadModelAnswer(std::string_view body, LlmCall& call);

class TrafficGenerator {
 public:
  explicit TrafficGenerator(TrafficOptions options);
  ~TrafficGenerator();  // Shutdown()
  TrafficGenerator(const TrafficGenerator&) = delete;
  TrafficGenerator& operator=(const TrafficGenerator&) = delete;

  // Starts the workers and the exporter. REQUIRES: called at most once.
  void Start();
  // Stops the workers (calls in flight are cancelled and dropped), exports what is queued
  // within `flush_timeout`, and joins every thread. Idempotent.
  void Shutdown(std::chrono::milliseconds flush_timeout = std::chrono::milliseconds(2000));

  // Runs `n` workflows one after the other on the calling thread; their telemetry is queued.
  void RunWorkflows(int n);
  // Sends everything queued now. The first error, naming the URL.
  Status Flush();

  TrafficStats stats() const;

 private:
  struct Telemetry;
  void Worker(uint64_t seed);
  void Exporter();
  // One workflow; false when it was cancelled by Shutdown (nothing queued).
  bool RunWorkflow(sim::Rng& rng);
  // Sends `call` to the gateway (with header x-sim-fail when `fail_header` is set) and reads
  // the answer into it; false when Shutdown cancelled it.
  bool Call(LlmCall& call, const std::string& fail_header);
  Status Post(const std::string& path, std::string body, std::chrono::milliseconds timeout);
  Status FlushWithin(std::chrono::milliseconds timeout);

  TrafficOptions options_;
  std::unique_ptr<net::HttpClient> calls_client_;   // model calls; shut down to cancel them
  std::unique_ptr<net::HttpClient> export_client_;  // OTLP export
  std::atomic<bool> stopping_{false};
  bool started_ = false;
  bool shut_down_ = false;
  std::mutex mu_;
  std::condition_variable cv_;               // wakes sleeping workers and the exporter
  std::vector<pdata::ResourceSpans> spans_;  // GUARDED_BY(mu_)
  std::vector<pdata::ResourceLogs> logs_;    // GUARDED_BY(mu_)
  std::mutex export_mu_;                     // one export at a time
  std::vector<std::thread> workers_;
  std::thread exporter_;
  std::atomic<uint64_t> workflows_{0}, calls_{0}, failed_calls_{0}, spans_exported_{0},
      logs_exported_{0}, export_errors_{0};
};

}  // namespace astrolabe::demo
