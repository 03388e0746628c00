#include "api/ui_server.h"

#include <cstdint>
#include <cstdlib>

#include "api/api_json.h"
#include "net/http_server.h"
#include "wire/gzip.h"

namespace astrolabe::api {
namespace {

constexpr std::string_view kNotBuilt = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Astrolabe: UI not built</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em;color:#222}
code{background:#eee;padding:2px 5px;border-radius:4px}</style></head><body>
<h1>UI not built: run <code>make ui</code></h1>
<p>This Astrolabe binary was built without its web UI (there was no <code>ui/dist</code> at build
time). Run <code>make ui</code> (or <code>make</code>, which does it first) in the source tree and
rebuild; the UI is then embedded in the binary and served here.</p>
<p>The API works without it: <code>/api/v1/query</code>, <code>/api/v1/spans</code>, … (docs/api.md).</p>
</body></html>
)";

constexpr std::string_view kCsp =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'; form-action 'self'";

// FNV-1a, 64 bits: a stable content hash for ETags (not a security boundary).
uint64_t Fnv1a(std::string_view data) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string Hex64(uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) out[static_cast<size_t>(i)] = kDigits[v & 0xf];
  return out;
}

bool Compressible(std::string_view type) {
  return type.starts_with("text/") || type.starts_with("application/javascript") ||
         type.starts_with("application/json") || type.starts_with("image/svg+xml") ||
         type.starts_with("application/manifest+json");
}

bool AcceptsGzip(const net::ServerRequest& request) {
  for (std::string_view value : request.headers("Accept-Encoding")) {
    size_t at = 0;
    while (at <= value.size()) {
      size_t comma = value.find(',', at);
      if (comma == std::string_view::npos) comma = value.size();
      std::string_view item = value.substr(at, comma - at);
      while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
      const size_t semi = item.find(';');
      std::string_view coding = item.substr(0, semi);
      while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t')) coding.remove_suffix(1);
      if (coding == "gzip" || coding == "x-gzip" || coding == "*") {
        // "gzip;q=0" refuses it.
        if (semi == std::string_view::npos) return true;
        std::string_view params = item.substr(semi + 1);
        const size_t q = params.find("q=");
        if (q == std::string_view::npos) return true;
        const std::string qv(params.substr(q + 2, 5));
        return std::strtod(qv.c_str(), nullptr) > 0;
      }
      at = comma + 1;
    }
  }
  return false;
}

// True when an If-None-Match value lists `etag` (or is "*").
bool Matches(std::string_view header, std::string_view etag) {
  size_t at = 0;
  while (at < header.size()) {
    size_t comma = header.find(',', at);
    if (comma == std::string_view::npos) comma = header.size();
    std::string_view item = header.substr(at, comma - at);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.starts_with("W/")) item.remove_prefix(2);
    if (item == etag || item == "*") return true;
    at = comma + 1;
  }
  return false;
}

}  // namespace

std::string_view UiServer::ContentTypeOf(std::string_view path) {
  const size_t dot = path.rfind('.');
  const std::string_view ext = dot == std::string_view::npos ? "" : path.substr(dot + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "application/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "json") return "application/json";
  if (ext == "webmanifest") return "application/manifest+json";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "jpg" || ext == "jpeg") return "image/jpeg";
  if (ext == "gif") return "image/gif";
  if (ext == "webp") return "image/webp";
  if (ext == "ico") return "image/x-icon";
  if (ext == "woff2") return "font/woff2";
  if (ext == "woff") return "font/woff";
  if (ext == "txt") return "text/plain; charset=utf-8";
  if (ext == "wasm") return "application/wasm";
  return "application/octet-stream";
}

UiServer::UiServer(std::span<const UiFile> files) {
  for (const UiFile& f : files) {
    Entry e;
    e.data = f.data;
    e.content_type = ContentTypeOf(f.path);
    e.etag = "\"" + Hex64(Fnv1a(f.data)) + "\"";
    e.immutable = f.path.starts_with("/assets/");
    if (f.data.size() >= 512 && Compressible(e.content_type)) {
      std::string gz;
      if (wire::GzipCompress(f.data, &gz, 9).ok() && gz.size() + 64 < f.data.size()) e.gzip = std::move(gz);
    }
    files_.emplace(f.path, std::move(e));
  }
}

void UiServer::Serve(net::ServerRequest& request, net::ServerResponse& response) const {
  std::string_view path = request.path();
  if (path.starts_with("/api/") || path == "/api") {
    response.Set(404, "application/json",
                 ErrorJson(404, "no API route " + std::string(request.method()) + " " + std::string(path)));
    return;
  }
  response.headers.Set("X-Content-Type-Options", "nosniff");
  if (files_.empty()) {
    response.Set(503, "text/html; charset=utf-8", std::string(kNotBuilt));
    response.headers.Set("Cache-Control", "no-store");
    return;
  }
  if (path == "/") path = "/index.html";
  auto it = files_.find(path);
  if (it == files_.end()) {
    const size_t slash = path.rfind('/');
    const bool has_extension = path.find('.', slash == std::string_view::npos ? 0 : slash) != std::string_view::npos;
    if (has_extension) {
      response.Set(404, "text/plain; charset=utf-8", "not found: " + std::string(path) + "\n");
      return;
    }
    it = files_.find("/index.html");  // client-side route
    if (it == files_.end()) {
      response.Set(404, "text/plain; charset=utf-8", "not found\n");
      return;
    }
  }
  const Entry& e = it->second;
  response.headers.Set("ETag", e.etag);
  response.headers.Set("Cache-Control", e.immutable ? "public, max-age=31536000, immutable" : "no-cache");
  if (!e.gzip.empty()) response.headers.Set("Vary", "Accept-Encoding");
  if (e.content_type.starts_with("text/html")) {
    response.headers.Set("Content-Security-Policy", std::string(kCsp));
    response.headers.Set("X-Frame-Options", "DENY");
    response.headers.Set("Referrer-Policy", "no-referrer");
  }
  if (auto inm = request.header("If-None-Match"); inm && Matches(*inm, e.etag)) {
    response.status = 304;
    return;
  }
  if (!e.gzip.empty() && AcceptsGzip(request)) {
    response.Set(200, std::string(e.content_type), e.gzip);
    response.headers.Set("Content-Encoding", "gzip");
    return;
  }
  response.Set(200, std::string(e.content_type), std::string(e.data));
}

}  // namespace astrolabe::api
