#include "sim/engine.h"

#include <algorithm>
#include <cmath>
#include <optional>

namespace astrolabe::sim {

void Histogram::Observe(double v, uint64_t n) {
  // `le` semantics: the first bound >= v.
  size_t i = std::lower_bound(bounds.begin(), bounds.end(), v) - bounds.begin();
  counts[i] += n;
  sum += v * static_cast<double>(n);
  count += n;
}

std::vector<double> Buckets125(double max) {
  std::vector<double> out;
  for (double exp = 1;; exp *= 10) {
    for (double m : {1.0, 2.0, 5.0}) {
      double v = m * exp;
      if (v > max) return out;
      out.push_back(v);
    }
  }
}

BucketSets BucketSets::V0() {
  BucketSets b;
  b.ttft = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1,
            0.25,  0.5,   0.75, 1.0,  2.5,  5.0,  7.5,  10.0};
  b.tpot = {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5};
  b.e2e = {1.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0};
  b.phase = b.e2e;
  b.iteration_tokens = {1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384};
  return b;
}

BucketSets BucketSets::V1() {
  BucketSets b;
  b.ttft = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1,  0.25,  0.5,   0.75,
            1.0,   2.5,   5.0,  7.5,  10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0};
  b.tpot = {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2,  0.3,  0.4, 0.5,
            0.75, 1.0,   2.5,  5.0,   7.5, 10.0, 20.0, 40.0, 80.0};
  b.e2e = {0.3,  0.5,  0.8,  1.0,  1.5,   2.0,   2.5,   5.0,   10.0,   15.0,  20.0,
           30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0};
  b.phase = b.e2e;
  b.iteration_tokens = {1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384};
  return b;
}

const char* FinishReasonName(FinishReason r) {
  switch (r) {
    case FinishReason::kStop:
      return "stop";
    case FinishReason::kLength:
      return "length";
    case FinishReason::kAbort:
      return "abort";
    case FinishReason::kError:
      return "error";
  }
  return "error";
}

bool ParseArrivalPattern(std::string_view text, ArrivalPattern* out) {
  if (text == "steady")
    *out = ArrivalPattern::kSteady;
  else if (text == "bursty")
    *out = ArrivalPattern::kBursty;
  else if (text == "diurnal")
    *out = ArrivalPattern::kDiurnal;
  else
    return false;
  return true;
}

uint64_t EngineStats::FinishedTotal() const {
  uint64_t n = 0;
  for (uint64_t f : finished) n += f;
  return n;
}

Engine::Engine(ModelOptions options, uint64_t seed) : options_(std::move(options)), rng_(seed) {
  const BucketSets& b = options_.buckets;
  Histogram tokens(Buckets125(options_.max_model_len));
  stats_.ttft = Histogram(b.ttft);
  stats_.tpot = Histogram(b.tpot);
  stats_.e2e = Histogram(b.e2e);
  stats_.queue_time = Histogram(b.phase);
  stats_.prefill_time = Histogram(b.phase);
  stats_.decode_time = Histogram(b.phase);
  stats_.inference_time = Histogram(b.phase);
  stats_.request_prompt_tokens = tokens;
  stats_.request_generation_tokens = tokens;
  stats_.request_max_tokens = tokens;
  stats_.iteration_tokens = Histogram(b.iteration_tokens);
  stats_.max_num_seqs = options_.max_num_seqs;
  if (options_.synthetic_max_tokens.empty()) options_.synthetic_max_tokens = {1024};
  ScheduleNextArrival();
}

double Engine::RateAt(double t) const {
  const TrafficOptions& tr = options_.traffic;
  switch (tr.pattern) {
    case ArrivalPattern::kSteady:
      return tr.rate;
    case ArrivalPattern::kBursty: {
      double phase = std::fmod(t, std::max(tr.burst_period_seconds, 1e-3));
      return phase < tr.burst_seconds ? tr.rate * tr.burst_multiplier : tr.rate;
    }
    case ArrivalPattern::kDiurnal: {
      double a = std::clamp(tr.diurnal_amplitude, 0.0, 1.0);
      return tr.rate * (1 + a * std::sin(2 * M_PI * t / std::max(tr.diurnal_period_seconds, 1e-3)));
    }
  }
  return tr.rate;
}

double Engine::PeakRate() const {
  const TrafficOptions& tr = options_.traffic;
  switch (tr.pattern) {
    case ArrivalPattern::kSteady:
      return tr.rate;
    case ArrivalPattern::kBursty:
      return tr.rate * std::max(1.0, tr.burst_multiplier);
    case ArrivalPattern::kDiurnal:
      return tr.rate * (1 + std::clamp(tr.diurnal_amplitude, 0.0, 1.0));
  }
  return tr.rate;
}

// Non-homogeneous Poisson arrivals by thinning: candidates at the peak rate, each kept with
// probability rate(t) / peak.
void Engine::ScheduleNextArrival() {
  double peak = PeakRate();
  if (!(peak > 0)) {
    next_arrival_ = std::numeric_limits<double>::infinity();
    return;
  }
  // From the previous arrival, not from now: several arrivals may fall in one iteration.
  double t = std::isinf(next_arrival_) ? now_ : next_arrival_;
  for (int tries = 0; tries < 10000; ++tries) {
    t += rng_.Exponential(peak);
    if (rng_.Uniform() * peak <= RateAt(t)) break;
  }
  next_arrival_ = t;
}

RequestSpec Engine::DrawSynthetic() {
  RequestSpec spec;
  const int limit = std::max(2, options_.max_model_len);
  spec.prompt_tokens = std::clamp(
      static_cast<int>(std::lround(rng_.LogNormal(options_.prompt_median, options_.prompt_sigma))),
      1, limit / 2);
  const auto& caps = options_.synthetic_max_tokens;
  spec.max_tokens = std::max(1, caps[rng_.Below(caps.size())]);
  spec.max_tokens = std::min(spec.max_tokens, limit - spec.prompt_tokens);
  spec.natural_tokens = std::max(
      1,
      static_cast<int>(std::lround(rng_.LogNormal(options_.output_median, options_.output_sigma))));
  spec.fail_at_token = rng_.Bernoulli(options_.error_probability)
                           ? static_cast<int>(rng_.Below(std::max(1, spec.natural_tokens)))
                           : -1;
  return spec;
}

uint64_t Engine::Submit(const RequestSpec& spec, DoneCallback done, TokenCallback on_token) {
  if (static_cast<int>(waiting_.size()) >= options_.max_waiting) {
    ++stats_.rejected;
    return 0;
  }
  Request r;
  r.id = next_id_++;
  r.spec = spec;
  r.spec.prompt_tokens = std::max(1, r.spec.prompt_tokens);
  r.spec.max_tokens = std::max(1, r.spec.max_tokens);
  r.synthetic = false;
  r.arrival = now_;
  r.done = std::move(done);
  r.on_token = std::move(on_token);
  waiting_.push_back(std::move(r));
  UpdateGauges();
  return waiting_.back().id;
}

void Engine::Abort(uint64_t id) {
  for (Request& r : waiting_) {
    if (r.id == id) r.abort_at = r.generated == 0 && r.admitted < 0 ? 0 : r.generated + 1;
  }
  for (Request& r : running_) {
    if (r.id == id) r.abort_at = r.generated + 1;
  }
}

double Engine::IdleFor() const {
  if (!waiting_.empty() || !running_.empty()) return 0;
  return std::max(0.0, next_arrival_ - now_);
}

void Engine::AdvanceTo(double t) {
  while (true) {
    // Synthetic arrivals up to now.
    while (next_arrival_ <= now_) {
      double at = next_arrival_;
      ScheduleNextArrival();
      if (static_cast<int>(waiting_.size()) >= options_.max_waiting) {
        ++stats_.rejected;
        continue;
      }
      Request r;
      r.id = next_id_++;
      r.spec = DrawSynthetic();
      r.synthetic = true;
      r.arrival = at;
      if (rng_.Bernoulli(options_.abort_probability)) {
        r.abort_at = static_cast<int>(rng_.Below(std::max(1, r.spec.natural_tokens)));
      }
      waiting_.push_back(std::move(r));
    }
    if (now_ >= t) break;
    if (waiting_.empty() && running_.empty()) {
      if (next_arrival_ > t) {
        now_ = t;
        break;
      }
      now_ = next_arrival_;
      continue;
    }
    Iterate();
  }
  UpdateGauges();
}

void Engine::Iterate() {
  // 1. Admission, first come first served, while the batch and the KV cache have room.
  int64_t prefill_tokens = 0;
  while (!waiting_.empty() && static_cast<int>(running_.size()) < options_.max_num_seqs) {
    Request& head = waiting_.front();
    if (head.abort_at == 0) {  // the client gave up while queued
      Request r = std::move(head);
      waiting_.pop_front();
      Finish(r, FinishReason::kAbort);
      continue;
    }
    if (kv_used_ + Footprint(head) + 1 > options_.kv_cache_tokens) {
      if (running_.empty() && Footprint(head) + 1 > options_.kv_cache_tokens) {
        // Can never fit: vLLM rejects such prompts; finish it by length with what it has.
        Request r = std::move(head);
        waiting_.pop_front();
        Finish(r, FinishReason::kLength);
        continue;
      }
      break;
    }
    Request r = std::move(head);
    waiting_.pop_front();
    if (r.admitted < 0) r.admitted = now_;
    r.prefilled = false;
    kv_used_ += Footprint(r);
    prefill_tokens += Footprint(r);
    if (r.first_token < 0) {
      stats_.prefix_cache_queries += r.spec.prompt_tokens;
      // A share of prompts repeats a cached prefix (system prompts), in 16-token blocks.
      stats_.prefix_cache_hits +=
          static_cast<uint64_t>(r.spec.prompt_tokens * 0.5 * rng_.Uniform()) / 16 * 16;
    }
    running_.push_back(std::move(r));
  }
  // 2. Every running request needs one more KV slot; preempt the newest until they fit.
  while (!running_.empty() &&
         kv_used_ + static_cast<int64_t>(running_.size()) > options_.kv_cache_tokens) {
    Request r = std::move(running_.back());
    running_.pop_back();
    kv_used_ -= Footprint(r);
    if (!r.prefilled) prefill_tokens -= Footprint(r);
    r.prefilled = false;
    ++stats_.preemptions;
    waiting_.push_front(std::move(r));
  }
  if (running_.empty()) return;
  // 3. One iteration: prefill of the admitted, one decode step for the others.
  int decoding = 0;
  for (const Request& r : running_) decoding += r.prefilled ? 1 : 0;
  double duration = options_.decode_base_seconds +
                    options_.decode_per_seq_seconds * static_cast<double>(running_.size()) +
                    static_cast<double>(prefill_tokens) / options_.prefill_tokens_per_second;
  stats_.iteration_tokens.Observe(static_cast<double>(prefill_tokens + decoding));
  now_ += duration;
  // 4. Tokens and finishes.
  std::vector<Request> still;
  still.reserve(running_.size());
  for (Request& r : running_) {
    bool fresh = !r.prefilled;
    r.prefilled = true;
    if (fresh && r.spec.fail_at_token == 0 && r.generated == 0) {
      kv_used_ -= Footprint(r);
      Finish(r, FinishReason::kError);
      continue;
    }
    if (r.first_token < 0) {
      r.first_token = now_;
    } else {
      // An inter-token interval (for a request recomputed after preemption it spans the wait).
      const auto& b = stats_.tpot.bounds;
      if (r.tpot_counts.empty()) r.tpot_counts.assign(b.size() + 1, 0);
      double gap = now_ - r.last_token;
      r.tpot_counts[std::lower_bound(b.begin(), b.end(), gap) - b.begin()]++;
      r.tpot_sum += gap;
    }
    r.last_token = now_;
    ++r.generated;
    ++kv_used_;
    if (r.on_token) r.on_token(r.generated);
    std::optional<FinishReason> reason;
    if (r.spec.fail_at_token >= 0 && r.generated >= r.spec.fail_at_token) {
      reason = FinishReason::kError;
    } else if (r.abort_at > 0 && r.generated >= r.abort_at) {
      reason = FinishReason::kAbort;
    } else if (r.generated >= r.spec.natural_tokens && r.generated < r.spec.max_tokens) {
      reason = FinishReason::kStop;
    } else if (r.generated >= r.spec.max_tokens ||
               r.spec.prompt_tokens + r.generated >= options_.max_model_len) {
      reason = FinishReason::kLength;
    }
    if (reason) {
      kv_used_ -= Footprint(r);
      Finish(r, *reason);
    } else {
      still.push_back(std::move(r));
    }
  }
  running_ = std::move(still);
}

void Engine::Finish(Request& r, FinishReason reason) {
  EngineStats& s = stats_;
  s.finished[static_cast<int>(reason)]++;
  s.prompt_tokens += r.spec.prompt_tokens;
  s.generation_tokens += r.generated;
  s.request_prompt_tokens.Observe(r.spec.prompt_tokens);
  s.request_generation_tokens.Observe(r.generated);
  s.request_max_tokens.Observe(r.spec.max_tokens);
  s.e2e.Observe(now_ - r.arrival);
  if (r.first_token >= 0) s.ttft.Observe(r.first_token - r.arrival);
  for (size_t i = 0; i < r.tpot_counts.size(); ++i) s.tpot.counts[i] += r.tpot_counts[i];
  uint64_t gaps = r.generated > 0 ? r.generated - 1 : 0;
  s.tpot.count += gaps;
  s.tpot.sum += r.tpot_sum;
  if (r.admitted >= 0) {
    s.queue_time.Observe(r.admitted - r.arrival);
    if (r.first_token >= 0) {
      s.prefill_time.Observe(r.first_token - r.admitted);
      s.decode_time.Observe(r.last_token - r.first_token);
    }
    s.inference_time.Observe(now_ - r.admitted);
  }
  Completion c;
  c.id = r.id;
  c.reason = reason;
  c.prompt_tokens = r.spec.prompt_tokens;
  c.completion_tokens = r.generated;
  c.max_tokens = r.spec.max_tokens;
  c.synthetic = r.synthetic;
  c.arrival = r.arrival;
  c.first_token = r.first_token;
  c.finished = now_;
  c.queue_seconds = r.admitted >= 0 ? r.admitted - r.arrival : now_ - r.arrival;
  c.prefill_seconds = (r.admitted >= 0 && r.first_token >= 0) ? r.first_token - r.admitted : 0;
  if (r.done) r.done(c);
  if (r.synthetic && synthetic_observer_) synthetic_observer_(c);
}

void Engine::UpdateGauges() {
  stats_.running = static_cast<int>(running_.size());
  stats_.waiting = static_cast<int>(waiting_.size());
  stats_.kv_usage = options_.kv_cache_tokens > 0
                        ? std::min(1.0, static_cast<double>(kv_used_) /
                                            static_cast<double>(options_.kv_cache_tokens))
                        : 0;
}

}  // namespace astrolabe::sim
