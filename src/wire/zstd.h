#pragma once
// Zstandard (RFC 8878) framing for OTLP/HTTP bodies sent or received with
// `Content-Encoding: zstd`.
//
// Decompression is bounded like GzipDecompress: the output never grows past `max_size` + 1
// bytes, and the decoder's window is capped at the smallest power of two >= max_size (at
// least 8 MiB, which real encoders declare even for small bodies; at most libzstd's default
// 128 MiB), so a small hostile frame header cannot make it allocate more than that. Thread-safe (no shared state).

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace astrolabe::wire {

// Appends one zstd frame holding `data` (content size recorded in the frame header) to *out.
// `level`: libzstd's 1 (fast) .. 19 (small), or negative fast levels; 3 is zstd's default and
// the speed of the Go collector's default encoder. Fails only on an invalid level or when
// libzstd cannot allocate.
Status ZstdCompress(std::string_view data, std::string* out, int level = 3);

// Decompresses one or more concatenated zstd frames (skippable frames are skipped, as the
// format requires). Errors: kInvalidArgument for input that is empty, not zstd, corrupt,
// truncated or needs a window larger than the cap; kResourceExhausted when the output would
// exceed `max_size` bytes.
Result<std::string> ZstdDecompress(std::string_view data, size_t max_size);

}  // namespace astrolabe::wire
