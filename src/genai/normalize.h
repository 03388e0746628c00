#pragma once
// The normaliser: recognises an LLM-call span of any dialect, builds its LlmCall
// (llm_call.h) and writes the canonical attributes of the GenAI contract onto the span:
// the current OpenTelemetry GenAI keys (gen_ai.operation.name, gen_ai.provider.name,
// gen_ai.request.model, gen_ai.usage.*, gen_ai.response.finish_reasons,
// gen_ai.input.messages / gen_ai.output.messages as JSON text, gen_ai.request.stream, ...)
// and Astrolabe's own (astrolabe.genai.dialect, astrolabe.genai.cost + .currency,
// astrolabe.genai.time_to_first_token). A key already on the span is never overwritten;
// the originals stay unless keep_original_attributes is false. The key-by-key mapping is
// docs/genai-conventions.md; cost is docs/genai-cost.md.
//
// Untrusted input: any attribute may have any type and any size. Nothing here fails or
// throws; a value that cannot be used is skipped and counted in Outcome::malformed.
//
// Thread-safe: a Normalizer is immutable after construction and may be shared.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "genai/llm_call.h"
#include "genai/prices.h"
#include "pdata/logs.h"
#include "pdata/traces.h"

namespace astrolabe::genai {

class KeyIndex;  // key_index.h

struct NormalizerOptions {
  bool otel = true;
  bool openllmetry = true;
  bool openinference = true;
  // False: the legacy / OpenInference keys that were mapped onto a canonical key now on the
  // span are removed.
  bool keep_original_attributes = true;
  // A gen_ai.input.messages / gen_ai.output.messages value built longer than this is not
  // written (Outcome::oversize); message JSON read from a span is parsed up to this size.
  size_t max_message_bytes = 1 << 20;
};

// What happened to one span or log record.
struct Outcome {
  bool recognised = false;  // an LLM call (span) or a GenAI message event (log record)
  Dialect dialect = Dialect::kOtel;
  int64_t malformed = 0;       // attribute values of the wrong type or shape
  bool cost_applied = false;   // astrolabe.genai.cost written
  bool unknown_model = false;  // token counts but no price for its model
  bool oversize = false;       // a messages attribute was too long to write
};

class Normalizer {
 public:
  Normalizer() = default;
  Normalizer(NormalizerOptions options, PriceBook prices)
      : options_(options), prices_(std::move(prices)) {}

  // The span's LLM call, without changing the span; nullopt when it is not one (or its
  // dialect is disabled). `outcome` (may be null) receives the dialect and malformed count.
  std::optional<LlmCall> Extract(const pdata::Span& span, Outcome* outcome = nullptr) const;

  // Extracts, prices and writes the canonical attributes onto `span`, taking the key-values it
  // adds from `spares` when given (pdata::Traces::spares).
  Outcome NormalizeSpan(pdata::Span& span, pdata::TracesSpares* spares = nullptr) const;

  // A log record that is a GenAI message event (the deprecated gen_ai.{system,user,
  // assistant,tool}.message and gen_ai.choice, its name in the record's event_name or the
  // attribute event.name; or gen_ai.client.inference.operation.details) gets
  // gen_ai.input.messages or gen_ai.output.messages (JSON text of its one message),
  // gen_ai.provider.name from gen_ai.system, gen_ai.response.finish_reasons for a choice,
  // and astrolabe.genai.dialect=otel. Other records are untouched.
  Outcome NormalizeLog(pdata::LogRecord& record) const;

  const NormalizerOptions& options() const { return options_; }

 private:
  // Whether the span is an LLM call (of an enabled dialect); if so *call is it (whatever it
  // held before is overwritten, its capacity kept). `all_messages` false: messages already in
  // the current keys are not parsed unless needed. *index receives the span's key index when
  // the span is an LLM call (NormalizeSpan goes on with it).
  bool ExtractImpl(const pdata::Span& span, Outcome* outcome, bool all_messages,
                   std::optional<KeyIndex>* index, LlmCall* call) const;

  NormalizerOptions options_;
  PriceBook prices_;
};

// gen_ai.system (any version, any case) or an OpenInference llm.provider / llm.system value →
// a gen_ai.provider.name value (§3.4 of the reference note): OpenAI→openai,
// Azure/az.ai.openai→azure.ai.openai, AWS→aws.bedrock, Google→gcp.gen_ai, vertex_ai/vertexai→
// gcp.vertex_ai, gemini→gcp.gemini, mistralai→mistral_ai, xai→x_ai, ...; others lowercased.
std::string ProviderFromSystem(std::string_view system);

// llm.request.type → gen_ai.operation.name: completion→text_completion,
// embedding→embeddings, others as they are (lowercased).
std::string OperationFromRequestType(std::string_view type);

}  // namespace astrolabe::genai
