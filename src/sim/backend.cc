#include "sim/backend.h"

#include <algorithm>
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
  uint64_t seen = completions_;
  while (!stop_) {
    AdvanceLocked();
    if (completions_ != seen) {
      seen = completions_;
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

ApiResponse ModelBackend::Serve(ApiKind kind, std::string_view body, bool force_error) {
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

  auto slot = std::make_shared<std::optional<Completion>>();
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
  uint64_t id = engine->Submit(spec, [this, slot](const Completion& c) {
    *slot = c;
    ++completions_;
  });
  if (id == 0) {
    return ErrorResponse(
        {429,
         "The server is overloaded: " + std::to_string(engine->options().max_waiting) +
             " requests are already waiting. Retry later.",
         "rate_limit_error", "", "rate_limit_exceeded"});
  }
  response_id = next_response_id_++;
  cv_.notify_one();
  bool done =
      done_cv_.wait_for(lock, options_.request_timeout, [&] { return slot->has_value() || stop_; });
  if (!slot->has_value()) {
    if (!done) {
      return ErrorResponse(
          {504, "The request timed out in the simulator.", "server_error", "", ""});
    }
    return ErrorResponse({503, "The server is shutting down.", "server_error", "", ""});
  }
  Completion c = **slot;
  lock.unlock();

  if (c.reason == FinishReason::kError || c.reason == FinishReason::kAbort) {
    return ErrorResponse({500, "Internal server error: the engine failed while generating.",
                          "server_error", "", ""});
  }
  ResponseMeta meta;
  char hex[32];
  std::snprintf(hex, sizeof hex, "%016" PRIx64,
                static_cast<uint64_t>(req.text_hash ^ (response_id * 0x9e3779b97f4a7c15ULL)));
  meta.id = std::string(kind == ApiKind::kChat ? "chatcmpl-" : "cmpl-") + hex;
  meta.created = options_.clock->NowUnixNanos() / 1'000'000'000;
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
