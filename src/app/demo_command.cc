#include "app/demo_command.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "api/token_store.h"
#include "common/log.h"
#include "demo/traffic.h"
#include "net/http_client.h"
#include "sim/kong.h"
#include "sim/llm_server.h"

extern char** environ;

namespace astrolabe::app {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr const char* kNimDirect = "meta/llama-3.1-8b-instruct";
constexpr const char* kNimCollector = "meta/llama-3.1-70b-instruct";
constexpr const char* kVllmModel = "mistralai/Mistral-7B-Instruct-v0.3";
constexpr const char* kEmbeddingModel = "text-embedding-3-small";
constexpr auto kStopGrace = std::chrono::seconds(4);

// A free TCP port on 127.0.0.1: bound to port 0 and released. Another process could take it
// before the child binds it; the child then fails with "address already in use" in its log.
Result<int> FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Unavailable("socket: " + std::string(strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::string error = strerror(errno);
    close(fd);
    return Unavailable("cannot pick a free loopback port: " + error);
  }
  close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

std::string Loopback(int port) { return "127.0.0.1:" + std::to_string(port); }

// A child process of this binary with stdout and stderr in a log file.
struct Child {
  std::string name;
  std::string log_file;
  pid_t pid = -1;
  std::optional<int> exit_status;  // once reaped

  // Reaps the child if it exited; true while it runs.
  bool Running() {
    if (pid <= 0 || exit_status) return false;
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return false;
    }
    return true;
  }
};

Status Spawn(const std::string& binary, const std::vector<std::string>& args,
             const std::vector<std::string>& extra_env, Child& child) {
  std::vector<std::string> argv_storage = {binary};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) env_storage.emplace_back(*e);
  env_storage.insert(env_storage.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);
  const int log_fd = open(child.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0) {
    return Unavailable("cannot open " + child.log_file + ": " + strerror(errno));
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(log_fd);
    return Unavailable("cannot start the " + child.name + ": fork: " + strerror(errno));
  }
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec: this process has threads.
    setpgid(0, 0);  // Ctrl-C in the terminal reaches the demo only; it stops us in order
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(1);  // the demo died before prctl
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(binary.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  close(log_fd);
  child.pid = pid;
  return Status::Ok();
}

void TerminateChildren(const std::vector<Child*>& children) {
  for (Child* c : children) {
    if (c->Running()) kill(c->pid, SIGTERM);
  }
}

// Waits for children sent SIGTERM at `since`; SIGKILL to those still running kStopGrace later.
void ReapChildren(const std::vector<Child*>& children, steady_clock::time_point since) {
  const auto deadline = since + kStopGrace;
  for (;;) {
    bool any = false;
    for (Child* c : children) any |= c->Running();
    if (!any) return;
    if (steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(milliseconds(20));
  }
  for (Child* c : children) {
    if (!c->Running()) continue;
    GetLogger("demo")->warn("the {} did not stop within {} s; killing it", c->name,
                            kStopGrace.count());
    kill(c->pid, SIGKILL);
    int status = 0;
    waitpid(c->pid, &status, 0);
    c->exit_status = 128 + SIGKILL;
  }
}

std::string Tail(const std::string& file, int lines) {
  std::ifstream in(file);
  std::vector<std::string> all;
  for (std::string line; std::getline(in, line);) all.push_back(line);
  std::string out;
  for (size_t i = all.size() > static_cast<size_t>(lines) ? all.size() - lines : 0; i < all.size();
       ++i) {
    out += "    " + all[i] + "\n";
  }
  return out;
}

Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Unavailable("cannot write " + path);
  return Status::Ok();
}

// The server's own config, merged over its built-in pipeline: it scrapes three simulators
// itself. Lists are replaced by a merge, so the metrics pipeline's receivers are listed whole.
std::string ServerConfig(int nim, int vllm, int kong) {
  std::ostringstream y;
  y << "# astrolabe demo: the server scrapes NIM #1, vLLM and Kong itself (written by the demo)\n"
    << "receivers:\n"
    << "  prometheus:\n"
    << "    config:\n"
    << "      scrape_configs:\n"
    << "        - job_name: nim\n"
    << "          scrape_interval: 10s\n"
    << "          metrics_path: /v1/metrics\n"
    << "          static_configs:\n"
    << "            - targets: [\"" << Loopback(nim) << "\"]\n"
    << "        - job_name: vllm\n"
    << "          scrape_interval: 10s\n"
    << "          static_configs:\n"
    << "            - targets: [\"" << Loopback(vllm) << "\"]\n"
    << "        - job_name: kong\n"
    << "          scrape_interval: 10s\n"
    << "          static_configs:\n"
    << "            - targets: [\"" << Loopback(kong) << "\"]\n"
    << "service:\n"
    << "  pipelines:\n"
    << "    metrics:\n"
    << "      receivers: [otlp, prometheus_remote_write, prometheus]\n";
  return y.str();
}

// The NVIDIA NIM integration page's collector pipeline (../shared/seeds/README.md), as valid
// YAML, with the target filled in; the health check and own metrics moved off their default
// ports so the demo never collides with a collector already running.
std::string CollectorConfig(int nim, int health) {
  std::ostringstream y;
  y << "# astrolabe demo: the NIM page's collector pipeline on NIM #2 (written by the demo)\n"
    << "receivers:\n"
    << "  prometheus:\n"
    << "    config:\n"
    << "      scrape_configs:\n"
    << "      - job_name: nim-metrics\n"
    << "        scrape_interval: 10s\n"
    << "        honor_labels: false\n"
    << "        static_configs:\n"
    << "          - targets:\n"
    << "              - \"" << Loopback(nim) << "\"\n"
    << "processors:\n"
    << "  cumulativetodelta:\n"
    << "    max_staleness: 25h\n"
    << "extensions:\n"
    << "  health_check:\n"
    << "    endpoint: " << Loopback(health) << "\n"
    << "exporters:\n"
    << "  otlphttp:\n"
    << "    endpoint: ${env:DT_ENDPOINT}\n"
    << "    headers:\n"
    << "      Authorization: \"Api-Token ${env:DT_API_TOKEN}\"\n"
    << "service:\n"
    << "  extensions: [health_check]\n"
    << "  pipelines:\n"
    << "    metrics:\n"
    << "      receivers: [prometheus]\n"
    << "      processors: [cumulativetodelta]\n"
    << "      exporters: [otlphttp]\n"
    << "  telemetry:\n"
    << "    metrics:\n"
    << "      level: none\n";
  return y.str();
}

// Waits until GET url answers 200, the child exits, or the timeout passes.
bool WaitHealthy(net::HttpClient& client, const std::string& url, Child& child,
                 std::chrono::seconds timeout) {
  const auto deadline = steady_clock::now() + timeout;
  while (steady_clock::now() < deadline && child.Running()) {
    net::HttpRequest request;
    request.url = url;
    request.timeout = milliseconds(1000);
    auto response = client.Send(std::move(request)).get();
    if (response.ok() && response->status == 200) return true;
    std::this_thread::sleep_for(milliseconds(100));
  }
  return false;
}

std::string SelfBinary() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : self.string();
}

}  // namespace

CLI::App* AddDemoCommand(CLI::App& app, DemoOptions& o) {
  auto* cmd = app.add_subcommand(
      "demo",
      "Run the server with simulated NIM, vLLM and Kong AI Gateway traffic and instrumented\n"
      "apps sending GenAI spans, all on loopback; prints the API address and a token.\n"
      "Ctrl-C stops everything. See docs/demo.md.");
  cmd->add_option("--http", o.http, "The server's API listener")
      ->type_name("ADDR")
      ->capture_default_str();
  cmd->add_option("--data", o.data_dir,
                  "Data directory (default: a new temporary one, removed on exit)")
      ->type_name("DIR");
  cmd->add_flag("--keep", o.keep, "Keep the temporary data directory on exit");
  cmd->add_option("--rate", o.rate, "Workflows per second of the traffic generator")
      ->check(CLI::Range(0.01, 1000.0))
      ->capture_default_str();
  cmd->add_option("--seed", o.seed, "Seed of the simulators and the traffic");
  return cmd;
}

int RunDemo(const DemoOptions& o) {
  auto log = GetLogger("demo");
  // Signals are taken by sigwait on this thread; block them before any thread starts. A shell
  // that starts the demo in the background without job control ignores SIGINT for it: Ctrl-C
  // and `kill -INT` must stop the demo all the same.
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const std::string binary = SelfBinary();
  if (binary.empty()) {
    log->error("cannot find this program's path (/proc/self/exe)");
    return 1;
  }
  // The data directory.
  std::string data = o.data_dir;
  bool remove_data = false;
  if (data.empty()) {
    const char* tmp = getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/astrolabe-demo-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      log->error("cannot create a temporary data directory {}: {}", pattern, strerror(errno));
      return 1;
    }
    data = pattern;
    remove_data = !o.keep;
  }
  std::error_code ec;
  fs::create_directories(data + "/logs", ec);
  if (ec) {
    log->error("cannot create {}/logs: {}", data, ec.message());
    return 1;
  }
  fs::permissions(data, fs::perms::owner_all, ec);
  auto cleanup = [&] {
    if (!remove_data) return;
    fs::remove_all(data, ec);
    if (ec) log->warn("cannot remove {}: {}", data, ec.message());
  };

  // Tokens: one for the user (every scope), one per sender with only the scope it needs.
  api::TokenStore tokens(data + "/tokens.json");
  Result<api::NewToken> admin = tokens.Create("demo", api::AllScopes());
  Result<api::NewToken> collector_token = tokens.Create("demo-collector", {"metrics.ingest"});
  Result<api::NewToken> traffic_token =
      tokens.Create("demo-traffic", {"openTelemetryTrace.ingest", "logs.ingest"});
  for (const auto* t : {&admin, &collector_token, &traffic_token}) {
    if (!t->ok()) {
      log->error("cannot create the demo's API tokens: {}", t->status().message());
      cleanup();
      return 1;
    }
  }

  // The simulators, on ephemeral loopback ports.
  auto llm = [&](sim::Flavor flavor, const char* model, uint64_t seed) {
    sim::LlmSimulatorOptions s;
    s.flavor = flavor;
    s.listen_address = "127.0.0.1:0";
    s.models = {model};
    s.traffic.rate = 0.5;  // other clients of the model, besides the apps behind Kong
    s.traffic.pattern = sim::ArrivalPattern::kBursty;
    s.seed = o.seed * 1000 + seed;
    return std::make_unique<sim::LlmSimulator>(s);
  };
  auto nim_direct = llm(sim::Flavor::kNim, kNimDirect, 1);
  auto nim_collected = llm(sim::Flavor::kNim, kNimCollector, 2);
  auto vllm = llm(sim::Flavor::kVllm, kVllmModel, 3);
  std::unique_ptr<sim::KongSimulator> kong;
  std::unique_ptr<demo::TrafficGenerator> traffic;
  Child server{"server", data + "/logs/server.log", -1, std::nullopt};
  Child collector{"collector", data + "/logs/collector.log", -1, std::nullopt};
  // The apps first (their last spans still reach the server), then the children and the
  // simulators side by side: the model servers before Kong, so that calls Kong still proxies
  // are answered at once.
  auto stop_all = [&] {
    if (traffic) traffic->Shutdown(milliseconds(1000));
    const auto since = steady_clock::now();
    TerminateChildren({&collector, &server});
    nim_direct->Shutdown();
    nim_collected->Shutdown();
    vllm->Shutdown();
    if (kong) kong->Shutdown();
    ReapChildren({&collector, &server}, since);
  };
  auto fail = [&](const std::string& message) {
    log->error("{}", message);
    stop_all();
    cleanup();
    return 1;
  };
  for (auto* s : {nim_direct.get(), nim_collected.get(), vllm.get()}) {
    if (Status st = s->Start(); !st.ok()) return fail("cannot start a simulator: " + st.message());
  }
  sim::KongSimulatorOptions k;
  k.listen_address = "127.0.0.1:0";
  k.seed = o.seed * 1000 + 4;
  k.routes = sim::DefaultKongRoutes();
  k.routes.push_back({"openai", kEmbeddingModel, 0.02, 0, ""});
  for (auto [model, sim] :
       {std::pair{kNimDirect, nim_direct.get()}, std::pair{kNimCollector, nim_collected.get()},
        std::pair{kVllmModel, vllm.get()}}) {
    auto route = sim::ParseUpstreamRoute(std::string(model) + "=http://" + sim->address());
    if (!route.ok()) return fail(route.status().message());
    k.routes.push_back(*route);
  }
  kong = std::make_unique<sim::KongSimulator>(k);
  if (Status st = kong->Start(); !st.ok()) return fail("cannot start Kong: " + st.message());

  // The server and the collector.
  Result<int> otlp_http = FreePort(), otlp_grpc = FreePort(), health = FreePort(),
              collector_health = FreePort();
  for (const auto* p : {&otlp_http, &otlp_grpc, &health, &collector_health}) {
    if (!p->ok()) return fail(p->status().message());
  }
  const std::string server_config = data + "/demo-server.yaml";
  const std::string collector_config = data + "/collector.yaml";
  if (Status st =
          WriteFile(server_config, ServerConfig(nim_direct->port(), vllm->port(), kong->port()));
      !st.ok()) {
    return fail(st.message());
  }
  if (Status st =
          WriteFile(collector_config, CollectorConfig(nim_collected->port(), *collector_health));
      !st.ok()) {
    return fail(st.message());
  }
  if (Status st = Spawn(binary,
                        {"server", "--data", data, "--http", o.http, "--otlp-http",
                         Loopback(*otlp_http), "--otlp-grpc", Loopback(*otlp_grpc), "--health",
                         Loopback(*health), "--config", server_config},
                        {}, server);
      !st.ok()) {
    return fail(st.message());
  }
  net::HttpClient probe;
  if (!WaitHealthy(probe, "http://" + Loopback(*health) + "/", server, std::chrono::seconds(30))) {
    return fail("the server did not become healthy; the end of " + server.log_file + ":\n" +
                Tail(server.log_file, 15));
  }
  const std::string otlp_base = "http://" + Loopback(*otlp_http);
  if (Status st = Spawn(
          binary, {"collector", "--config", collector_config},
          {"DT_ENDPOINT=" + otlp_base + "/api/v2/otlp", "DT_API_TOKEN=" + collector_token->token},
          collector);
      !st.ok()) {
    return fail(st.message());
  }
  if (!WaitHealthy(probe, "http://" + Loopback(*collector_health) + "/", collector,
                   std::chrono::seconds(30))) {
    return fail("the collector did not become healthy; the end of " + collector.log_file + ":\n" +
                Tail(collector.log_file, 15));
  }

  // The apps.
  demo::TrafficOptions t;
  t.gateway_url = "http://" + kong->address();
  t.chat_models = {kNimDirect,
                   kNimCollector,
                   kVllmModel,
                   "gpt-4o",
                   "gpt-4o-mini",
                   "claude-3-5-sonnet-20241022",
                   "mistral-large-latest"};
  t.embedding_model = kEmbeddingModel;
  t.otlp_url = otlp_base;
  t.api_token = traffic_token->token;
  t.rate = o.rate;
  t.seed = o.seed;
  traffic = std::make_unique<demo::TrafficGenerator>(t);
  traffic->Start();

  const std::string api = "http://" + o.http;
  const std::string auth = "-H 'Authorization: Api-Token " + admin->token + "'";
  std::ostringstream b;
  b << "\nAstrolabe demo is running. Data is visible within 30 s.\n\n"
    << "  web UI       " << api << "/   (sign in with the API token)\n"
    << "  API          " << api << "\n"
    << "  API token    " << admin->token << "   (every scope)\n"
    << "  try          curl -sG " << auth << " " << api << "/api/v1/query \\\n"
    << "                 --data-urlencode 'query=sum by (ai_model) "
       "(kong_ai_llm_requests_total)'\n"
    << "               curl -sG " << auth << " " << api
    << "/api/v1/spans --data-urlencode limit=5\n"
    << "               ASTROLABE_TOKEN=" << admin->token << " astrolabe query --server " << api
    << " 'sum by (model_name) (rate(generation_tokens_total[1m]))'\n";
  b << "  OTLP/HTTP    " << otlp_base << "/v1/{traces,metrics,logs} (and /api/v2/otlp/v1/...)\n"
    << "  simulators   NIM  " << kNimDirect << "   http://" << nim_direct->address()
    << "   scraped by the server (job nim)\n"
    << "               NIM  " << kNimCollector << "  http://" << nim_collected->address()
    << "   astrolabe collector: prometheus -> cumulativetodelta -> otlphttp (job nim-metrics)\n"
    << "               vLLM " << kVllmModel << "  http://" << vllm->address()
    << "   scraped by the server (job vllm)\n"
    << "               Kong AI Gateway  http://" << kong->address()
    << "   scraped by the server (job kong); routes the apps' calls\n"
    << "  apps         support-bot, search-api (OpenLLMetry legacy attributes), code-assistant,\n"
    << "               doc-summarizer (OpenTelemetry GenAI conventions): " << o.rate
    << " workflow/s through Kong\n"
    << "  data         " << data << (remove_data ? "   (removed on exit; --keep keeps it)" : "")
    << "\n"
    << "  logs         " << server.log_file << ", " << collector.log_file << "\n\n"
    << "Ctrl-C stops everything.\n";
  std::cout << b.str() << std::flush;

  int code = 0;
  auto last_report = steady_clock::now();
  for (;;) {
    timespec tick{1, 0};
    int sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig == SIGINT || sig == SIGTERM) {
      log->info("received {}: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
      break;
    }
    bool died = false;
    for (Child* c : {&server, &collector}) {
      if (c->Running()) continue;
      log->error("the {} exited on its own (status {}); the end of {}:\n{}", c->name,
                 c->exit_status.value_or(-1), c->log_file, Tail(c->log_file, 15));
      died = true;
    }
    if (died) {
      code = 1;
      break;
    }
    if (steady_clock::now() - last_report >= std::chrono::seconds(30)) {
      last_report = steady_clock::now();
      const demo::TrafficStats s = traffic->stats();
      log->info("apps: {} workflows, {} model calls ({} failed), {} spans and {} logs sent",
                s.workflows, s.calls, s.failed_calls, s.spans_exported, s.logs_exported);
    }
  }
  stop_all();
  const demo::TrafficStats s = traffic->stats();
  log->info("stopped: {} workflows, {} model calls ({} failed), {} spans and {} logs sent",
            s.workflows, s.calls, s.failed_calls, s.spans_exported, s.logs_exported);
  cleanup();
  return code;
}

}  // namespace astrolabe::app
