// Fuzzes the HTTP client's URL handling (src/net/http_url.h): the URLs it is given and the
// Location headers servers send back (untrusted). Input: "<base URL>\n<Location>\n<no_proxy>".
// Checks, besides the sanitizers: a parsed or resolved URL prints (Absolute()) to a URL that
// parses back to the same parts, and NoProxyMatches never crashes on any list or host.
// Seeds: fuzz/corpus/http_url/.
//
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I src fuzz/http_url_fuzz.cc
//     src/net/http_url.cc src/common/status.cc -o http_url_fuzz
//   ./http_url_fuzz fuzz/corpus/http_url

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "net/http_url.h"

namespace {

using astrolabe::net::internal::Url;

void CheckRoundTrip(const Url& url) {
  auto again = astrolabe::net::internal::ParseUrl(url.Absolute());
  if (!again.ok() || again->scheme != url.scheme || again->host != url.host ||
      again->port != url.port || again->target != url.target) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t nl = in.find('\n');
  std::string_view base = in.substr(0, nl);
  std::string_view rest = nl == std::string_view::npos ? "" : in.substr(nl + 1);
  size_t nl2 = rest.find('\n');
  std::string_view location = rest.substr(0, nl2);
  std::string_view no_proxy = nl2 == std::string_view::npos ? "" : rest.substr(nl2 + 1);

  auto url = astrolabe::net::internal::ParseUrl(base);
  if (!url.ok()) return 0;
  CheckRoundTrip(*url);
  (void)astrolabe::net::internal::NoProxyMatches(no_proxy, url->host);
  auto next = astrolabe::net::internal::ResolveReference(*url, location);
  if (next.ok()) CheckRoundTrip(*next);
  return 0;
}
