#pragma once
// Gzip (RFC 1952) and zlib (RFC 1950) framing for OTLP/HTTP bodies sent or received with
// `Content-Encoding: gzip` (the otlp_http exporter's default compression), `zlib` or
// `deflate`.
//
// Decompression is bounded: a receiver passes its decompressed-body limit and a small request
// cannot expand past it (a "zip bomb" is refused after at most max_size bytes of output).
// Thread-safe (no shared state).

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace astrolabe::wire {

// Appends the gzip encoding of `data` to *out. `level` is zlib's 1 (fast) .. 9 (small);
// -1 selects zlib's default (6). Fails only on an invalid level or when zlib cannot allocate.
Status GzipCompress(std::string_view data, std::string* out, int level = -1);

// Decompresses a gzip stream of one or more members (as `cat a.gz b.gz` makes; Go's reader
// accepts those too). Errors: kInvalidArgument for data that is not gzip, is corrupt or
// truncated, or has trailing bytes that are not a gzip member; kResourceExhausted when the
// output would exceed `max_size` bytes.
Result<std::string> GzipDecompress(std::string_view data, size_t max_size);

// The zlib (RFC 1950) wrapper around the same deflate data: what the Go collector sends and
// reads for both `Content-Encoding: zlib` and `Content-Encoding: deflate` (Go's
// compress/zlib). Same levels and errors as the gzip functions; one stream only (trailing
// bytes are kInvalidArgument).
Status ZlibCompress(std::string_view data, std::string* out, int level = -1);
Result<std::string> ZlibDecompress(std::string_view data, size_t max_size);

}  // namespace astrolabe::wire
