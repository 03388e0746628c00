#pragma once
// Internal to astrolabe_net: the URL handling of HttpClient — parsing http(s) URLs,
// resolving redirect targets, and choosing a proxy the way curl reads the environment.
// Separate from http_client.cc so the rules can be tested without sockets.
// Thread-compatible: pure functions over values.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace astrolabe::net::internal {

struct Url {
  std::string scheme;  // "http" or "https", lowercase
  std::string host;    // lowercase name, IPv4 literal, or IPv6 literal without brackets
  uint16_t port = 0;   // explicit or the scheme's default
  bool port_given = false;
  std::string target;    // origin-form: path (at least "/") plus "?query"; no fragment
  std::string userinfo;  // "user:password" as written (percent-decoded), or empty

  bool ipv6() const { return host.find(':') != std::string::npos; }
  bool default_port() const { return port == (scheme == "https" ? 443 : 80); }
  // "host" or "host:port" (port only when not the default), IPv6 in brackets: the Host field.
  std::string Authority() const;
  // "host:port" with the port always, IPv6 in brackets: a CONNECT target.
  std::string HostPort() const;
  // scheme://authority/target, without userinfo: absolute-form for a proxy.
  std::string Absolute() const;
};

// Parses an absolute http or https URL. Other schemes and malformed URLs are
// kInvalidArgument naming the problem ("unsupported scheme \"ftp\"").
Result<Url> ParseUrl(std::string_view text);

// Resolves a Location value against the URL it came from (RFC 3986 §5.2: absolute URL,
// "//authority/...", "/path", or a relative path).
Result<Url> ResolveReference(const Url& base, std::string_view location);

// True when `host` is exempted by a no_proxy list as curl reads it: comma- (or space-)
// separated entries; "*" matches everything; an entry matches the host itself and, for
// names, every subdomain (a leading "." is ignored); IP entries may carry a "/prefix" (CIDR);
// "[::1]" brackets are optional. Case-insensitive.
bool NoProxyMatches(std::string_view no_proxy, std::string_view host);

// The proxy for `url`, or nullopt for a direct connection. `explicit_proxy` (the
// proxy_url option) wins over the environment when set; otherwise, like curl: http URLs use
// `http_proxy` (lowercase only: curl ignores HTTP_PROXY, which CGI servers let a client set),
// https URLs `https_proxy` then `HTTPS_PROXY`, then `all_proxy`/`ALL_PROXY` for both.
// `no_proxy`/`NO_PROXY` exempts hosts in both cases. A proxy without a scheme is http.
// `getenv` is injectable for tests.
Result<std::optional<Url>> ProxyFor(const Url& url, std::string_view explicit_proxy,
                                    const std::function<const char*(const char*)>& getenv);

// Base64 (RFC 4648, with padding), for Basic credentials.
std::string Base64(std::string_view in);

}  // namespace astrolabe::net::internal
