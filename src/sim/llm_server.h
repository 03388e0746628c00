#pragma once
// LlmSimulator: `astrolabe sim nim|vllm|openai` — an HTTP server in front of a ModelBackend.
//
//   flavour  metrics                                   API
//   nim      GET /v1/metrics and /metrics (NIM 1.x)    OpenAI-compatible, /v1/health/{ready,live}
//   vllm     GET /metrics (vllm:*, V1 labels/buckets)  OpenAI-compatible, /health
//   openai   none                                      OpenAI-compatible
//
// The OpenAI-compatible API: POST /v1/chat/completions, /v1/completions, /v1/embeddings and
// GET /v1/models. API requests join the simulation beside the synthetic traffic and drive the
// same metrics. A request with header `x-sim-fail: error` fails with 500 (for tests/demos).
//
//   LlmSimulatorOptions o;  o.flavor = Flavor::kNim;  o.listen_address = "127.0.0.1:0";
//   LlmSimulator sim(o);
//   RETURN_IF_ERROR(sim.Start());   // sim.port()
//   ...
//   sim.Shutdown();
//
// Threads: Start/Shutdown from the owner; the rest from any thread. API requests hold an HTTP
// I/O thread while they run (see backend.h), hence io_threads.

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "sim/backend.h"

namespace astrolabe::net {
class HttpServer;
struct ServerResponse;
}  // namespace astrolabe::net

namespace astrolabe::sim {

// A StreamSink over a net::ServerResponse: Begin() sets the head (200, the stream's
// Content-Type, Cache-Control: no-cache), which leaves with the first piece; each piece is one
// chunk (ServerResponse::Write).
// Used by the simulators' HTTP handlers; lives for one handler call.
class ResponseSink final : public StreamSink {
 public:
  explicit ResponseSink(net::ServerResponse& response) : response_(response) {}
  bool Begin(const ApiResponse& head) override;
  bool Send(std::string_view piece) override;
  bool ClientGone() override;

 private:
  net::ServerResponse& response_;
};

enum class Flavor { kNim, kVllm, kOpenAI };
// "nim" | "vllm" | "openai".
bool ParseFlavor(std::string_view text, Flavor* out);
const char* FlavorName(Flavor f);

struct LlmSimulatorOptions {
  Flavor flavor = Flavor::kNim;
  std::string listen_address = "127.0.0.1:8000";
  std::vector<std::string> models;  // empty: the flavour's default model
  TrafficOptions traffic;           // per model
  uint64_t seed = 1;
  double time_scale = 1.0;
  double api_error_probability = 0.004;
  int max_num_seqs = 64;
  int max_waiting = 256;
  int io_threads = 32;
  Clock* clock = &Clock::Real();
};

// The default model per flavour: meta/llama-3.1-8b-instruct (nim),
// meta-llama/Llama-3.1-8B-Instruct (vllm), gpt-4o-mini (openai).
std::string DefaultModel(Flavor f);
// The engine settings a flavour uses for `model` (bucket sets, sizes).
ModelOptions MakeModelOptions(Flavor f, const std::string& model, const LlmSimulatorOptions& o);

class LlmSimulator {
 public:
  explicit LlmSimulator(LlmSimulatorOptions options);
  ~LlmSimulator();
  LlmSimulator(const LlmSimulator&) = delete;
  LlmSimulator& operator=(const LlmSimulator&) = delete;

  // Binds the listen address and starts the simulation. Errors name the address.
  // REQUIRES: called at most once.
  Status Start();
  // Stops serving (in-flight requests get 503) and the simulation. Idempotent.
  void Shutdown();

  int port() const;
  std::string address() const;

  // The current exposition (what GET /metrics returns); empty for the openai flavour.
  std::string Metrics();

  ModelBackend& backend() { return *backend_; }
  const LlmSimulatorOptions& options() const { return options_; }

 private:
  LlmSimulatorOptions options_;
  std::unique_ptr<ModelBackend> backend_;
  std::unique_ptr<net::HttpServer> server_;
};

}  // namespace astrolabe::sim
