#pragma once
// Messages as JSON text, in the OpenTelemetry GenAI conventions' shape (v1.37+):
//   [{"role":"user","parts":[{"type":"text","content":"Hi"}]},
//    {"role":"assistant","parts":[{"type":"tool_call","id":"c1","name":"f","arguments":{"a":1}}],
//     "finish_reason":"tool_call"}]
// The writer is ours (no JSON library on the output side); the reader takes untrusted text
// (span attributes, log bodies) through simdjson and never fails loudly: it returns false.
// Thread-safe (no shared state).

#include <string>
#include <string_view>
#include <vector>

#include "genai/llm_call.h"

namespace astrolabe::genai {

// Appends `s` as a JSON string literal. Quotes, backslashes and control characters are
// escaped; bytes that are not well-formed UTF-8 become \ufffd, so the output is valid JSON.
void AppendJsonString(std::string& out, std::string_view s);

// The messages as a JSON array. Tool-call arguments that are valid JSON are embedded as
// JSON (minified); others as a string. finish_reason is written when non-empty.
std::string MessagesToJson(const std::vector<Message>& messages);

// Parses a JSON array of messages in any of the shapes emitters use:
//   - the current convention: {"role", "parts":[{"type":"text","content"} |
//     {"type":"tool_call","id","name","arguments"} | {"type":"tool_call_response","id",
//     "response"} | other types (kept as text of their `content`, if any)], "finish_reason"};
//   - OpenAI chat shape: {"role", "content": "..." | [{"type":"text","text"}...],
//     "tool_calls":[{"id","function":{"name","arguments"}}], "tool_call_id"};
//   - the v1.26 event attribute gen_ai.prompt / gen_ai.completion (the same OpenAI shape).
// Appends to `out` and returns true on success; on text that is not such an array returns
// false and leaves `out` unchanged. `max_bytes` bounds the input it will parse.
bool ParseMessagesJson(std::string_view json, std::vector<Message>* out,
                       size_t max_bytes = 4 << 20);

// Whether `text` is a single valid JSON value; when so and `minified` is not null, stores
// its compact form.
bool IsJson(std::string_view text, std::string* minified = nullptr);

}  // namespace astrolabe::genai
