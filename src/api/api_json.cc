#include "api/api_json.h"

#include <simdjson.h>

namespace astrolabe::api {

namespace {

// The length of the well-formed UTF-8 sequence (RFC 3629: no overlongs, no surrogates,
// at most U+10FFFF) at the start of `s`, or 0.
size_t Utf8SequenceLength(std::string_view s) {
  const auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = b(0);
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (s.size() < len || b(1) < lo || b(1) > hi) return 0;
  for (size_t i = 2; i < len; ++i) {
    if (b(i) < 0x80 || b(i) > 0xBF) return 0;
  }
  return len;
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const size_t len = Utf8SequenceLength(s.substr(i));
      const std::string_view seq = s.substr(i, len);
      if (len == 0) {
        out += "\\ufffd";
        ++i;
        continue;
      }
      if (seq == "\xE2\x80\xA8") {
        out += "\\u2028";
      } else if (seq == "\xE2\x80\xA9") {
        out += "\\u2029";
      } else {
        out += seq;
      }
      i += len;
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == '<' || c == '>' || c == '&') {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += char(c);
        }
    }
    ++i;
  }
  out += '"';
}

std::string ErrorJson(int code, std::string_view message) {
  std::string out = "{\"error\":{\"code\":" + std::to_string(code) + ",\"message\":";
  AppendJsonString(out, message);
  out += "}}";
  return out;
}

std::string TokenJson(const TokenInfo& t) {
  std::string out = "{\"id\":";
  AppendJsonString(out, t.id);
  out += ",\"name\":";
  AppendJsonString(out, t.name);
  out += ",\"scopes\":[";
  for (size_t i = 0; i < t.scopes.size(); ++i) {
    if (i > 0) out += ',';
    AppendJsonString(out, t.scopes[i]);
  }
  out += "],\"created\":";
  AppendJsonString(out, t.created);
  if (!t.revoked.empty()) {
    out += ",\"revoked\":";
    AppendJsonString(out, t.revoked);
  }
  out += '}';
  return out;
}

Status ParseCreateTokenRequest(std::string_view body, std::string* name,
                               std::vector<std::string>* scopes) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(body);
  simdjson::dom::element root;
  if (auto err = parser.parse(padded).get(root); err) {
    return InvalidArgument(std::string("request body is not valid JSON: ") +
                           simdjson::error_message(err));
  }
  simdjson::dom::object obj;
  if (root.get(obj)) return InvalidArgument("request body: expected a JSON object");
  for (auto field : obj) {
    if (field.key != "name" && field.key != "scopes") {
      return InvalidArgument("request body: unknown field \"" + std::string(field.key) +
                             "\" (expected name, scopes)");
    }
  }
  std::string_view n;
  if (obj["name"].get(n)) return InvalidArgument("name: expected a string");
  *name = std::string(n);
  simdjson::dom::array list;
  if (obj["scopes"].get(list)) return InvalidArgument("scopes: expected an array of strings");
  scopes->clear();
  for (simdjson::dom::element e : list) {
    std::string_view s;
    if (e.get(s)) return InvalidArgument("scopes: expected an array of strings");
    scopes->emplace_back(s);
  }
  return Status::Ok();
}

}  // namespace astrolabe::api
