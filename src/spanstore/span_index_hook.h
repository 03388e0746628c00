#pragma once
// How the span store learns a span's GenAI fields: a hook called once per span at Append, on the
// caller's thread, before the span is written. What it returns is stored with the span and
// indexed; it is never recomputed (a price change does not rewrite stored costs).
//
// src/genai will provide the full normaliser (OpenLLMetry's legacy keys, OpenInference, costs
// from the price catalogue); DefaultSpanIndexHook reads the OpenTelemetry GenAI semantic
// conventions only (../shared/reference/genai-signals.md §3.3).

#include <functional>

#include "spanstore/query.h"

namespace astrolabe::spanstore {

// Fills *fields (which arrives default-initialised: empty, -1, NaN) for `span`.
// Must be thread-safe: concurrent Append calls run it concurrently.
using SpanIndexHook =
    std::function<void(const pdata::Resource& resource, const pdata::InstrumentationScope& scope,
                       const pdata::Span& span, GenAiFields* fields)>;

// The default hook. Reads, from the span's attributes:
//   model          gen_ai.request.model, else gen_ai.response.model
//   provider       gen_ai.provider.name, else gen_ai.system (as given; no renaming)
//   operation      gen_ai.operation.name
//   input_tokens   gen_ai.usage.input_tokens, else gen_ai.usage.prompt_tokens
//   output_tokens  gen_ai.usage.output_tokens, else gen_ai.usage.completion_tokens
//   finish_reason  gen_ai.response.finish_reasons (a string array, joined with ","; a plain
//                  string is taken as is)
//   cost           astrolabe.genai.cost (the genai processor's) when present as a number,
//                  else gen_ai.usage.cost (OpenLIT's key); else unknown
// Token counts are taken from int attributes, or from doubles and strings holding a
// non-negative integer; anything else leaves the field unknown.
void DefaultSpanIndexHook(const pdata::Resource& resource, const pdata::InstrumentationScope& scope,
                          const pdata::Span& span, GenAiFields* fields);

}  // namespace astrolabe::spanstore
