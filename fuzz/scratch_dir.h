#pragma once
// The directory a fuzz target works in: made on first use, once per process, under /dev/shm
// (else the temp directory), and removed with everything in it when the process exits
// normally (libFuzzer's end of -max_total_time / -runs, and the replay tests' main, which
// `make test` runs for every target: each run used to leave its directory behind).

#include <stdlib.h>  // mkdtemp

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace astrolabe::fuzz {

// A new directory "<prefix>-XXXXXX" under /dev/shm when there is one (inputs that write files
// stay in memory), else the temp directory; aborts when none can be made. Its owner removes it.
inline std::string MakeTempDir(const char* prefix) {
  const std::filesystem::path base = std::filesystem::is_directory("/dev/shm")
                                         ? std::filesystem::path("/dev/shm")
                                         : std::filesystem::temp_directory_path();
  std::string tmpl = (base / (std::string(prefix) + "-XXXXXX")).string();
  if (mkdtemp(tmpl.data()) == nullptr) std::abort();
  return tmpl;
}

// REQUIRES: the same `prefix` on every call of one process (the first call names the
// directory).
inline const std::string& ScratchDir(const char* prefix) {
  struct Dir {
    std::string path;
    ~Dir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static const Dir dir{MakeTempDir(prefix)};
  return dir.path;
}

}  // namespace astrolabe::fuzz
