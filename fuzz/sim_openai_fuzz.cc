// Fuzzes the simulators' OpenAI-compatible request parsing (src/sim/openai_api.h) and the
// usage extraction Kong applies to upstream answers: both read untrusted bytes. The first
// byte picks chat, completion or embeddings; the rest is the body. Checks, besides the
// sanitizers: an accepted request has a model, at least one prompt token and sane limits;
// a rejected one has a 4xx status and a message; extracted usage is never negative.
// Seeds: fuzz/corpus/sim_openai/.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sim/openai_api.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace astrolabe::sim;
  if (size == 0) return 0;
  ApiKind kind = static_cast<ApiKind>(data[0] % 3);
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  ApiRequest req;
  ApiError err;
  if (ParseApiRequest(kind, body, &req, &err)) {
    if (req.model.empty() || req.prompt_tokens < 1 || req.max_tokens < 0 || req.inputs < 1) {
      std::abort();
    }
    if (kind == ApiKind::kEmbedding) {
      req.dimensions = 0;  // keep the work per input small
      if (EmbeddingsJson(req, 4).empty()) std::abort();
    }
  } else if (err.status < 400 || err.status > 499 || err.message.empty() ||
             ErrorJson(err).empty()) {
    std::abort();
  }
  for (bool sse : {false, true}) {
    if (auto u = ExtractUsage(body, sse)) {
      if (u->prompt_tokens < 0 || u->completion_tokens < 0 || u->total_tokens < 0) std::abort();
    }
  }
  return 0;
}
