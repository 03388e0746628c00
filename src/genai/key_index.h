#pragma once
// KeyIndex: where each attribute key the normaliser reads or writes sits in a span's
// attribute list, found in one pass over the list. The normaliser looks up ~60 keys per
// LLM-call span; a linear scan per lookup (pdata::FindAttribute) compared each against
// every attribute, while with the index each is an array read.
//
// The keys are a fixed table (kKnownKeys, below); K("gen_ai.request.model") is its id and
// fails to compile for a key not in the table. Lookups answer what pdata::FindAttribute
// would: the first attribute of that name. An index stays right while attributes are only
// appended through Add() (it holds positions, not pointers); after any other change to the
// list it must be rebuilt.
//
// The index also records which of the indexed-message prefixes (gen_ai.prompt.N...,
// llm.input_messages.N... — see Prefix) occur, so that a span without any is not scanned
// for them.
//
// Thread-compatible; the key table is immutable.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "pdata/common.h"

namespace astrolabe::pdata {
class TracesSpares;  // pdata/spares.h
}  // namespace astrolabe::pdata

namespace astrolabe::genai {

// Every span attribute key the normaliser looks up or writes.
inline constexpr std::string_view kKnownKeys[] = {
    // current OpenTelemetry GenAI keys
    "gen_ai.operation.name",
    "gen_ai.provider.name",
    "gen_ai.system",
    "gen_ai.request.model",
    "gen_ai.response.model",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.total_tokens",
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.reasoning.output_tokens",
    "gen_ai.response.finish_reasons",
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.request.stream",
    "gen_ai.response.time_to_first_chunk",
    "gen_ai.server.time_to_first_token",
    "gen_ai.request.max_tokens",
    "gen_ai.request.temperature",
    "gen_ai.request.top_p",
    "gen_ai.request.top_k",
    "gen_ai.request.frequency_penalty",
    "gen_ai.request.presence_penalty",
    "gen_ai.request.seed",
    "gen_ai.request.stop_sequences",
    "gen_ai.tool.definitions",
    // older spellings and OpenLLMetry
    "gen_ai.usage.prompt_tokens",
    "gen_ai.usage.completion_tokens",
    "gen_ai.usage.cache_read_input_tokens",
    "gen_ai.usage.cache_creation_input_tokens",
    "gen_ai.usage.reasoning_tokens",
    "gen_ai.is_streaming",
    "gen_ai.openai.api_base",
    "gen_ai.openai.system_fingerprint",
    "gen_ai.openai.response.system_fingerprint",
    "gen_ai.openai.request.seed",
    "gen_ai.openai.request.service_tier",
    "gen_ai.openai.response.service_tier",
    "llm.request.type",
    "llm.usage.total_tokens",
    "llm.usage.reasoning_tokens",
    "llm.is_streaming",
    "llm.frequency_penalty",
    "llm.presence_penalty",
    "llm.top_k",
    "llm.chat.stop_sequences",
    // OpenInference
    "openinference.span.kind",
    "llm.provider",
    "llm.system",
    "llm.model_name",
    "embedding.model_name",
    "llm.token_count.prompt",
    "llm.token_count.completion",
    "llm.token_count.total",
    "llm.token_count.prompt_details.cache_read",
    "llm.token_count.prompt_details.cache_write",
    "llm.token_count.completion_details.reasoning",
    "llm.invocation_parameters",
    "input.value",
    "output.value",
    // written by the normaliser
    "astrolabe.genai.dialect",
    "astrolabe.genai.time_to_first_token",
    "astrolabe.genai.cost",
    "astrolabe.genai.cost.currency",
    "openai.response.system_fingerprint",
    "openai.request.service_tier",
    "openai.response.service_tier",
    "server.address",
    "server.port",
};
inline constexpr size_t kKnownKeyCount = std::size(kKnownKeys);

using KeyId = uint8_t;
static_assert(kKnownKeyCount < 255);

namespace key_index_internal {
// Not constexpr: calling it in a constant expression is the compile error for an unknown key.
inline void NotAKnownKey() {}
}  // namespace key_index_internal

// The id of a known key, at compile time.
consteval KeyId K(std::string_view key) {
  for (size_t i = 0; i < kKnownKeyCount; ++i) {
    if (kKnownKeys[i] == key) return static_cast<KeyId>(i);
  }
  key_index_internal::NotAKnownKey();
  return 0;
}

inline std::string_view KeyName(KeyId id) { return kKnownKeys[id]; }

// The id of `key`, or false when it is not a known key. One hash and at most a few
// comparisons.
bool LookupKey(std::string_view key, KeyId* id);

// Attribute keys of indexed messages, recorded by the index when any key starts with them.
enum class Prefix : uint8_t {
  kGenAiPrompt,         // "gen_ai.prompt."
  kGenAiCompletion,     // "gen_ai.completion."
  kLlmInputMessages,    // "llm.input_messages."
  kLlmOutputMessages,   // "llm.output_messages."
  kLlmRequestFunctions  // "llm.request.functions."
};
std::string_view PrefixText(Prefix prefix);

class KeyIndex {
 public:
  // Indexes `attrs`. REQUIRES: attrs outlives the index.
  explicit KeyIndex(const pdata::Attributes& attrs);

  // The first attribute named kKnownKeys[id], or nullptr.
  const pdata::AnyValue* Find(KeyId id) const {
    return pos_[id] == 0 ? nullptr : &(*attrs_)[pos_[id] - 1].value;
  }
  bool Has(KeyId id) const { return pos_[id] != 0; }
  // Whether some key starts with the prefix.
  bool HasPrefix(Prefix p) const { return (prefixes_ & (1u << static_cast<unsigned>(p))) != 0; }

  // Appends {kKnownKeys[id], value} to `attrs` unless that key is present, the key-value
  // taken from `spares` when given (its key's buffer reused).
  // REQUIRES: attrs is the indexed list.
  void PutIfAbsent(pdata::Attributes& attrs, KeyId id, pdata::AnyValue value,
                   pdata::TracesSpares* spares = nullptr);

 private:
  const pdata::Attributes* attrs_;
  uint32_t pos_[kKnownKeyCount] = {};  // 1 + position of the first attribute; 0 = none
  uint32_t prefixes_ = 0;
};

}  // namespace astrolabe::genai
