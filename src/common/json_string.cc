#include "common/json_string.h"

#include "common/utf8.h"

namespace astrolabe {

void AppendJsonString(std::string& out, std::string_view s, JsonHtml html) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const size_t len = Utf8SequenceLength(s.substr(i));
      if (len == 0) {
        out += "\\ufffd";
        ++i;
        continue;
      }
      const std::string_view seq = s.substr(i, len);
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
        if (c < 0x20 || (html == JsonHtml::kEscape && (c == '<' || c == '>' || c == '&'))) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
}

}  // namespace astrolabe
