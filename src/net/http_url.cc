#include "net/http_url.h"

#include <arpa/inet.h>

#include <array>
#include <cctype>
#include <vector>

#include "common/base64.h"

namespace astrolabe::net::internal {
namespace {

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string LowerCopy(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = Lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// Checks the request target's bytes: controls and spaces are rejected (they would break the
// request line); bytes >= 0x80 are percent-encoded, as curl does.
Result<std::string> CleanTarget(std::string_view target) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(target.size() + 1);
  if (target.empty() || target.front() != '/') out.push_back('/');
  for (char c : target) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      return InvalidArgument("URL path has a space or control character");
    }
    if (u >= 0x80) {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// RFC 3986 §5.2.4, on a path without query.
std::string RemoveDotSegments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t pos = 1;  // path starts with '/'
  bool trailing_slash = false;
  while (pos <= path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    std::string_view seg = path.substr(pos, end - pos);
    trailing_slash = false;
    if (seg == "..") {
      if (!out.empty()) out.pop_back();
      trailing_slash = true;
    } else if (seg == ".") {
      trailing_slash = true;
    } else {
      out.push_back(seg);
    }
    pos = end + 1;
  }
  std::string result;
  for (std::string_view seg : out) {
    result += '/';
    result += seg;
  }
  if (result.empty() || trailing_slash) result += '/';
  return result;
}

bool ValidHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

// Parses an IPv4 or IPv6 literal into 16 bytes; returns the address family or 0.
int ParseIp(std::string_view text, std::array<unsigned char, 16>& out) {
  std::string s(text);
  if (s.size() > 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  out.fill(0);
  if (inet_pton(AF_INET, s.c_str(), out.data()) == 1) return AF_INET;
  if (inet_pton(AF_INET6, s.c_str(), out.data()) == 1) return AF_INET6;
  return 0;
}

bool CidrMatches(std::string_view entry, std::string_view host) {
  size_t slash = entry.find('/');
  std::array<unsigned char, 16> net{};
  std::array<unsigned char, 16> addr{};
  int family = ParseIp(entry.substr(0, slash), net);
  if (family == 0 || ParseIp(host, addr) != family) return false;
  int max_bits = family == AF_INET ? 32 : 128;
  int bits = max_bits;
  if (slash != std::string_view::npos) {
    std::string_view b = entry.substr(slash + 1);
    if (b.empty() || b.size() > 3) return false;
    bits = 0;
    for (char c : b) {
      if (c < '0' || c > '9') return false;
      bits = bits * 10 + (c - '0');
    }
    if (bits > max_bits) return false;
  }
  for (int i = 0; i < bits; ++i) {
    int mask = 0x80 >> (i % 8);
    if ((net[i / 8] & mask) != (addr[i / 8] & mask)) return false;
  }
  return true;
}

}  // namespace

std::string Url::Authority() const {
  std::string out = ipv6() ? "[" + host + "]" : host;
  if (!default_port()) out += ":" + std::to_string(port);
  return out;
}

std::string Url::HostPort() const {
  return (ipv6() ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string Url::Absolute() const { return scheme + "://" + Authority() + target; }

Result<Url> ParseUrl(std::string_view text) {
  Url url;
  size_t colon = text.find("://");
  if (colon == std::string_view::npos) {
    return InvalidArgument("\"" + std::string(text) + "\" is not an absolute http(s) URL");
  }
  url.scheme = LowerCopy(text.substr(0, colon));
  if (url.scheme != "http" && url.scheme != "https") {
    return InvalidArgument("unsupported scheme \"" + url.scheme + "\" (http and https only)");
  }
  std::string_view rest = text.substr(colon + 3);
  size_t fragment = rest.find('#');
  if (fragment != std::string_view::npos) rest = rest.substr(0, fragment);
  size_t auth_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, auth_end);
  std::string_view target = auth_end == std::string_view::npos ? "" : rest.substr(auth_end);

  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    url.userinfo = PercentDecode(authority.substr(0, at));
    authority = authority.substr(at + 1);
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return InvalidArgument("unterminated IPv6 address");
    url.host = LowerCopy(authority.substr(1, close - 1));
    std::array<unsigned char, 16> ip{};
    if (ParseIp(url.host, ip) != AF_INET6) {
      return InvalidArgument("bad IPv6 address \"" + url.host + "\"");
    }
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return InvalidArgument("junk after IPv6 address");
      port_text = after.substr(1);
      url.port_given = true;
    }
  } else {
    size_t c = authority.rfind(':');
    if (c != std::string_view::npos) {
      port_text = authority.substr(c + 1);
      authority = authority.substr(0, c);
      url.port_given = true;
    }
    for (char ch : authority) {
      if (!ValidHostChar(ch)) {
        return InvalidArgument("bad character in host name \"" + std::string(authority) + "\"");
      }
    }
    url.host = LowerCopy(authority);
    while (url.host.size() > 1 && url.host.back() == '.') url.host.pop_back();
  }
  if (url.host.empty()) return InvalidArgument("no host in URL");
  if (url.port_given && !port_text.empty()) {
    uint32_t port = 0;
    for (char ch : port_text) {
      if (ch < '0' || ch > '9' || port > 65535) return InvalidArgument("bad port number");
      port = port * 10 + static_cast<uint32_t>(ch - '0');
    }
    if (port == 0 || port > 65535) return InvalidArgument("bad port number");
    url.port = static_cast<uint16_t>(port);
  } else {
    url.port_given = false;
    url.port = url.scheme == "https" ? 443 : 80;
  }
  ASSIGN_OR_RETURN(url.target, CleanTarget(target));
  return url;
}

Result<Url> ResolveReference(const Url& base, std::string_view location) {
  size_t i = 0;
  while (i < location.size() && (std::isalnum(static_cast<unsigned char>(location[i])) ||
                                 location[i] == '+' || location[i] == '-' || location[i] == '.')) {
    ++i;
  }
  if (i > 0 && i < location.size() && location[i] == ':' &&
      std::isalpha(static_cast<unsigned char>(location[0]))) {
    return ParseUrl(location);
  }
  if (location.starts_with("//")) return ParseUrl(base.scheme + ":" + std::string(location));
  Url url = base;
  url.userinfo.clear();
  size_t fragment = location.find('#');
  if (fragment != std::string_view::npos) location = location.substr(0, fragment);
  std::string_view base_path = std::string_view(base.target).substr(0, base.target.find('?'));
  std::string merged;
  if (location.empty()) {
    merged = base.target;
  } else if (location.front() == '/') {
    merged = std::string(location);
  } else if (location.front() == '?') {
    merged = std::string(base_path) + std::string(location);
  } else {
    merged = std::string(base_path.substr(0, base_path.rfind('/') + 1)) + std::string(location);
  }
  size_t q = merged.find('?');
  std::string path = RemoveDotSegments(std::string_view(merged).substr(0, q));
  if (q != std::string::npos) path += merged.substr(q);
  ASSIGN_OR_RETURN(url.target, CleanTarget(path));
  return url;
}

bool NoProxyMatches(std::string_view no_proxy, std::string_view host) {
  while (!no_proxy.empty() && (no_proxy.front() == ' ' || no_proxy.front() == '\t')) {
    no_proxy.remove_prefix(1);
  }
  while (!no_proxy.empty() && (no_proxy.back() == ' ' || no_proxy.back() == '\t')) {
    no_proxy.remove_suffix(1);
  }
  if (no_proxy == "*") return true;
  std::array<unsigned char, 16> ip{};
  bool host_is_ip = ParseIp(host, ip) != 0;
  if (host.size() > 1 && host.back() == '.') host.remove_suffix(1);
  size_t pos = 0;
  while (pos < no_proxy.size()) {
    size_t end = no_proxy.find_first_of(", \t", pos);
    if (end == std::string_view::npos) end = no_proxy.size();
    std::string_view entry = no_proxy.substr(pos, end - pos);
    pos = end + 1;
    if (entry.empty()) continue;
    if (host_is_ip) {
      if (CidrMatches(entry, host)) return true;
      continue;
    }
    if (entry.front() == '.') entry.remove_prefix(1);
    if (entry.size() > 1 && entry.back() == '.') entry.remove_suffix(1);
    if (entry.empty()) continue;
    if (IEquals(entry, host)) return true;
    if (entry.size() < host.size() && host[host.size() - entry.size() - 1] == '.' &&
        IEquals(entry, host.substr(host.size() - entry.size()))) {
      return true;
    }
  }
  return false;
}

Result<std::optional<Url>> ProxyFor(const Url& url, std::string_view explicit_proxy,
                                    const std::function<const char*(const char*)>& getenv) {
  auto env = [&](std::initializer_list<const char*> names) -> std::string_view {
    for (const char* name : names) {
      const char* v = getenv(name);
      if (v != nullptr && *v != '\0') return v;
    }
    return {};
  };
  std::string_view no_proxy = env({"no_proxy", "NO_PROXY"});
  if (!no_proxy.empty() && NoProxyMatches(no_proxy, url.host)) return std::optional<Url>();
  std::string_view proxy = explicit_proxy;
  if (proxy.empty()) {
    proxy = url.scheme == "https" ? env({"https_proxy", "HTTPS_PROXY"}) : env({"http_proxy"});
    if (proxy.empty()) proxy = env({"all_proxy", "ALL_PROXY"});
  }
  if (proxy.empty()) return std::optional<Url>();
  std::string text(proxy);
  size_t scheme_end = text.find("://");
  if (scheme_end == std::string::npos) {
    text = "http://" + text;
  } else if (!IEquals(text.substr(0, scheme_end), "http")) {
    return InvalidArgument("proxy \"" + std::string(proxy) + "\": scheme \"" +
                           text.substr(0, scheme_end) + "\" is not supported (http only)");
  }
  Result<Url> parsed = ParseUrl(text);
  if (!parsed.ok()) {
    return InvalidArgument("proxy \"" + std::string(proxy) + "\": " + parsed.status().message());
  }
  if (!parsed->port_given) parsed->port = 1080;  // curl's default proxy port
  return std::optional<Url>(std::move(*parsed));
}

std::string Base64(std::string_view in) { return Base64Encode(in); }

}  // namespace astrolabe::net::internal
