#include "sim/llm_server.h"

#include <chrono>

#include "net/http_server.h"
#include "sim/exposition.h"

namespace astrolabe::sim {

bool ParseFlavor(std::string_view text, Flavor* out) {
  if (text == "nim")
    *out = Flavor::kNim;
  else if (text == "vllm")
    *out = Flavor::kVllm;
  else if (text == "openai")
    *out = Flavor::kOpenAI;
  else
    return false;
  return true;
}

const char* FlavorName(Flavor f) {
  switch (f) {
    case Flavor::kNim:
      return "nim";
    case Flavor::kVllm:
      return "vllm";
    case Flavor::kOpenAI:
      return "openai";
  }
  return "nim";
}

std::string DefaultModel(Flavor f) {
  switch (f) {
    case Flavor::kNim:
      return "meta/llama-3.1-8b-instruct";
    case Flavor::kVllm:
      return "meta-llama/Llama-3.1-8B-Instruct";
    case Flavor::kOpenAI:
      return "gpt-4o-mini";
  }
  return "gpt-4o-mini";
}

ModelOptions MakeModelOptions(Flavor f, const std::string& model, const LlmSimulatorOptions& o) {
  ModelOptions m;
  m.name = model;
  m.max_num_seqs = o.max_num_seqs;
  m.max_waiting = o.max_waiting;
  m.traffic = o.traffic;
  m.buckets = f == Flavor::kVllm ? BucketSets::V1() : BucketSets::V0();
  // Bigger models decode more slowly: a rough size hint from the name.
  if (model.find("70b") != std::string::npos || model.find("70B") != std::string::npos) {
    m.decode_base_seconds = 0.035;
    m.prefill_tokens_per_second = 6000;
    m.kv_cache_tokens = 120000;
  } else if (f == Flavor::kOpenAI) {
    m.decode_base_seconds = 0.011;
    m.max_num_seqs = std::max(o.max_num_seqs, 256);
    m.kv_cache_tokens = 1 << 22;
  }
  return m;
}

LlmSimulator::LlmSimulator(LlmSimulatorOptions options) : options_(std::move(options)) {
  if (options_.models.empty()) options_.models.push_back(DefaultModel(options_.flavor));
  BackendOptions b;
  for (const auto& model : options_.models) {
    b.models.push_back(MakeModelOptions(options_.flavor, model, options_));
  }
  b.seed = options_.seed;
  b.time_scale = options_.time_scale;
  b.api_error_probability = options_.api_error_probability;
  b.clock = options_.clock;
  b.owned_by = options_.flavor == Flavor::kOpenAI ? "openai"
               : options_.flavor == Flavor::kVllm ? "vllm"
                                                  : "system";
  backend_ = std::make_unique<ModelBackend>(std::move(b));
  net::HttpServerOptions so;
  so.listen_address = options_.listen_address;
  so.io_threads = std::max(1, options_.io_threads);
  so.log_name = std::string("sim/") + FlavorName(options_.flavor);
  server_ = std::make_unique<net::HttpServer>(so);
}

LlmSimulator::~LlmSimulator() { Shutdown(); }

std::string LlmSimulator::Metrics() {
  std::string out;
  if (options_.flavor == Flavor::kOpenAI) return out;
  int64_t kv = options_.flavor == Flavor::kVllm && !backend_->options().models.empty()
                   ? backend_->options().models.front().kv_cache_tokens
                   : 0;
  backend_->WithStats([&](const std::vector<ModelStatsView>& views) {
    if (options_.flavor == Flavor::kNim) {
      WriteNimExposition(views, &out);
    } else {
      WriteVllmExposition(views, kv, &out);
    }
  });
  return out;
}

namespace {

void Reply(net::ServerResponse& res, const ApiResponse& r) {
  if (r.sent) return;  // streamed: the server ends the stream when the handler returns
  res.Set(r.status, r.content_type, r.body);
  if (r.streamed) res.headers.Add("Cache-Control", "no-cache");
}

}  // namespace

bool ResponseSink::Begin(const ApiResponse& head) {
  response_.status = 200;
  response_.headers.Set("Content-Type", head.content_type);
  response_.headers.Set("Cache-Control", "no-cache");
  // The head goes out with the first piece (one write), which Serve() sends right after.
  return !response_.ClientGone();
}

bool ResponseSink::Send(std::string_view piece) { return response_.Write(piece).ok(); }

bool ResponseSink::ClientGone() { return response_.ClientGone(); }

Status LlmSimulator::Start() {
  ModelBackend* backend = backend_.get();
  auto api = [backend](ApiKind kind) {
    return [backend, kind](net::ServerRequest& req, net::ServerResponse& res) {
      auto fail = req.header("x-sim-fail");
      ResponseSink sink(res);
      Reply(res, backend->Serve(kind, req.body(), fail.has_value() && *fail == "error", &sink));
    };
  };
  for (ApiKind kind : {ApiKind::kChat, ApiKind::kCompletion, ApiKind::kEmbedding}) {
    server_->Handle("POST", ApiPath(kind), api(kind));
  }
  const auto models_created = options_.clock->NowUnixNanos() / 1'000'000'000;
  server_->Handle(
      "GET", "/v1/models", [this, models_created](net::ServerRequest&, net::ServerResponse& res) {
        res.Set(200, "application/json",
                ModelsJson(backend_->model_names(), models_created, backend_->options().owned_by));
      });
  auto metrics = [this](net::ServerRequest&, net::ServerResponse& res) {
    res.Set(200, "text/plain; version=0.0.4; charset=utf-8", Metrics());
  };
  auto ok = [](net::ServerRequest&, net::ServerResponse& res) {
    res.Set(200, "application/json",
            R"({"object":"health.response","message":"Service is ready."})");
  };
  switch (options_.flavor) {
    case Flavor::kNim:
      server_->Handle("GET", "/v1/metrics", metrics);
      server_->Handle("GET", "/metrics", metrics);
      server_->Handle("GET", "/v1/health/ready", ok);
      server_->Handle("GET", "/v1/health/live", ok);
      break;
    case Flavor::kVllm:
      server_->Handle("GET", "/metrics", metrics);
      server_->Handle("GET", "/health", [](net::ServerRequest&, net::ServerResponse& res) {
        res.Set(200, "text/plain", "");
      });
      break;
    case Flavor::kOpenAI:
      break;
  }
  RETURN_IF_ERROR(server_->Start());
  backend_->Start();
  return Status::Ok();
}

void LlmSimulator::Shutdown() {
  if (backend_) backend_->Stop();  // wakes blocked handlers (503) so the server can drain
  if (server_) server_->Shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(2));
}

int LlmSimulator::port() const { return server_->port(); }
std::string LlmSimulator::address() const { return server_->address(); }

}  // namespace astrolabe::sim
