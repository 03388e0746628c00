#pragma once
// LlmCall: the one canonical record of an LLM call that src/genai builds from a span of any
// of the three attribute dialects it reads (OpenTelemetry GenAI conventions in every version,
// OpenLLMetry's legacy keys, OpenInference), and from which it writes the current OTel keys
// back onto the span (normalize.h). The mapping is docs/genai-conventions.md.
//
// Plain data; thread-compatible.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace astrolabe::genai {

enum class Dialect { kOtel, kOpenLlmetry, kOpenInference };
// "otel", "openllmetry", "openinference" (the values of astrolabe.genai.dialect).
std::string_view DialectName(Dialect dialect);

// One part of a message, in the current convention's shape
// ({"type":"text","content":...}, {"type":"tool_call","id","name","arguments"},
// {"type":"tool_call_response","id","response"}).
struct MessagePart {
  enum class Type { kText, kToolCall, kToolCallResponse };
  Type type = Type::kText;
  std::string content;    // text, or the response of a tool_call_response
  std::string id;         // tool call id
  std::string name;       // tool (function) name
  std::string arguments;  // raw text; written as JSON when it is valid JSON, else as a string
  friend bool operator==(const MessagePart&, const MessagePart&) = default;
};

struct Message {
  std::string role;
  std::vector<MessagePart> parts;
  std::string finish_reason;  // output messages only; "" when unknown
  friend bool operator==(const Message&, const Message&) = default;
};

struct LlmCall {
  Dialect dialect = Dialect::kOtel;
  std::string operation;  // gen_ai.operation.name: chat, text_completion, embeddings, rerank, ...
  std::string provider;   // gen_ai.provider.name, already mapped (ProviderFromSystem)
  std::string request_model;
  std::string response_model;
  std::optional<int64_t> input_tokens;
  std::optional<int64_t> output_tokens;
  std::optional<int64_t> total_tokens;
  std::optional<int64_t> cache_read_input_tokens;
  std::optional<int64_t> cache_creation_input_tokens;
  std::optional<int64_t> reasoning_output_tokens;
  std::vector<std::string> finish_reasons;  // index order
  std::vector<Message> input_messages;
  std::vector<Message> output_messages;
  std::string system_instructions;  // text; "" when none was a separate parameter
  std::optional<bool> stream;
  std::optional<double> time_to_first_token;  // seconds
  uint64_t time_unix_nano = 0;                // the span's start: selects the price in force

  // Back to a default-constructed call, keeping the capacity of its strings and vectors (the
  // normalizer reuses one call per thread: model names are longer than a string's inline
  // bytes, so a fresh call per span was a malloc and a free for each).
  void Reset() {
    dialect = Dialect::kOtel;
    operation.clear();
    provider.clear();
    request_model.clear();
    response_model.clear();
    input_tokens.reset();
    output_tokens.reset();
    total_tokens.reset();
    cache_read_input_tokens.reset();
    cache_creation_input_tokens.reset();
    reasoning_output_tokens.reset();
    finish_reasons.clear();
    input_messages.clear();
    output_messages.clear();
    system_instructions.clear();
    stream.reset();
    time_to_first_token.reset();
    time_unix_nano = 0;
  }
  friend bool operator==(const LlmCall&, const LlmCall&) = default;
};
// Reset names every member: one added to LlmCall must be added there too (LP64 libstdc++).
static_assert(sizeof(void*) != 8 || sizeof(std::string) != 32 || sizeof(LlmCall) == 368,
              "LlmCall changed: update LlmCall::Reset");

}  // namespace astrolabe::genai
