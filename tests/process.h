#pragma once
// Subprocess: runs the astrolabe binary (or any program) for cross-module tests, with
// stdout and stderr captured to files, and always stops it: the destructor sends SIGKILL
// to a child still running. Thread-compatible.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace astrolabe::e2e {

// The astrolabe binary under test: $ASTROLABE_BINARY (set by ctest).
std::string AstrolabeBinary();
// ../shared beside the repo: $ASTROLABE_SHARED (set by ctest).
std::string SharedDir();
// A free TCP port on 127.0.0.1, outside the kernel's ephemeral range (so no outgoing
// connection takes it before the child binds it) and never the same twice in a process.
int FreePort();
// Writes `text` to a new file in a fresh temporary directory; returns its path.
std::string WriteTempFile(const std::string& name, const std::string& text);
// A fresh empty temporary directory. Both are removed when the test process exits normally
// (ASTROLABE_KEEP_TEST_DIRS=1 keeps them).
std::string TempDir();
// Polls `condition` every 50 ms until it holds or `timeout` passes; returns whether it held.
bool Eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(20));

class Subprocess {
 public:
  Subprocess() = default;
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // Starts argv[0] (a path, or a name looked up in PATH) with argv and the extra environment
  // entries ("K=V").
  bool Start(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});
  void Signal(int sig);
  // Waits for exit; returns the exit code (128+signal when killed), nullopt on timeout.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  bool running();

  std::string Stdout() const;
  std::string Stderr() const;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::string dir_;
};

// Runs to completion (bounded by `timeout`); returns exit code, stdout, stderr.
struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
RunResult RunProcess(const std::vector<std::string>& argv, std::chrono::milliseconds timeout =
                                                        std::chrono::seconds(30));

// A blocking HTTP GET to 127.0.0.1:port (status, body); status 0 when unreachable.
struct HttpResult {
  int status = 0;
  std::string body;
};
HttpResult HttpGet(int port, const std::string& path);

}  // namespace astrolabe::e2e
