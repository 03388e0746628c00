#pragma once
// UiServer: serves the web UI's files on the API listener at `/` (ApiServer mounts it as the
// fallback route, so every /api/… and /metrics route keeps priority).
//   - "/" and any path without a file extension that is not a file → index.html (SPA fallback);
//     a missing file with an extension → 404; any unknown /api/… path → a JSON 404.
//   - Content-Type by extension; a strong ETag per file (If-None-Match → 304); Cache-Control
//     `public, max-age=31536000, immutable` for Vite's content-hashed /assets/…, `no-cache`
//     (revalidate with the ETag) for the rest; gzip (Content-Encoding, compressed once at
//     start) when the client accepts it and it saves space; Vary: Accept-Encoding.
//   - index.html gets a Content-Security-Policy (scripts and connections to this origin only),
//     X-Frame-Options DENY and Referrer-Policy no-referrer; every file X-Content-Type-Options nosniff.
//   - Built without the UI (no ui/dist at build time): 503 with a page saying "UI not built: run
//     make ui".
// Thread-safe after construction (read-only).

#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "api/ui_assets.h"

namespace astrolabe::net {
class ServerRequest;
struct ServerResponse;
}  // namespace astrolabe::net

namespace astrolabe::api {

class UiServer {
 public:
  explicit UiServer(std::span<const UiFile> files);

  void Serve(net::ServerRequest& request, net::ServerResponse& response) const;
  bool built() const { return !files_.empty(); }

  // Exposed for tests.
  static std::string_view ContentTypeOf(std::string_view path);

 private:
  struct Entry {
    std::string_view data;
    std::string gzip;  // empty: not worth compressing
    std::string etag;
    std::string_view content_type;
    bool immutable = false;
  };
  std::unordered_map<std::string_view, Entry> files_;
};

}  // namespace astrolabe::api
