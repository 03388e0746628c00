#pragma once
// ModelBackend: the engines of one simulated inference server (one Engine per model), driven
// by the wall clock on a runner thread, and the OpenAI-compatible request path that joins API
// requests to the simulation. LlmSimulator serves it over HTTP; KongSimulator uses one
// in-process for the providers it fronts without an upstream.
//
// Threads: every public method may be called from any thread; one mutex guards the engines.
// Serve() blocks its caller until the simulated request finishes (wall time = simulated time
// / time_scale), so HTTP servers hosting it need enough I/O threads for their concurrency.

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "sim/engine.h"
#include "sim/exposition.h"
#include "sim/openai_api.h"

namespace astrolabe::sim {

struct BackendOptions {
  std::vector<ModelOptions> models;
  uint64_t seed = 1;
  double time_scale = 1.0;  // simulated seconds per wall second
  // Fraction of API requests that fail with 500 (an engine error mid-generation).
  double api_error_probability = 0.004;
  int embedding_dimensions = 384;
  std::string owned_by = "system";
  Clock* clock = &Clock::Real();
  // How long Serve() waits (wall time) for a request before answering 504.
  std::chrono::milliseconds request_timeout{600'000};
};

// The answer to one API request, ready to send.
struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Usage of a successful completion/embedding (for gateways); zero otherwise.
  int prompt_tokens = 0;
  int completion_tokens = 0;
  bool streamed = false;
  // Streamed through a StreamSink: the head and body already went out (body is empty here).
  // `status` is then what the stream ended with: 200, 500 (the engine failed mid-stream), 503
  // or 504 (reported as error events), 499 (the client went away).
  bool sent = false;
};

// Where Serve() sends a streamed completion as it is generated. Called on Serve()'s thread,
// without the backend's lock; every method returns false once the client is gone.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // Starts the response: status 200, `head.content_type`; nothing of the body yet.
  virtual bool Begin(const ApiResponse& head) = 0;
  // The next piece of the SSE body (one or more whole events), sent at once.
  virtual bool Send(std::string_view piece) = 0;
  // Polled while the request waits for its first token.
  virtual bool ClientGone() = 0;
};

class ModelBackend {
 public:
  explicit ModelBackend(BackendOptions options);
  ~ModelBackend();  // Stop()
  ModelBackend(const ModelBackend&) = delete;
  ModelBackend& operator=(const ModelBackend&) = delete;

  // Starts the runner thread that advances the engines with the clock. Idempotent.
  void Start();
  // Stops the runner; requests still in flight are answered 503. Idempotent.
  void Stop();

  std::vector<std::string> model_names() const;
  bool HasModel(std::string_view model) const;

  // Serves one API request end to end: parse/validate (400), model lookup (404), queue (429),
  // simulation (blocks until done), then the JSON or SSE body. `force_error` makes the engine
  // fail the request (500), for tests and demos (header x-sim-fail).
  // With a `sink`, a streamed completion ("stream": true) goes out token by token as the
  // engine generates it, paced by the simulation (time to first token, then one decode
  // iteration per token): the role chunk with the first token, a chunk per token, then the
  // finish chunk, the usage chunk and [DONE] (ApiResponse::sent). A client that goes away
  // aborts the request in the engine (finish reason abort). Errors before the first token are
  // returned as usual, for the caller to send. Without a sink the whole stream is returned as
  // one body once the request finished.
  ApiResponse Serve(ApiKind kind, std::string_view body, bool force_error = false,
                    StreamSink* sink = nullptr);

  // Runs `fn` on each model's stats under the lock, engines advanced to now.
  void WithStats(const std::function<void(const std::vector<ModelStatsView>&)>& fn);

  // Calls `cb` (under the lock, on the runner thread) for each finished synthetic request.
  // REQUIRES: before Start().
  void SetSyntheticObserver(
      const std::function<void(const std::string& model, const Completion&)>& cb);

  // Simulated seconds since construction.
  double SimNow() const;
  const BackendOptions& options() const { return options_; }

 private:
  void Run();
  void AdvanceLocked();

  BackendOptions options_;
  std::chrono::steady_clock::time_point start_;
  mutable std::mutex mu_;
  std::condition_variable cv_;                    // wakes the runner
  std::condition_variable done_cv_;               // wakes Serve() callers when requests finish
  uint64_t events_ = 0;                           // finishes and streamed tokens; GUARDED_BY(mu_)
  Rng rng_{0};                                    // GUARDED_BY(mu_)
  std::vector<std::unique_ptr<Engine>> engines_;  // GUARDED_BY(mu_)
  bool stop_ = false;                             // GUARDED_BY(mu_)
  uint64_t next_response_id_ = 1;                 // GUARDED_BY(mu_)
  std::thread runner_;
};

}  // namespace astrolabe::sim
