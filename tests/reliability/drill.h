#pragma once
// What every reliability drill shares: whether it runs its long form (ctest label
// `drills-long`, `make drills`), chosen by ASTROLABE_DRILL_LONG=1.

#include <chrono>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_client.h"
#include "process.h"

namespace astrolabe::e2e {

inline bool LongDrill() {
  const char* v = std::getenv("ASTROLABE_DRILL_LONG");
  return v != nullptr && *v != '\0' && std::string_view(v) != "0";
}

// `short_value` in the short form, `long_value` in the long one.
template <typename T>
T DrillSize(T short_value, T long_value) {
  return LongDrill() ? long_value : short_value;
}

inline int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// `astrolabe server --auth none` on free loopback ports over `data` (extra flags appended).
struct DrillServer {
  std::string data;
  int http = FreePort(), otlp = FreePort(), grpc = FreePort(), health = FreePort();
  std::vector<std::string> extra;
  Subprocess process;

  static std::string Addr(int port) { return "127.0.0.1:" + std::to_string(port); }
  std::vector<std::string> Args() const {
    std::vector<std::string> a = {AstrolabeBinary(), "server",    "--auth",      "none",
                                  "--data",          data,        "--http",      Addr(http),
                                  "--otlp-http",     Addr(otlp),  "--otlp-grpc", Addr(grpc),
                                  "--health",        Addr(health)};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  // Starts and waits (60 s) for health; false with the reason in `why`.
  bool Start(std::string* why) {
    if (!process.Start(Args())) {
      *why = "cannot start";
      return false;
    }
    if (!Eventually([&] { return HttpGet(health, "/").status == 200; }, std::chrono::seconds(60))) {
      *why = "not healthy within 60 s\n" + process.Stderr();
      return false;
    }
    return true;
  }
};

// One POST (protobuf) to 127.0.0.1:port; status 0 and the error as body when it failed.
inline net::HttpResponse Post(net::HttpClient& client, int port, const std::string& path,
                              std::string body, bool remote_write,
                              std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  net::HttpRequest request;
  request.method = "POST";
  request.url = "http://127.0.0.1:" + std::to_string(port) + path;
  request.timeout = timeout;
  request.headers.Set("Content-Type", "application/x-protobuf");
  if (remote_write) {
    request.headers.Set("Content-Encoding", "snappy");
    request.headers.Set("X-Prometheus-Remote-Write-Version", "0.1.0");
  }
  request.body = std::move(body);
  auto response = client.Send(std::move(request)).get();
  if (!response.ok()) {
    net::HttpResponse failed;
    failed.body = response.status().ToString();
    return failed;
  }
  return *response;
}

// The value of the first line of a Prometheus text exposition starting with `prefix` and
// containing every one of `parts`; -1 when there is none.
inline double ExpositionValue(const std::string& text, std::string_view prefix,
                              const std::vector<std::string>& parts = {}) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    if (!line.starts_with(prefix)) continue;
    bool all = true;
    for (const auto& p : parts) all = all && line.find(p) != std::string_view::npos;
    if (!all) continue;
    return std::strtod(std::string(line.substr(line.rfind(' ') + 1)).c_str(), nullptr);
  }
  return -1;
}

}  // namespace astrolabe::e2e
