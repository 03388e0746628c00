// The built-in price table (docs/genai-cost.md lists it with its date, kBuiltInPricesDate).
// Public list prices per 1M tokens in USD, standard tier, as known on that date; the
// Meta-on-NIM rows are representative hosted rates, not an NVIDIA list price: operators of a
// self-hosted NIM set their own in the processor's `prices`.
#include "genai/prices.h"

namespace astrolabe::genai {

std::string_view BuiltInPricesYaml() {
  return R"yaml(
prices:
  # OpenAI
  - {model: gpt-4o, provider: openai, match: ["gpt-4o-20*", "chatgpt-4o-latest"], input: 2.50, output: 10.00, cached_input: 1.25}
  - {model: gpt-4o-mini, provider: openai, match: ["gpt-4o-mini-20*"], input: 0.15, output: 0.60, cached_input: 0.075}
  - {model: gpt-4.1, provider: openai, match: ["gpt-4.1-20*"], input: 2.00, output: 8.00, cached_input: 0.50}
  - {model: gpt-4.1-mini, provider: openai, match: ["gpt-4.1-mini-20*"], input: 0.40, output: 1.60, cached_input: 0.10}
  - {model: gpt-4.1-nano, provider: openai, match: ["gpt-4.1-nano-20*"], input: 0.10, output: 0.40, cached_input: 0.025}
  - {model: gpt-4-turbo, provider: openai, match: ["gpt-4-turbo-20*"], input: 10.00, output: 30.00}
  - {model: gpt-3.5-turbo, provider: openai, match: ["gpt-3.5-turbo-0125"], input: 0.50, output: 1.50}
  - {model: gpt-3.5-turbo-instruct, provider: openai, input: 1.50, output: 2.00}
  - {model: o1, provider: openai, match: ["o1-20*"], input: 15.00, output: 60.00, cached_input: 7.50}
  - {model: o3-mini, provider: openai, match: ["o3-mini-20*"], input: 1.10, output: 4.40, cached_input: 0.55}
  - {model: text-embedding-3-small, provider: openai, input: 0.02, output: 0}
  - {model: text-embedding-3-large, provider: openai, input: 0.13, output: 0}
  - {model: text-embedding-ada-002, provider: openai, input: 0.10, output: 0}
  # Anthropic (cache writes at 1.25x input, cache reads at 0.1x input)
  - {model: claude-3-5-sonnet-latest, provider: anthropic, match: ["claude-3-5-sonnet-*", "claude-3.5-sonnet*"], input: 3.00, output: 15.00, cached_input: 0.30, cache_creation_input: 3.75}
  - {model: claude-3-7-sonnet-latest, provider: anthropic, match: ["claude-3-7-sonnet-*"], input: 3.00, output: 15.00, cached_input: 0.30, cache_creation_input: 3.75}
  - {model: claude-sonnet-4-0, provider: anthropic, match: ["claude-sonnet-4-*", "claude-sonnet-4"], input: 3.00, output: 15.00, cached_input: 0.30, cache_creation_input: 3.75}
  - {model: claude-3-5-haiku-latest, provider: anthropic, match: ["claude-3-5-haiku-*"], input: 0.80, output: 4.00, cached_input: 0.08, cache_creation_input: 1.00}
  - {model: claude-3-haiku-20240307, provider: anthropic, input: 0.25, output: 1.25, cached_input: 0.03, cache_creation_input: 0.30}
  - {model: claude-3-opus-latest, provider: anthropic, match: ["claude-3-opus-*"], input: 15.00, output: 75.00, cached_input: 1.50, cache_creation_input: 18.75}
  - {model: claude-opus-4-0, provider: anthropic, match: ["claude-opus-4-*", "claude-opus-4"], input: 15.00, output: 75.00, cached_input: 1.50, cache_creation_input: 18.75}
  # Google (prompts up to 128k/200k tokens; longer prompts cost more and are not modelled)
  - {model: gemini-1.5-pro, provider: gcp.gemini, match: ["gemini-1.5-pro-*"], input: 1.25, output: 5.00}
  - {model: gemini-1.5-flash, provider: gcp.gemini, match: ["gemini-1.5-flash-0*", "gemini-1.5-flash-latest"], input: 0.075, output: 0.30}
  - {model: gemini-2.0-flash, provider: gcp.gemini, match: ["gemini-2.0-flash-0*"], input: 0.10, output: 0.40}
  - {model: gemini-2.5-pro, provider: gcp.gemini, match: ["gemini-2.5-pro-*"], input: 1.25, output: 10.00}
  - {model: gemini-2.5-flash, provider: gcp.gemini, match: ["gemini-2.5-flash-0*", "gemini-2.5-flash-preview*"], input: 0.30, output: 2.50}
  # Mistral
  - {model: mistral-large-latest, provider: mistral_ai, match: ["mistral-large-*"], input: 2.00, output: 6.00}
  - {model: mistral-small-latest, provider: mistral_ai, match: ["mistral-small-*"], input: 0.20, output: 0.60}
  - {model: codestral-latest, provider: mistral_ai, match: ["codestral-*"], input: 0.30, output: 0.90}
  - {model: mistral-embed, provider: mistral_ai, input: 0.10, output: 0}
  # Meta Llama on NVIDIA NIM (representative hosted rates; self-hosted: set your own)
  - {model: meta/llama-3.1-8b-instruct, input: 0.20, output: 0.20}
  - {model: meta/llama-3.1-70b-instruct, input: 0.88, output: 0.88}
  - {model: meta/llama-3.1-405b-instruct, input: 3.50, output: 3.50}
  - {model: meta/llama-3.3-70b-instruct, input: 0.88, output: 0.88}
)yaml";
}

}  // namespace astrolabe::genai
