#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <sstream>

#include "app/builtin_components.h"
#include "app/commands.h"
#include "app/run.h"
#include "app/config_loading.h"
#include "app/telemetry_server.h"
#include "common/clock.h"
#include "common/code_pages.h"
#include "common/log.h"
#include "component/telemetry.h"
#include "pipeline/supervisor.h"

namespace astrolabe::app {

namespace {

constexpr auto kShutdownTimeout = std::chrono::seconds(30);

std::atomic<bool> g_fatal{false};

// Every signal the collector reacts to is blocked in all threads and taken by sigwait()
// on the main thread, so no handler runs in an async-signal context and reload and
// shutdown happen on the one control thread the Supervisor expects.
sigset_t ControlSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

bool ReportLoad(const config::Diagnostics& diag, spdlog::logger& log) {
  std::ostringstream text;
  PrintDiagnostics(diag, text);
  std::string line;
  std::istringstream lines(text.str());
  while (std::getline(lines, line)) {
    if (line.rfind("error: ", 0) == 0) log.error("{}", line.substr(7));
    else if (line.rfind("warning: ", 0) == 0) log.warn("{}", line.substr(9));
    else log.warn("{}", line);
  }
  return !diag.has_errors();
}

}  // namespace

int RunCollector(const CollectorOptions& options) {
  if (options.config_files.empty()) {
    GetLogger("service")->error("no config given: use --config FILE");
    return 1;
  }
  RunSpec spec;
  spec.feature_gates = options.feature_gates;
  spec.sources = [files = options.config_files] {
    std::vector<config::ConfigSource> sources;
    for (const auto& f : files) sources.push_back(config::ConfigSource::File(f));
    return sources;
  };
  return RunPipelines(spec);
}

int RunPipelines(const RunSpec& spec) {
  const int64_t start_nanos = Clock::Real().NowUnixNanos();
  auto log = GetLogger("service");
  for (const auto& gate : spec.feature_gates) {
    // Upstream's gates switch between implementations we do not have two of; accepting the
    // flag keeps existing command lines working, and saying so keeps it honest.
    log->warn("feature gate \"{}\" has no effect in Astrolabe; ignored", gate);
  }
  sigset_t signals = ControlSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  component::Registry registry;
  RegisterBuiltinComponents(registry);
  config::Diagnostics diag;
  LoadedConfig loaded = LoadAndResolve(spec.sources(), registry, diag);
  if (!ReportLoad(diag, *log)) {
    log->error("invalid configuration: {} error(s); nothing started", diag.errors().size());
    return 1;
  }
  if (spec.adjust) {
    for (const std::string& line : spec.adjust(loaded)) log->info("{}", line);
  }
  if (spec.check) {
    if (Status s = spec.check(loaded); !s.ok()) {
      log->error("{}", s.message());
      log->error("invalid configuration; nothing started");
      return 1;
    }
  }
  if (spec.before_start) {
    if (Status s = spec.before_start(loaded); !s.ok()) {
      log->error("{}", s.message());
      return 1;
    }
  }
  const config::TelemetryConfig telemetry_config = loaded.load.config.service.telemetry;
  SetLogLevel(telemetry_config.logs_level);

  component::Telemetry telemetry;
  component::RegisterProcessMetrics(telemetry, start_nanos);
  std::unique_ptr<TelemetryServer> telemetry_server;
  if (telemetry_config.metrics_level != "none") {
    telemetry_server = std::make_unique<TelemetryServer>(telemetry, telemetry_config.metrics_address);
    if (Status s = telemetry_server->Start(); !s.ok()) {
      log->error("{}", s.message());
      return 1;
    }
    log->info("serving own metrics at http://{}/metrics", telemetry_server->address());
  }

  pipeline::ServiceSettings settings;
  settings.telemetry = &telemetry;
  settings.logger = log;
  settings.on_fatal_error = [log](const config::ComponentId& id, const Status& status) {
    log->error("fatal error in {}: {}", id.ToString(), status.message());
    g_fatal = true;
    kill(getpid(), SIGTERM);
  };
  pipeline::Supervisor supervisor(settings);
  if (Status s = supervisor.Start(std::move(loaded.resolved)); !s.ok()) {
    log->error("cannot start the pipelines: {}", s.message());
    return 1;
  }
  for (const auto& line : supervisor.Describe()) log->info("{}", line);
  log->info("Everything is ready. Begin running and processing data.");
  // What ran to get here (config decoding, component construction) need not stay resident.
  ReleaseCodePages();

  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      log->info("received SIGHUP: reloading the configuration");
      config::Diagnostics reload_diag;
      LoadedConfig next = LoadAndResolve(spec.sources(), registry, reload_diag);
      if (!ReportLoad(reload_diag, *log)) {
        log->error("reload failed: the new configuration is invalid; the running one stays");
        continue;
      }
      if (spec.adjust) {
        for (const std::string& line : spec.adjust(next)) log->info("{}", line);
      }
      if (spec.check) {
        if (Status s = spec.check(next); !s.ok()) {
          log->error("reload failed: {}; the running configuration stays", s.message());
          continue;
        }
      }
      if (Status s = supervisor.Reload(std::move(next.resolved)); !s.ok()) {
        log->error("reload failed: {}", s.message());
        continue;
      }
      if (next.load.config.service.telemetry.metrics_address != telemetry_config.metrics_address) {
        log->warn("service.telemetry.metrics address changes take effect after a restart");
      }
      SetLogLevel(next.load.config.service.telemetry.logs_level);
      log->info("reloaded: configuration generation {}", supervisor.generation());
      ReleaseCodePages();
      continue;
    }
    log->info("received signal {}: shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    break;
  }
  Status s = supervisor.Shutdown(std::chrono::steady_clock::now() + kShutdownTimeout);
  if (!s.ok()) log->warn("shutdown: {}", s.message());
  if (telemetry_server) telemetry_server->Shutdown();
  log->info("Shutdown complete.");
  return g_fatal ? 1 : 0;
}

}  // namespace astrolabe::app
