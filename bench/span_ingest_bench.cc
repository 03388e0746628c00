// OTLP span ingest through `astrolabe server`, durable (issue 6 goal: >= 200k spans per
// CPU-second of the server). Starts the server (--auth none, a fresh --data directory, the
// built-in pipeline: otlp receiver -> store exporter -> span store with sync: always, so
// every 200 is fsynced), then N client threads POST pre-encoded OTLP/HTTP protobuf trace
// requests of realistic GenAI spans (spanstore/test_util.h: an agent workflow span and LLM
// call spans with ~20 attributes each, messages included; 100 spans per request) as fast as
// the server answers. The 64 requests are encoded once; each send copies one and gives its
// traces new ids (as real traffic has), so the server indexes a new trace every 4 spans. The
// server's CPU time (utime + stime from /proc/PID/stat) is read after a warm-up and at the end;
// clients' CPU is not counted. Prints spans/s of wall time, spans per server CPU-second,
// requests/s, the server's peak RSS, and the segment files' bytes per span the server acknowledged.
//
//   span_ingest_bench --binary build/astrolabe [--seconds 20] [--threads 4] [--spans 100]
//                     [--span-ages 60] [--gzip] [--config FILE]... [--callgrind OUT_FILE]
// (--span-ages: span start times lie within that many seconds before the run, all in one hour
// unless it is 3585 or more; see SpanWindowStart)
// (--message-corpus: the LLM spans' message text is excerpted from FILE, e.g. a few MB of
// prose, instead of four questions and one answer that compress 10:1; see VaryMessages)
// (--config: passed on to the server, merged over its built-in pipeline, e.g. a file with
// `service: {pipelines: {traces: {processors: []}}}` to measure the pipeline without processors)
// (--callgrind: the server runs under `valgrind --tool=callgrind --instr-atstart=no`, counting
// instructions only between the warm-up and the end (`callgrind_control -i on/off`); prints
// instructions per acknowledged span, a figure that load on the machine does not move. Use
// small requests (--spans 100) and --seconds 30 or more: valgrind runs the server ~50x slower)
// (the binary defaults to build-bench/astrolabe, else build/astrolabe; bench/run's
// --benchmark_* flags are ignored)

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "net/http_client.h"
#include "spanstore/test_util.h"
#include "wire/gzip.h"
#include "wire/otlp_proto.h"

using namespace astrolabe;
namespace fs = std::filesystem;

namespace {

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string f;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) utime = std::stoull(f);
    if (i == 15) stime = std::stoull(f);
  }
  return double(utime + stime) / double(sysconf(_SC_CLK_TCK));
}

long HwmKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string Addr(int port) { return "127.0.0.1:" + std::to_string(port); }

// Where the trace ids of `traces` are in `body`, its encoding: every Span's field 1 (tag 0x0a,
// length 16) holding one of them.
std::vector<size_t> TraceIdOffsets(const pdata::Traces& traces, const std::string& body) {
  std::unordered_set<std::string_view> ids;
  for (const auto& rs : traces.resource_spans) {
    for (const auto& ss : rs.scope_spans) {
      for (const auto& span : ss.spans) {
        ids.emplace(reinterpret_cast<const char*>(span.trace_id.bytes.data()), 16);
      }
    }
  }
  std::vector<size_t> offsets;
  for (size_t at = body.find("\x0a\x10"); at != std::string::npos && at + 18 <= body.size();
       at = body.find("\x0a\x10", at + 1)) {
    if (ids.count(std::string_view(body).substr(at + 2, 16))) offsets.push_back(at + 2);
  }
  return offsets;
}

// A copy of `body` whose trace ids are new for `generation`: their random half (bytes 8..15)
// xored with one mix of it, so each trace keeps its spans together.
std::string WithNewTraceIds(const std::string& body, const std::vector<size_t>& offsets,
                            uint64_t generation) {
  std::string out = body;
  const uint64_t mix = (generation + 1) * 0x9E3779B97F4A7C15ull;
  for (size_t at : offsets) {
    for (int b = 0; b < 8; ++b) out[at + 8 + size_t(b)] ^= char(mix >> (8 * b));
  }
  return out;
}

// Replaces the text of each LLM span's messages with excerpts of `corpus` (a question of
// 40-200 bytes, an answer of 100-600), so that message text is as varied as the corpus rather
// than one of four questions and one answer. Bytes outside printable ASCII become spaces, and
// quotes and backslashes are escaped, so the messages stay valid JSON and UTF-8.
void VaryMessages(const std::string& corpus, std::mt19937_64& rng, pdata::Traces* traces) {
  auto excerpt = [&](size_t min_len, size_t max_len) {
    const size_t len = min_len + rng() % (max_len - min_len + 1);
    const size_t at = rng() % (corpus.size() - len);
    std::string out;
    for (char c : std::string_view(corpus).substr(at, len)) {
      if (c == '"' || c == '\\') out += '\\';
      out += (c >= 0x20 && c < 0x7f) ? c : ' ';
    }
    return out;
  };
  for (auto& rs : traces->resource_spans) {
    for (auto& ss : rs.scope_spans) {
      for (auto& span : ss.spans) {
        for (auto& kv : span.attributes) {
          if (kv.key == "gen_ai.input.messages") {
            kv.value = pdata::AnyValue(R"([{"role":"user","parts":[{"type":"text","content":")" +
                                       excerpt(40, 200) + "\"}]}]");
          } else if (kv.key == "gen_ai.output.messages") {
            kv.value = pdata::AnyValue(
                R"([{"role":"assistant","finish_reason":"stop","parts":[{"type":"text","content":")" +
                excerpt(100, 600) + "\"}]}]");
          }
        }
      }
    }
  }
}

// Where the requests' span start times begin: `spread` before `now`, plus room for the LLM
// calls that start after their trace's root (three calls of at most ~4 s each). When that window
// would cross the start of an hour, it is moved to end there instead, so that every span lies in
// one hour: the store partitions spans by the hour they start in, and a request with spans of
// two hours is written to two segments and fsynced twice. Live traffic arrives seconds after
// its spans start, so that happens only at the turn of an hour; spans spread over the last hour
// (--span-ages 3600) would put it in nearly every request, and make the figure depend on the
// minute the bench runs.
uint64_t SpanWindowStart(uint64_t now, uint64_t spread) {
  constexpr uint64_t kHour = 3'600'000'000'000ull;
  constexpr uint64_t kCallsRoom = 15'000'000'000ull;
  const uint64_t needed = spread + kCallsRoom;
  if (needed >= kHour) return now - spread;
  const uint64_t hour_start = now / kHour * kHour;
  const uint64_t end = now - needed >= hour_start ? now : hour_start;
  return end - needed;
}

}  // namespace

int main(int argc, char** argv) {
  std::string binary =
      fs::exists("build-bench/astrolabe") ? "build-bench/astrolabe" : "build/astrolabe";
  double seconds = 20;
  int threads = 4, spans = 100;
  double span_ages = 60;       // span start times lie within this many seconds before the run
  std::string message_corpus;  // non-empty: message text excerpted from this file
  bool gzip = false;
  std::vector<std::string> configs;  // extra --config files for the server (A/B of pipelines)
  std::string callgrind_out;         // non-empty: count the server's instructions
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--binary")
      binary = next();
    else if (a == "--seconds")
      seconds = std::stod(next());
    else if (a == "--threads")
      threads = std::stoi(next());
    else if (a == "--spans")
      spans = std::stoi(next());
    else if (a == "--span-ages")
      span_ages = std::stod(next());
    else if (a == "--message-corpus")
      message_corpus = next();
    else if (a == "--gzip")
      gzip = true;
    else if (a == "--config")
      configs.push_back(next());
    else if (a == "--callgrind")
      callgrind_out = fs::absolute(next()).string();
    else if (a.rfind("--benchmark_", 0) == 0)
      continue;  // bench/run passes Google Benchmark's
    else {
      std::fprintf(stderr,
                   "usage: %s --binary PATH [--seconds S] [--threads N] [--spans N] "
                   "[--span-ages S] [--message-corpus FILE] [--gzip] [--config FILE]... "
                   "[--callgrind OUT_FILE]\n",
                   argv[0]);
      return 2;
    }
  }
  if (!(span_ages >= 1 && span_ages <= 24 * 3600)) {
    std::fprintf(stderr, "--span-ages must be between 1 and 86400 seconds\n");
    return 2;
  }
  if (spans % 4 != 0 || spans <= 0) {
    std::fprintf(stderr, "--spans must be a positive multiple of 4 (traces of 4 spans)\n");
    return 2;
  }

  // Everything that can refuse the arguments runs before the server starts.
  std::string corpus;
  if (!message_corpus.empty()) {
    std::ifstream in(message_corpus, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "--message-corpus %s: %s\n", message_corpus.c_str(),
                   std::strerror(errno));
      return 2;
    }
    std::ostringstream text;
    text << in.rdbuf();
    corpus = text.str();
    if (corpus.size() < 4096) {
      std::fprintf(stderr, "--message-corpus %s: need at least 4 KiB of text\n",
                   message_corpus.c_str());
      return 2;
    }
  }

  std::string tmpl = (fs::temp_directory_path() / "span-ingest-bench-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) return 1;
  const std::string dir = tmpl;
  // However main returns from here on, the server is stopped and its directory removed.
  struct Cleanup {
    std::string dir;
    pid_t server = -1;  // set once forked; -1 again once stopped and waited for
    ~Cleanup() {
      if (server > 0) {
        kill(server, SIGKILL);
        waitpid(server, nullptr, 0);
      }
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{dir};
  const int http = FreePort(), otlp = FreePort(), grpc = FreePort(), health = FreePort();
  binary = fs::absolute(binary).string();  // execvp: a path, never a PATH lookup
  std::vector<std::string> args;
  if (!callgrind_out.empty()) {
    args = {"valgrind", "--tool=callgrind", "--instr-atstart=no",
            "--callgrind-out-file=" + callgrind_out};
  }
  std::vector<std::string> server_args = {binary,        "server",      "--auth",      "none",
                                          "--data",      dir + "/data", "--http",      Addr(http),
                                          "--otlp-http", Addr(otlp),    "--otlp-grpc", Addr(grpc),
                                          "--health",    Addr(health)};
  args.insert(args.end(), server_args.begin(), server_args.end());
  for (const std::string& c : configs) {
    args.push_back("--config");
    args.push_back(c);
  }
  const pid_t pid = fork();
  if (pid == 0) {
    int log = open((dir + "/server.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(log, 1);
    dup2(log, 2);
    std::vector<char*> av;
    for (auto& s : args) av.push_back(s.data());
    av.push_back(nullptr);
    execvp(av[0], av.data());
    _exit(127);
  }
  cleanup.server = pid;
  net::HttpClient client;
  auto get_ok = [&](int port) {
    net::HttpRequest r;
    r.url = "http://" + Addr(port) + "/";
    r.timeout = std::chrono::seconds(2);
    auto resp = client.Send(std::move(r)).get();
    return resp.ok() && resp->status == 200;
  };
  bool up = false;
  for (int i = 0, tries = callgrind_out.empty() ? 300 : 1200; i < tries && !up; ++i) {
    up = get_ok(health);
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!up) {
    // The log is shown here rather than left behind with the data directory.
    std::fprintf(stderr, "server did not become healthy; its log:\n");
    std::ifstream log(dir + "/server.log");
    std::cerr << log.rdbuf();
    return 1;
  }

  // Pre-encoded requests, so that building them is not measured.
  std::mt19937_64 rng(42);
  spanstore::testing::GenAiTraceShape shape;
  shape.time_spread = uint64_t(span_ages * 1e9);
  shape.base_time =
      SpanWindowStart(uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count()),
                      shape.time_spread);
  std::vector<std::string> bodies;
  std::vector<std::vector<size_t>> trace_id_offsets;
  size_t raw_bytes = 0;
  for (int i = 0; i < 64; ++i) {
    pdata::Traces traces =
        spanstore::testing::MakeGenAiTraces(rng, spans / (1 + shape.calls_per_trace), shape);
    if (!corpus.empty()) VaryMessages(corpus, rng, &traces);
    std::string body = wire::EncodeTracesRequest(traces);
    raw_bytes += body.size();
    trace_id_offsets.push_back(TraceIdOffsets(traces, body));
    if (trace_id_offsets.back().size() != size_t(spans)) {
      std::fprintf(stderr, "found %zu trace ids in a request of %d spans\n",
                   trace_id_offsets.back().size(), spans);
      return 1;
    }
    bodies.push_back(std::move(body));
  }
  // Every request sent carries traces never sent before, as real traffic does: the server's
  // trace index grows by a trace per 4 spans instead of finding 64 requests' traces again.
  std::atomic<uint64_t> generation{0};
  auto next_body = [&](size_t i, std::string* out) -> bool {
    const size_t k = i % bodies.size();
    std::string body = WithNewTraceIds(bodies[k], trace_id_offsets[k], generation++);
    if (!gzip) {
      *out = std::move(body);
      return true;
    }
    out->clear();
    return wire::GzipCompress(body, out).ok();
  };

  std::atomic<bool> measuring{false}, stop{false};
  std::atomic<uint64_t> spans_done{0}, requests_done{0}, failures{0};
  std::atomic<uint64_t> spans_stored{0};  // acknowledged at any time, warm-up included
  std::vector<std::thread> clients;
  for (int t = 0; t < threads; ++t) {
    clients.emplace_back([&, t] {
      net::HttpClient c;
      for (size_t i = size_t(t); !stop.load(); i += size_t(threads)) {
        net::HttpRequest r;
        r.method = "POST";
        r.url = "http://" + Addr(otlp) + "/v1/traces";
        r.timeout = std::chrono::seconds(callgrind_out.empty() ? 30 : 300);
        r.headers.Set("Content-Type", "application/x-protobuf");
        if (gzip) r.headers.Set("Content-Encoding", "gzip");
        if (!next_body(i, &r.body)) {
          ++failures;
          break;
        }
        auto resp = c.Send(std::move(r)).get();
        const bool ok = resp.ok() && resp->status == 200;
        if (ok) spans_stored += uint64_t(spans);
        if (!measuring.load()) continue;
        if (ok) {
          spans_done += uint64_t(spans);
          ++requests_done;
        } else {
          ++failures;
        }
      }
    });
  }
  // callgrind_control finds the valgrind process by its pid, which is the server's.
  auto instrument = [&](const char* on_off) {
    if (callgrind_out.empty()) return;
    const std::string cmd =
        "callgrind_control -i " + std::string(on_off) + " " + std::to_string(pid) + " >/dev/null";
    if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "%s failed\n", cmd.c_str());
  };
  // Warm-up: the pools fill and the first segment is created outside the window.
  std::this_thread::sleep_for(std::chrono::seconds(callgrind_out.empty() ? 2 : 20));
  instrument("on");
  const double cpu0 = CpuSeconds(pid), t0 = Now();
  measuring = true;
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  measuring = false;
  const double cpu1 = CpuSeconds(pid), t1 = Now();
  instrument("off");
  const uint64_t n = spans_done.load(), reqs = requests_done.load();
  stop = true;
  for (auto& c : clients) c.join();
  const long hwm = HwmKiB(pid);
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  cleanup.server = -1;

  const double wall = t1 - t0, cpu = cpu1 - cpu0;
  std::printf(
      "span ingest through astrolabe server (otlp/http protobuf%s, %d spans/request, "
      "%d client threads, %.0f s, durable: span store sync always)\n",
      gzip ? " gzip" : "", spans, threads, wall);
  std::printf("  requests: %llu ok, %llu failed; %.0f requests/s; request body %.1f KiB raw\n",
              (unsigned long long)reqs, (unsigned long long)failures.load(), double(reqs) / wall,
              double(raw_bytes) / double(bodies.size()) / 1024.0);
  std::printf("  spans/s (wall): %.0f\n", double(n) / wall);
  std::printf("  server CPU: %.2f s over %.1f s wall (%.2f cores)\n", cpu, wall, cpu / wall);
  std::printf("  spans per server CPU-second: %.0f\n", cpu > 0 ? double(n) / cpu : 0.0);
  std::printf("  server peak RSS: %.1f MiB; exit status %d\n", double(hwm) / 1024.0,
              WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  // What the store wrote for every span it acknowledged (segment files; the index is in RAM).
  uint64_t segment_bytes = 0;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir + "/data", ec)) {
    if (e.is_regular_file(ec) && e.path().extension() == ".seg") segment_bytes += e.file_size(ec);
  }
  std::printf("  span store: %.1f MiB of segments, %.1f bytes per span\n",
              double(segment_bytes) / (1 << 20),
              spans_stored > 0 ? double(segment_bytes) / double(spans_stored.load()) : 0.0);
  if (!callgrind_out.empty()) {
    // The window's instruction count: the "totals:" line callgrind writes at exit.
    std::ifstream in(callgrind_out);
    std::string line;
    unsigned long long total = 0;
    while (std::getline(in, line)) {
      if (line.rfind("totals:", 0) == 0) total = std::stoull(line.substr(7));
    }
    std::printf("  callgrind: %llu instructions in the window; %.0f per acknowledged span (%s)\n",
                total, n > 0 ? double(total) / double(n) : 0.0, callgrind_out.c_str());
  }
  return failures.load() == 0 ? 0 : 1;
}
