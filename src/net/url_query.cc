#include "net/url_query.h"

namespace astrolabe::net {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// At most 16 bytes of `text`, for error messages (callers escape them when they echo).
std::string Excerpt(std::string_view text) {
  return text.size() <= 16 ? std::string(text) : std::string(text.substr(0, 16)) + "...";
}

}  // namespace

Result<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      const int hi = i + 1 < text.size() ? HexValue(text[i + 1]) : -1;
      const int lo = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return InvalidArgument("invalid percent escape \"" + Excerpt(text.substr(i, 3)) + "\"");
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Result<std::vector<QueryParam>> ParseQueryString(std::string_view text, size_t max_params) {
  std::vector<QueryParam> out;
  size_t index = 0;  // 1-based position of the pair, for messages
  while (!text.empty()) {
    const size_t amp = text.find('&');
    const std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (pair.empty()) continue;
    ++index;
    if (out.size() == max_params) {
      return InvalidArgument("more than " + std::to_string(max_params) + " query parameters");
    }
    if (pair.find(';') != std::string_view::npos) {
      return InvalidArgument("query parameter " + std::to_string(index) +
                             ": invalid semicolon separator (encode ';' as %3B)");
    }
    const size_t eq = pair.find('=');
    QueryParam param;
    auto name = PercentDecode(pair.substr(0, eq));
    if (!name.ok()) {
      return InvalidArgument("query parameter " + std::to_string(index) + ": " +
                             name.status().message());
    }
    param.name = std::move(*name);
    if (eq != std::string_view::npos) {
      auto value = PercentDecode(pair.substr(eq + 1));
      if (!value.ok()) {
        return InvalidArgument("query parameter " + std::to_string(index) + " (" + param.name +
                               "): " + value.status().message());
      }
      param.value = std::move(*value);
    }
    out.push_back(std::move(param));
  }
  return out;
}

Result<QueryParams> QueryParams::Parse(std::string_view query,
                                       std::optional<std::string_view> form_body,
                                       size_t max_params) {
  std::vector<QueryParam> params;
  if (form_body) {
    auto body = ParseQueryString(*form_body, max_params);
    if (!body.ok()) return body.status().Annotate("form body");
    params = std::move(*body);
  }
  auto from_query = ParseQueryString(query, max_params);
  if (!from_query.ok()) return from_query.status();
  if (params.size() + from_query->size() > max_params) {
    return InvalidArgument("more than " + std::to_string(max_params) + " query parameters");
  }
  for (QueryParam& p : *from_query) params.push_back(std::move(p));
  return QueryParams(std::move(params));
}

std::optional<std::string_view> QueryParams::First(std::string_view name) const {
  for (const QueryParam& p : params_) {
    if (p.name == name) return p.value;
  }
  return std::nullopt;
}

Result<std::optional<std::string>> QueryParams::Single(std::string_view name) const {
  std::optional<std::string> found;
  size_t count = 0;
  for (const QueryParam& p : params_) {
    if (p.name != name) continue;
    if (++count == 1) found = p.value;
  }
  if (count > 1) {
    return InvalidArgument("parameter \"" + std::string(name) + "\" is given " +
                           std::to_string(count) + " times");
  }
  return found;
}

std::vector<std::string> QueryParams::Values(std::string_view name) const {
  std::vector<std::string> out;
  for (const QueryParam& p : params_) {
    if (p.name == name) out.push_back(p.value);
  }
  return out;
}

bool QueryParams::Has(std::string_view name) const { return First(name).has_value(); }

}  // namespace astrolabe::net
