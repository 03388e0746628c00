#pragma once
// The OpenAI-compatible wire format the simulators speak: request parsing and validation
// (untrusted bytes: fuzzed by fuzz/sim_openai_fuzz.cc), responses, SSE streams with the final
// usage chunk, error bodies in OpenAI's shape, and usage extraction from a response (what Kong
// reads from its upstream). Pure functions; thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/engine.h"

namespace astrolabe::sim {

enum class ApiKind { kChat, kCompletion, kEmbedding };
const char* ApiPath(ApiKind kind);  // "/v1/chat/completions", ...

// An error as OpenAI returns it:
//   {"error":{"message":"...","type":"invalid_request_error","param":"messages","code":null}}
struct ApiError {
  int status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::string param;  // empty: null
  std::string code;   // empty: null
};
std::string ErrorJson(const ApiError& error);

struct ApiRequest {
  ApiKind kind = ApiKind::kChat;
  std::string model;
  int prompt_tokens = 0;  // estimated from the text (about 4 bytes per token + 4 per message)
  int max_tokens = 0;     // 0: not given
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  int inputs = 1;              // embeddings: number of inputs
  int dimensions = 0;          // embeddings: 0 = default
  bool base64 = false;         // embeddings: encoding_format "base64"
  uint64_t text_hash = 0;      // seeds the generated answer
};

// Parses and validates a request body of `kind`. On failure returns the error to send (400
// with the offending `param`).
bool ParseApiRequest(ApiKind kind, std::string_view body, ApiRequest* out, ApiError* error);

// About four bytes per token, at least 1.
int EstimateTokens(std::string_view text);

// `n` tokens of believable text: sentences from a small built-in corpus in a seeded order,
// one word (with its leading space) per token, cut at `n`. Deterministic for `seed`.
std::vector<std::string> GenerateTokens(uint64_t seed, int n);

struct ResponseMeta {
  std::string id;       // "chatcmpl-…" / "cmpl-…"
  int64_t created = 0;  // unix seconds
};

// Non-streaming body of a finished chat or text completion.
std::string CompletionJson(const ApiRequest& req, const ResponseMeta& meta,
                           const std::vector<std::string>& tokens, const Completion& c);
// The whole SSE stream of a finished completion: a role chunk (chat), one chunk per token, a
// chunk with the finish reason, the usage chunk when include_usage, then "data: [DONE]".
std::string CompletionSse(const ApiRequest& req, const ResponseMeta& meta,
                          const std::vector<std::string>& tokens, const Completion& c);
// The pieces of that stream as they are sent token by token (CompletionSse is their
// concatenation): the role chunk (chat; empty for text completions), one token's chunk, and
// the end: the finish-reason chunk, the usage chunk when include_usage, "data: [DONE]".
std::string SseFirstChunk(const ApiRequest& req, const ResponseMeta& meta);
std::string SseTokenChunk(const ApiRequest& req, const ResponseMeta& meta, std::string_view token);
std::string SseLastChunks(const ApiRequest& req, const ResponseMeta& meta, const Completion& c);
// A failure after the stream started (the status line is out): "data: {"error":{...}}", the
// way vLLM's OpenAI server reports it; the stream then ends without [DONE].
std::string SseErrorEvent(const ApiError& error);
// /v1/embeddings body: one vector per input (float list or base64 of little-endian float32).
std::string EmbeddingsJson(const ApiRequest& req, int dimensions);
// /v1/models body.
std::string ModelsJson(const std::vector<std::string>& models, int64_t created,
                       std::string_view owned_by);

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t total_tokens = 0;
};
// The usage object of a response body: JSON, or an SSE stream's last chunk carrying usage.
// nullopt when absent or unparsable.
std::optional<Usage> ExtractUsage(std::string_view body, bool sse);

// Appends `s` as a JSON string literal (quoted, escaped) to `out`.
void AppendJsonString(std::string* out, std::string_view s);

}  // namespace astrolabe::sim
