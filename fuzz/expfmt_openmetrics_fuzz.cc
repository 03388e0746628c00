// libFuzzer target for the OpenMetrics 1.0 parser (src/expfmt): arbitrary bytes as a scrape
// body. Besides "no crash, no sanitizer report", checks the sample contract and the
// parse -> write -> parse round trip (expfmt/fuzz_roundtrip.h). Seed corpus:
// fuzz/corpus/expfmt_openmetrics/.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "expfmt/fuzz_roundtrip.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 256 * 1024) return 0;
  astrolabe::expfmt::fuzz::Check(std::string_view(reinterpret_cast<const char*>(data), size),
                                 astrolabe::expfmt::Format::kOpenMetrics);
  return 0;
}
