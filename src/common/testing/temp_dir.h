#pragma once
// TempDir: a fresh directory under $TMPDIR (else /tmp) for one test, removed with everything
// in it when the object goes. Header-only, for tests:
//
//   TempDir dir;                       // /tmp/astrolabe_test.Ab12Cd
//   Open(dir.path() + "/wal");         // or dir / "wal"
//
// path() is empty when the directory could not be made (the test's first use of it fails).

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace astrolabe::test {

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base != nullptr && *base ? base : "/tmp") +
                       "/astrolabe_test.XXXXXX";
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace astrolabe::test
