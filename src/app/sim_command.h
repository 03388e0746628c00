#pragma once
// `astrolabe sim nim|vllm|kong|openai`: the simulators on their own (src/sim).

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace astrolabe::app {

struct SimOptions {
  std::string kind;  // nim | vllm | kong | openai
  std::string listen;
  std::vector<std::string> models;
  std::vector<std::string> upstreams;  // kong: [MODEL=]URL
  double rate = 1.0;
  std::string pattern = "steady";
  uint64_t seed = 1;
  double time_scale = 1.0;
  double error_rate = 0.004;
  int max_num_seqs = 64;
  int max_waiting = 256;
};

// Registers the `sim` subcommand on `app`, filling `options`.
CLI::App* AddSimCommand(CLI::App& app, SimOptions& options);

// Runs the simulator until SIGINT/SIGTERM. 0 after an orderly stop, 1 on a bad option or a
// listen failure.
int RunSim(const SimOptions& options);

}  // namespace astrolabe::app
