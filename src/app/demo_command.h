#pragma once
// `astrolabe demo`: the whole system on one machine, live within 30 s (docs/demo.md).
//
// What runs, and where:
//   - in this process (threads): two NIM simulators, a vLLM simulator and a Kong simulator on
//     free loopback ports (src/sim), and the traffic generator (src/demo) calling models
//     through Kong and sending GenAI spans and logs to the server;
//   - child processes of this same binary: `astrolabe server` on the data directory, which
//     scrapes NIM #1, vLLM and Kong itself (a `prometheus` receiver in a config file merged
//     over its built-in pipeline), and `astrolabe collector` running the NVIDIA NIM page's
//     pipeline (prometheus → cumulativetodelta → otlphttp with an Api-Token header) on NIM #2
//     into the server's /api/v2/otlp.
// Why children for those two: they are then exactly the commands a user runs (their own run
// loop, signal handling, logs and one pipeline Supervisor per process), and the collector path
// crosses a real process boundary and a real network hop, as it does in the documents. The
// simulators and the generator are libraries made to run in-process.
//
// The children run in their own process group (Ctrl-C reaches only the demo, which stops them in
// order) with PR_SET_PDEATHSIG, so they die with the demo even when it is killed.
// SIGINT/SIGTERM: the generator stops and flushes, the children get SIGTERM, the simulators
// stop; a child still running after 4 s is killed. The data directory is a fresh temporary
// one removed on exit, unless --keep or --data DIR (a directory the user named is never
// removed).

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

namespace astrolabe::app {

struct DemoOptions {
  std::string http = "127.0.0.1:8080";  // the server's API listener
  std::string data_dir;                 // empty: a new temporary directory
  bool keep = false;                    // keep the temporary data directory
  double rate = 2.0;                    // workflows per second of the traffic generator
  uint64_t seed = 1;
};

// Registers the `demo` subcommand on `app`, filling `options`.
CLI::App* AddDemoCommand(CLI::App& app, DemoOptions& options);

// Runs the demo until SIGINT/SIGTERM. 0 after an orderly stop; 1 when something could not
// start or a child exited on its own (its log's last lines are printed).
int RunDemo(const DemoOptions& options);

}  // namespace astrolabe::app
