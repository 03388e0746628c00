#pragma once
// Engine: a request-level simulation of one LLM served by a continuous-batching engine (vLLM,
// NIM, TensorRT-LLM): requests arrive (synthetic traffic or submitted by the API), wait in a
// bounded queue, are admitted into a running batch capped at max_num_seqs while the KV cache
// has room, are prefilled, then decode one token per engine iteration until they stop, hit
// their length limit, are aborted or fail. When the KV cache cannot hold the next token of
// every running request, the newest request is preempted back to the queue (recompute).
//
// Time is simulated seconds since the engine was created; the caller drives it with
// AdvanceTo() (a wall-clock runner in production, a loop in tests). Every random choice comes
// from one seeded generator, so the same seed and the same calls give the same figures.
// Algorithm and invariants: docs/design/simulators.md.
//
// Thread-compatible: the owner serialises every call (ModelBackend holds a mutex).

#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "sim/random.h"

namespace astrolabe::sim {

// A fixed-bucket histogram: counts[i] counts observations v <= bounds[i] (and > bounds[i-1]);
// counts.back() the ones above every bound (+Inf).
struct Histogram {
  std::vector<double> bounds;
  std::vector<uint64_t> counts;  // bounds.size() + 1, not cumulative
  double sum = 0;
  uint64_t count = 0;

  Histogram() = default;
  explicit Histogram(std::vector<double> b) : bounds(std::move(b)), counts(bounds.size() + 1) {}
  void Observe(double v, uint64_t n = 1);
};

// vLLM's build_1_2_5_buckets: 1, 2, 5, 10, 20, 50, ... up to max (inclusive).
std::vector<double> Buckets125(double max);

// The bucket sets of one flavour of exposition (NIM 1.x = vLLM V0; vLLM V1).
struct BucketSets {
  std::vector<double> ttft, tpot, e2e, phase;  // phase: queue/prefill/decode/inference time
  std::vector<double> iteration_tokens;
  static BucketSets V0();
  static BucketSets V1();
};

enum class FinishReason { kStop = 0, kLength = 1, kAbort = 2, kError = 3 };
inline constexpr int kFinishReasons = 4;
const char* FinishReasonName(FinishReason r);  // "stop", "length", "abort", "error"

enum class ArrivalPattern { kSteady, kBursty, kDiurnal };
// "steady" | "bursty" | "diurnal"; false for anything else.
bool ParseArrivalPattern(std::string_view text, ArrivalPattern* out);

struct TrafficOptions {
  double rate = 0;  // mean synthetic requests per second (0: none)
  ArrivalPattern pattern = ArrivalPattern::kSteady;
  // bursty: `burst_multiplier` × rate for `burst_seconds` out of every `burst_period_seconds`.
  double burst_multiplier = 5;
  double burst_seconds = 15;
  double burst_period_seconds = 120;
  // diurnal: rate × (1 + amplitude · sin(2πt / period)).
  double diurnal_amplitude = 0.7;
  double diurnal_period_seconds = 600;
};

struct ModelOptions {
  std::string name = "meta/llama-3.1-8b-instruct";
  int max_num_seqs = 64;             // running batch cap (num_request_max)
  int max_waiting = 256;             // queue cap: Submit() beyond it is rejected (HTTP 429)
  int max_model_len = 131072;        // prompt + output; request token buckets go up to it
  int64_t kv_cache_tokens = 262144;  // KV-cache capacity in tokens
  double prefill_tokens_per_second = 16000;
  double decode_base_seconds = 0.014;       // one iteration with an empty batch
  double decode_per_seq_seconds = 0.00025;  // added per running request
  // Synthetic requests: lognormal prompt/output lengths (median, sigma of the log).
  double prompt_median = 420, prompt_sigma = 0.9;
  double output_median = 170, output_sigma = 0.85;
  // max_tokens of synthetic requests is drawn from this list (some requests end by length).
  std::vector<int> synthetic_max_tokens = {256, 512, 1024, 2048};
  // Probabilities per synthetic request; API requests never abort, they may fail.
  double abort_probability = 0.01;
  double error_probability = 0.004;
  TrafficOptions traffic;
  BucketSets buckets = BucketSets::V0();
};

// What happened to one request, reported when it leaves the engine.
struct Completion {
  uint64_t id = 0;
  FinishReason reason = FinishReason::kStop;
  int prompt_tokens = 0;
  int completion_tokens = 0;
  int max_tokens = 0;
  bool synthetic = false;
  double arrival = 0;       // simulated seconds
  double first_token = -1;  // -1: never produced a token
  double finished = 0;
  double queue_seconds = 0;    // arrival → first admission
  double prefill_seconds = 0;  // admission → first token
  double Ttft() const { return first_token < 0 ? -1 : first_token - arrival; }
  double E2e() const { return finished - arrival; }
};

struct RequestSpec {
  int prompt_tokens = 1;
  int max_tokens = 16;
  // The length at which the "model" would stop by itself; >= max_tokens means it runs to the
  // length limit.
  int natural_tokens = 16;
  // Fail (finish reason error) after this many generated tokens; -1: never.
  int fail_at_token = -1;
};

// Counters, gauges and histograms of one engine; every figure a /metrics page shows.
// Invariants (checked by tests): finished[*] sums to e2e.count = request_prompt_tokens.count;
// prompt_tokens == request_prompt_tokens.sum; generation_tokens == request_generation_tokens.sum;
// tpot.count == generation_tokens - ttft.count.
struct EngineStats {
  int running = 0;
  int waiting = 0;
  int max_num_seqs = 0;
  double kv_usage = 0;  // fraction 0..1
  uint64_t prompt_tokens = 0;
  uint64_t generation_tokens = 0;
  uint64_t preemptions = 0;
  uint64_t rejected = 0;
  uint64_t finished[kFinishReasons] = {};
  uint64_t prefix_cache_queries = 0;
  uint64_t prefix_cache_hits = 0;
  Histogram ttft, tpot, e2e, queue_time, prefill_time, decode_time, inference_time;
  Histogram request_prompt_tokens, request_generation_tokens, request_max_tokens;
  Histogram iteration_tokens;

  uint64_t FinishedTotal() const;
  uint64_t Success() const { return finished[0] + finished[1]; }  // stop + length
  uint64_t Failure() const { return finished[2] + finished[3]; }  // abort + error
};

class Engine {
 public:
  using DoneCallback = std::function<void(const Completion&)>;
  // Called with the number of tokens generated so far, each time the request produces one
  // (inside AdvanceTo(), before `done` for the last token). Streamed API requests use it.
  using TokenCallback = std::function<void(int generated)>;

  Engine(ModelOptions options, uint64_t seed);

  const ModelOptions& options() const { return options_; }
  double now() const { return now_; }

  // Adds a request arriving now. Returns its id, or 0 when the waiting queue is full (counted
  // in stats().rejected). `done` runs inside a later AdvanceTo() when the request finishes.
  // REQUIRES: spec.prompt_tokens >= 1, spec.max_tokens >= 1.
  uint64_t Submit(const RequestSpec& spec, DoneCallback done, TokenCallback on_token = nullptr);

  // The client of request `id` went away: the request ends with finish reason abort, at its
  // admission when still waiting for its first admission, else after its next token (as vLLM
  // aborts a request whose connection closed). No-op for an unknown or finished id.
  void Abort(uint64_t id);

  // Runs engine iterations and synthetic arrivals until simulated time `t` (seconds). An
  // iteration that starts before `t` completes, so now() may pass `t` by one iteration.
  void AdvanceTo(double t);

  // Seconds until the engine next has something to do: 0 while requests are queued or
  // running, the next synthetic arrival otherwise (infinity with no traffic).
  double IdleFor() const;

  // Called for every finished synthetic request (after the stats are updated).
  void set_synthetic_observer(DoneCallback cb) { synthetic_observer_ = std::move(cb); }

  // A synthetic request drawn from the length distributions (used for traffic and tests).
  RequestSpec DrawSynthetic();

  const EngineStats& stats() const { return stats_; }

 private:
  struct Request {
    uint64_t id;
    RequestSpec spec;
    bool synthetic;
    double arrival;
    double admitted = -1;
    double first_token = -1;
    double last_token = -1;
    bool prefilled = false;
    int generated = 0;
    int abort_at = -1;  // synthetic aborts: after this many tokens (0: while waiting)
    std::vector<uint32_t> tpot_counts;
    double tpot_sum = 0;
    DoneCallback done;
    TokenCallback on_token;
  };

  double RateAt(double t) const;
  double PeakRate() const;
  void ScheduleNextArrival();
  void Iterate();
  void Finish(Request& r, FinishReason reason);
  int64_t Footprint(const Request& r) const { return r.spec.prompt_tokens + r.generated; }
  void UpdateGauges();

  ModelOptions options_;
  Rng rng_;
  double now_ = 0;
  double next_arrival_ = std::numeric_limits<double>::infinity();
  uint64_t next_id_ = 1;
  std::deque<Request> waiting_;
  std::vector<Request> running_;
  int64_t kv_used_ = 0;
  EngineStats stats_;
  DoneCallback synthetic_observer_;
};

}  // namespace astrolabe::sim
