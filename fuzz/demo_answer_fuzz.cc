// Fuzzes how the demo's apps read a gateway's answer (src/demo/traffic.h, ReadModelAnswer):
// bytes from an HTTP peer. The first byte picks chat or embeddings and status 200 or 500; the
// rest is the body. Checks, besides the sanitizers: token counts are -1 or ≥ 0, and a call that
// ended failed carries a message. Seeds: fuzz/corpus/demo_answer/.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "demo/traffic.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace astrolabe::demo;
  if (size == 0) return 0;
  LlmCall call;
  call.operation = (data[0] & 1) ? Operation::kEmbeddings : Operation::kChat;
  call.http_status = (data[0] & 2) ? 500 : 200;
  const bool was_ok = call.http_status == 200;
  ReadModelAnswer(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1), call);
  if (call.input_tokens < -1 || call.output_tokens < -1 || call.embedding_dimensions < 0) {
    std::abort();
  }
  if (was_ok && call.failed() && (call.http_status != 0 || call.error_message.empty())) {
    std::abort();
  }
  return 0;
}
