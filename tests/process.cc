#include "process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

namespace astrolabe::e2e {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every directory MakeTempDir made, removed when the test process exits normally (a test
// killed by its timeout leaves them). ASTROLABE_KEEP_TEST_DIRS=1 keeps them for a look after
// a failure.
class TempDirs {
 public:
  ~TempDirs() {
    if (std::getenv("ASTROLABE_KEEP_TEST_DIRS") != nullptr) return;
    std::error_code ignored;
    for (const std::string& dir : dirs_) std::filesystem::remove_all(dir, ignored);
  }
  void Add(std::string dir) {
    std::lock_guard lock(mu_);
    dirs_.push_back(std::move(dir));
  }

 private:
  std::mutex mu_;
  std::vector<std::string> dirs_;
};

std::string MakeTempDir() {
  static TempDirs made;
  std::string tmpl = (std::filesystem::temp_directory_path() / "astrolabe-test-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    std::perror(("mkdtemp " + tmpl).c_str());
    std::abort();
  }
  made.Add(tmpl);
  return tmpl;
}

}  // namespace

std::string AstrolabeBinary() {
  const char* b = std::getenv("ASTROLABE_BINARY");
  return b ? b : "astrolabe";
}

std::string SharedDir() {
  const char* s = std::getenv("ASTROLABE_SHARED");
  return s ? s : "../../shared";
}

namespace {

// The kernel's ephemeral range (net.ipv4.ip_local_port_range): where bind(0) and the source
// ports of outgoing connections come from.
std::pair<int, int> EphemeralRange() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int lo = 32768, hi = 60999;
  if (!(in >> lo >> hi) || lo < 1024 || hi < lo || hi > 65535) return {32768, 60999};
  return {lo, hi};
}

bool CanBind(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

}  // namespace

// A port from bind(0) lies in the ephemeral range, where every outgoing connection's source
// port is drawn too: between this function releasing it and the child binding it, a client
// connection elsewhere in the test (or in a test ctest runs beside it) could take it, and the
// child fails with "address already in use". So the port is drawn at random from outside that
// range (10000 up to its start, or above its end), checked free by binding it without
// SO_REUSEADDR (which also refuses ports still in TIME_WAIT), and never handed out twice by one
// process.
int FreePort() {
  static std::mutex mu;
  static std::set<int> given;
  static std::mt19937 rng(std::random_device{}() ^ static_cast<unsigned>(getpid()));
  std::lock_guard lock(mu);
  auto [lo, hi] = EphemeralRange();
  const int below = std::max(0, lo - 10000);   // [10000, lo)
  const int above = std::max(0, 65535 - hi);   // (hi, 65535]
  for (int attempt = 0; attempt < 2000 && below + above > 0; ++attempt) {
    int pick = static_cast<int>(rng() % static_cast<unsigned>(below + above));
    int port = pick < below ? 10000 + pick : hi + 1 + (pick - below);
    if (given.count(port) || !CanBind(port)) continue;
    given.insert(port);
    return port;
  }
  // Every candidate taken (not seen in practice): fall back to the kernel's choice.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

std::string TempDir() { return MakeTempDir(); }

bool Eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

std::string WriteTempFile(const std::string& name, const std::string& text) {
  std::string path = MakeTempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

Subprocess::~Subprocess() {
  if (pid_ > 0 && !exit_code_) {
    kill(pid_, SIGKILL);
    int status;
    waitpid(pid_, &status, 0);
  }
  if (!dir_.empty()) std::filesystem::remove_all(dir_);
}

bool Subprocess::Start(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  // Started again (a restart): the earlier child is stopped if it still runs, and its exit code
  // must not stand for the new one's (Wait and the destructor would take the new one as exited
  // and leave it running).
  if (pid_ > 0 && !exit_code_) {
    kill(pid_, SIGKILL);
    int status;
    waitpid(pid_, &status, 0);
  }
  exit_code_.reset();
  if (!dir_.empty()) std::filesystem::remove_all(dir_);
  dir_ = MakeTempDir();
  std::string out = dir_ + "/stdout", err = dir_ + "/stderr";
  pid_ = fork();
  if (pid_ < 0) return false;
  if (pid_ == 0) {
    int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(o, 1);
    dup2(e, 2);
    for (const auto& kv : env) putenv(const_cast<char*>(kv.c_str()));
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());  // a bare name is looked up in PATH
    _exit(127);
  }
  return true;
}

void Subprocess::Signal(int sig) {
  if (pid_ > 0 && !exit_code_) kill(pid_, sig);
}

std::optional<int> Subprocess::Wait(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_code_;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return std::nullopt;
}

bool Subprocess::running() { return !Wait(std::chrono::milliseconds(0)).has_value(); }

std::string Subprocess::Stdout() const { return ReadFile(dir_ + "/stdout"); }
std::string Subprocess::Stderr() const { return ReadFile(dir_ + "/stderr"); }

RunResult RunProcess(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  Subprocess p;
  RunResult r;
  if (!p.Start(argv)) return r;
  auto code = p.Wait(timeout);
  r.exit_code = code.value_or(-1);
  r.out = p.Stdout();
  r.err = p.Stderr();
  return r;
}

HttpResult HttpGet(int port, const std::string& path) {
  HttpResult result;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return result;
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return result;
  }
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (send(fd, req.data(), req.size(), MSG_NOSIGNAL) < 0) {
    close(fd);
    return result;
  }
  std::string response;
  char buf[8192];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    response.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  size_t sp = response.find(' ');
  size_t body = response.find("\r\n\r\n");
  if (sp == std::string::npos || body == std::string::npos) return result;
  result.status = std::atoi(response.c_str() + sp + 1);
  result.body = response.substr(body + 4);
  return result;
}

}  // namespace astrolabe::e2e
