#pragma once
// JSON string literals as Go's encoding/json writes them — the one escaper every JSON writer of
// ours uses (the APIs, OTLP/JSON, GenAI messages, the simulators, auth errors).

#include <cstddef>
#include <string>
#include <string_view>

namespace astrolabe {

enum class JsonHtml {
  kKeep,    // `<`, `>` and `&` as they are (Go's Encoder with SetEscapeHTML(false))
  kEscape,  // as \u003c, \u003e, \u0026 (json.Marshal's default; Prometheus' API answers)
};

// Appends `s` as a JSON string, quotes included: `"` and `\` escaped, \n \r \t, other control
// characters as \u00XX, U+2028 and U+2029 escaped (JavaScript), and each byte that does not
// start a well-formed UTF-8 sequence replaced by \ufffd, so the output is always valid JSON.
void AppendJsonString(std::string& out, std::string_view s, JsonHtml html = JsonHtml::kKeep);

}  // namespace astrolabe
