#include "app/sim_command.h"

#include <signal.h>

#include <iostream>
#include <memory>

#include "common/log.h"
#include "sim/kong.h"
#include "sim/llm_server.h"

namespace astrolabe::app {

CLI::App* AddSimCommand(CLI::App& app, SimOptions& o) {
  auto* cmd = app.add_subcommand(
      "sim",
      "Run a simulated NVIDIA NIM, vLLM, Kong AI Gateway or OpenAI-compatible server: Prometheus\n"
      "metrics in the real names and shapes, and an OpenAI-compatible API whose requests join the\n"
      "simulation. Runs until SIGINT/SIGTERM.");
  cmd->add_option("kind", o.kind, "nim | vllm | kong | openai")
      ->required()
      ->check(CLI::IsMember({"nim", "vllm", "kong", "openai"}));
  cmd->add_option("--listen", o.listen,
                  "host:port (default 127.0.0.1:8000 for nim/vllm/openai, 127.0.0.1:8100 for kong)")
      ->type_name("ADDR");
  cmd->add_option("--model", o.models, "Model to serve (repeatable; default: the flavour's own)")
      ->type_name("M");
  cmd->add_option("--rate", o.rate, "Synthetic requests per second per model (0: API traffic only)")
      ->check(CLI::Range(0.0, 100000.0));
  cmd->add_option("--pattern", o.pattern, "Arrival pattern of the synthetic traffic")
      ->check(CLI::IsMember({"steady", "bursty", "diurnal"}));
  cmd->add_option("--seed", o.seed, "Seed of every random choice");
  cmd->add_option("--upstream", o.upstreams,
                  "kong: [MODEL=]URL of an OpenAI-compatible upstream (repeatable)")
      ->type_name("URL");
  cmd->add_option("--time-scale", o.time_scale,
                  "Simulated seconds per wall-clock second (>1 runs faster)")
      ->check(CLI::Range(0.001, 10000.0));
  cmd->add_option("--error-rate", o.error_rate, "Fraction of API requests that fail with 500")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--max-num-seqs", o.max_num_seqs, "Running batch cap per model")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--max-waiting", o.max_waiting,
                  "Waiting-queue cap per model; beyond it API requests get 429")
      ->check(CLI::Range(0, 1000000));
  return cmd;
}

int RunSim(const SimOptions& o) {
  auto log = GetLogger("sim");
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  sim::TrafficOptions traffic;
  traffic.rate = o.rate;
  sim::ParseArrivalPattern(o.pattern, &traffic.pattern);

  std::unique_ptr<sim::LlmSimulator> llm;
  std::unique_ptr<sim::KongSimulator> kong;
  Status started;
  std::string address;
  if (o.kind == "kong") {
    sim::KongSimulatorOptions ko;
    ko.listen_address = o.listen.empty() ? "127.0.0.1:8100" : o.listen;
    ko.traffic = traffic;
    ko.seed = o.seed;
    ko.time_scale = o.time_scale;
    ko.api_error_probability = o.error_rate;
    ko.routes = sim::DefaultKongRoutes();
    if (!o.models.empty()) {
      // --model narrows the built-in provider routes to the ones named.
      std::vector<sim::KongRoute> kept;
      for (const auto& r : ko.routes) {
        for (const auto& m : o.models) {
          if (r.model == m) kept.push_back(r);
        }
      }
      ko.routes = kept;
    }
    for (const auto& u : o.upstreams) {
      Result<sim::KongRoute> route = sim::ParseUpstreamRoute(u);
      if (!route.ok()) {
        std::cerr << "astrolabe sim kong: --upstream: " << route.status().message() << "\n";
        return 1;
      }
      ko.routes.push_back(*route);
    }
    if (ko.routes.empty()) {
      std::cerr << "astrolabe sim kong: no routes (the --model values match no built-in route "
                   "and no --upstream was given)\n";
      return 1;
    }
    kong = std::make_unique<sim::KongSimulator>(ko);
    started = kong->Start();
    if (started.ok()) address = kong->address();
  } else {
    if (!o.upstreams.empty()) {
      std::cerr << "astrolabe sim " << o.kind << ": --upstream applies to kong only\n";
      return 1;
    }
    sim::LlmSimulatorOptions lo;
    sim::ParseFlavor(o.kind, &lo.flavor);
    lo.listen_address = o.listen.empty() ? "127.0.0.1:8000" : o.listen;
    lo.models = o.models;
    lo.traffic = traffic;
    lo.seed = o.seed;
    lo.time_scale = o.time_scale;
    lo.api_error_probability = o.error_rate;
    lo.max_num_seqs = o.max_num_seqs;
    lo.max_waiting = o.max_waiting;
    llm = std::make_unique<sim::LlmSimulator>(lo);
    started = llm->Start();
    if (started.ok()) address = llm->address();
  }
  if (!started.ok()) {
    std::cerr << "astrolabe sim " << o.kind << ": " << started.message() << "\n";
    return 1;
  }
  const char* metrics_path = o.kind == "nim" ? "/v1/metrics" : o.kind == "openai" ? "" : "/metrics";
  log->info(
      "sim {} listening on http://{} (metrics: {}; API: /v1/chat/completions, "
      "/v1/completions, /v1/embeddings, /v1/models)",
      o.kind, address, *metrics_path ? metrics_path : "none");
  // Tests and scripts read this line to find an ephemeral port.
  std::cout << "listening on " << address << std::endl;

  int sig = 0;
  while (sigwait(&signals, &sig) != 0) {
  }
  log->info("received {}: shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
  if (kong) kong->Shutdown();
  if (llm) llm->Shutdown();
  return 0;
}

}  // namespace astrolabe::app
