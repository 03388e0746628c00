#include "sim/backend.h"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>

namespace astrolabe::sim {

ModelBackend::ModelBackend(BackendOptions options)
    : options_(std::move(options)), start_(options_.clock->Steady()), rng_(options_.seed ^ 0xa5a5) {
  if (!(options_.time_scale > 0)) options_.time_scale = 1;
  uint64_t seed = options_.seed;
  for (const ModelOptions& m : options_.models) {
    engines_.push_back(std::make_unique<Engine>(m, seed));
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
  }
}

ModelBackend::~ModelBackend() { Stop(); }

void ModelBackend::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (runner_.joinable() || stop_) return;
  runner_ = std::thread([this] { Run(); });
}

void ModelBackend::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  done_cv_.notify_all();
  if (runner_.joinable()) runner_.join();
}

double ModelBackend::SimNow() const {
  return std::chrono::duration<double>(options_.clock->Steady() - start_).count() *
         options_.time_scale;
}

std::vector<std::string> ModelBackend::model_names() const {
  std::vector<std::string> out;
  for (const auto& e : engines_) out.push_back(e->options().name);
  return out;
}

bool ModelBackend::HasModel(std::string_view model) const {
  for (const auto& e : engines_) {
    if (e->options().name == model) return true;
  }
  return false;
}

void ModelBackend::AdvanceLocked() {
  double t = SimNow();
  for (auto& e : engines_) e->AdvanceTo(t);
}

void ModelBackend::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  uint64_t seen = events_;
  while (!stop_) {
    AdvanceLocked();
    if (events_ != seen) {
      seen = events_;
      done_cv_.notify_all();
    }
    // A busy engine has run its current iteration to its end (now() is ahead of the clock):
    // sleep until the clock catches up with the earliest such end, 1-20 ms. Idle engines sleep
    // until the next synthetic arrival, at most a second.
    double idle = std::numeric_limits<double>::infinity();
    double busy_until = std::numeric_limits<double>::infinity();
    for (const auto& e : engines_) {
      double d = e->IdleFor();
      idle = std::min(idle, d);
      if (d == 0) busy_until = std::min(busy_until, e->now());
    }
    double wall;
    if (idle == 0) {
      wall = std::clamp((busy_until - SimNow()) / options_.time_scale, 0.001, 0.020);
    } else {
      wall = std::clamp(idle / options_.time_scale, 0.001, 1.0);
    }
    auto wait = std::chrono::microseconds(static_cast<int64_t>(wall * 1e6));
    cv_.wait_for(lock, wait);
  }
}

void ModelBackend::WithStats(const std::function<void(const std::vector<ModelStatsView>&)>& fn) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!stop_) AdvanceLocked();
  std::vector<ModelStatsView> views;
  for (const auto& e : engines_) views.push_back({e->options().name, &e->stats()});
  fn(views);
}

void ModelBackend::SetSyntheticObserver(
    const std::function<void(const std::string& model, const Completion&)>& cb) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& e : engines_) {
    std::string name = e->options().name;
    e->set_synthetic_observer([cb, name](const Completion& c) { cb(name, c); });
  }
}

namespace {

ApiResponse ErrorResponse(const ApiError& e) {
  ApiResponse r;
  r.status = e.status;
  r.body = ErrorJson(e);
  return r;
}

}  // namespace

ApiResponse ModelBackend::Serve(ApiKind kind, std::string_view body, bool force_error,
                                StreamSink* sink) {
  ApiRequest req;
  ApiError err;
  if (!ParseApiRequest(kind, body, &req, &err)) return ErrorResponse(err);
  Engine* engine = nullptr;
  for (auto& e : engines_) {
    if (e->options().name == req.model) engine = e.get();
  }
  if (engine == nullptr) {
    return ErrorResponse({404, "The model `" + req.model + "` does not exist.",
                          "invalid_request_error", "model", "model_not_found"});
  }
  if (kind == ApiKind::kEmbedding) {
    int64_t dims = req.dimensions > 0 ? req.dimensions : options_.embedding_dimensions;
    if (dims * req.inputs > (int64_t{1} << 21)) {  // ~20 MiB of JSON
      return ErrorResponse({400,
                            "inputs × dimensions must not exceed 2097152 (got " +
                                std::to_string(req.inputs) + " × " + std::to_string(dims) + ")",
                            "invalid_request_error", "input", ""});
    }
    ApiResponse r;
    r.body = EmbeddingsJson(req, options_.embedding_dimensions);
    r.prompt_tokens = req.prompt_tokens;
    return r;
  }
  const int max_len = engine->options().max_model_len;
  if (req.max_tokens == 0) req.max_tokens = std::max(1, max_len - req.prompt_tokens);
  if (static_cast<int64_t>(req.prompt_tokens) + req.max_tokens > max_len) {
    return ErrorResponse(
        {400,
         "This model's maximum context length is " + std::to_string(max_len) +
             " tokens. However, you requested " +
             std::to_string(static_cast<int64_t>(req.prompt_tokens) + req.max_tokens) +
             " tokens (" + std::to_string(req.prompt_tokens) + " in the messages, " +
             std::to_string(req.max_tokens) +
             " in the completion). Please reduce the length of the messages or completion.",
         "invalid_request_error", "messages", ""});
  }

  // Filled by the engine's callbacks on the runner thread, under mu_.
  struct Progress {
    int generated = 0;
    std::optional<Completion> done;
  };
  auto progress = std::make_shared<Progress>();
  const bool streaming = req.stream && sink != nullptr;
  uint64_t response_id;
  std::unique_lock<std::mutex> lock(mu_);
  if (stop_) {
    return ErrorResponse({503, "The server is shutting down.", "server_error", "", ""});
  }
  AdvanceLocked();
  RequestSpec spec;
  spec.prompt_tokens = req.prompt_tokens;
  spec.max_tokens = req.max_tokens;
  spec.natural_tokens = engine->DrawSynthetic().natural_tokens;
  if (force_error) {
    spec.fail_at_token = 0;
  } else if (rng_.Bernoulli(options_.api_error_probability)) {
    spec.fail_at_token = static_cast<int>(rng_.Below(std::max(1, spec.natural_tokens)));
  }
  Engine::TokenCallback on_token;
  if (streaming) {
    on_token = [this, progress](int generated) {
      progress->generated = generated;
      ++events_;
    };
  }
  uint64_t id = engine->Submit(
      spec,
      [this, progress](const Completion& c) {
        progress->done = c;
        ++events_;
      },
      std::move(on_token));
  if (id == 0) {
    return ErrorResponse(
        {429,
         "The server is overloaded: " + std::to_string(engine->options().max_waiting) +
             " requests are already waiting. Retry later.",
         "rate_limit_error", "", "rate_limit_exceeded"});
  }
  response_id = next_response_id_++;
  cv_.notify_one();

  ResponseMeta meta;
  char hex[32];
  std::snprintf(hex, sizeof hex, "%016" PRIx64,
                static_cast<uint64_t>(req.text_hash ^ (response_id * 0x9e3779b97f4a7c15ULL)));
  meta.id = std::string(kind == ApiKind::kChat ? "chatcmpl-" : "cmpl-") + hex;
  meta.created = options_.clock->NowUnixNanos() / 1'000'000'000;
  if (streaming) {
    // Token by token: wait for tokens under the lock, send them without it. The stream
    // starts (status line, role chunk) with the first token, so a request that fails, times
    // out or is abandoned before it gets a plain response; afterwards a failure is an error
    // event. The text is GenerateTokens(seed, n) cut at the tokens generated so far: the same
    // text a non-streamed answer of that length has.
    const auto deadline = std::chrono::steady_clock::now() + options_.request_timeout;
    const int most = std::max(1, std::min(spec.natural_tokens, spec.max_tokens));
    std::vector<std::string> tokens;
    ApiResponse r;
    r.streamed = true;
    r.content_type = "text/event-stream; charset=utf-8";
    int emitted = 0;
    auto abandon = [&](int status) {
      // REQUIRES: lock held. The client went away: the engine aborts the request.
      engine->Abort(id);
      cv_.notify_one();
      r.status = status;
      return r;
    };
    while (true) {
      done_cv_.wait_for(lock, std::chrono::milliseconds(100), [&] {
        return progress->generated > emitted || progress->done.has_value() || stop_;
      });
      const int generated = progress->generated;
      const std::optional<Completion> done = progress->done;
      const bool stopping = stop_ && !done;
      const bool timed_out = !done && std::chrono::steady_clock::now() > deadline;
      const bool failed =
          done && (done->reason == FinishReason::kError || done->reason == FinishReason::kAbort);
      if (!r.sent) {
        if (failed) {
          return ErrorResponse({500, "Internal server error: the engine failed while generating.",
                                "server_error", "", ""});
        }
        if (stopping) {
          return ErrorResponse({503, "The server is shutting down.", "server_error", "", ""});
        }
        if (timed_out) {
          engine->Abort(id);
          return ErrorResponse(
              {504, "The request timed out in the simulator.", "server_error", "", ""});
        }
        if (generated == 0 && !done) {
          lock.unlock();
          bool gone = sink->ClientGone();
          lock.lock();
          if (gone) return abandon(499);
          continue;
        }
      }
      lock.unlock();
      std::string piece;
      if (!r.sent) {
        tokens = GenerateTokens(req.text_hash ^ response_id, most);
        r.sent = true;
        if (!sink->Begin(r)) {
          lock.lock();
          return abandon(499);
        }
        piece = SseFirstChunk(req, meta);
      }
      for (; emitted < generated; ++emitted) {
        if (emitted < static_cast<int>(tokens.size()))
          piece += SseTokenChunk(req, meta, tokens[emitted]);
      }
      if (done) {
        if (failed) {
          r.status = 500;
          piece += SseErrorEvent({500, "Internal server error: the engine failed while generating.",
                                  "server_error", "", ""});
        } else {
          r.prompt_tokens = done->prompt_tokens;
          r.completion_tokens = done->completion_tokens;
          piece += SseLastChunks(req, meta, *done);
        }
      } else if (stopping || timed_out) {
        r.status = stopping ? 503 : 504;
        piece += SseErrorEvent(
            {r.status,
             stopping ? "The server is shutting down." : "The request timed out in the simulator.",
             "server_error", "", ""});
      }
      bool ok = piece.empty() || sink->Send(piece);
      lock.lock();
      if (!ok) return abandon(499);
      if (done || stopping || timed_out) {
        if (timed_out) engine->Abort(id);
        return r;
      }
    }
  }

  bool done = done_cv_.wait_for(lock, options_.request_timeout,
                                [&] { return progress->done.has_value() || stop_; });
  if (!progress->done.has_value()) {
    if (!done) {
      return ErrorResponse(
          {504, "The request timed out in the simulator.", "server_error", "", ""});
    }
    return ErrorResponse({503, "The server is shutting down.", "server_error", "", ""});
  }
  Completion c = *progress->done;
  lock.unlock();

  if (c.reason == FinishReason::kError || c.reason == FinishReason::kAbort) {
    return ErrorResponse({500, "Internal server error: the engine failed while generating.",
                          "server_error", "", ""});
  }
  std::vector<std::string> tokens =
      GenerateTokens(req.text_hash ^ response_id, c.completion_tokens);
  ApiResponse r;
  r.prompt_tokens = c.prompt_tokens;
  r.completion_tokens = c.completion_tokens;
  if (req.stream) {
    r.streamed = true;
    r.content_type = "text/event-stream; charset=utf-8";
    r.body = CompletionSse(req, meta, tokens, c);
  } else {
    r.body = CompletionJson(req, meta, tokens, c);
  }
  return r;
}

}  // namespace astrolabe::sim
