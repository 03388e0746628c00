#pragma once
// Snappy framing for HTTP bodies: the raw block format (Prometheus remote write, and what
// `Content-Encoding: snappy` means in the OpenTelemetry Collector since the
// confighttp.framedSnappy change became permanent in v0.155) and the framing format
// (`Content-Encoding: x-snappy-framed`; github.com/google/snappy framing_format.txt).
//
// Upstream collector behaviour (config/confighttp, docs/design/wire.md "Compression"):
//   client  compression: snappy          -> block format
//           compression: x-snappy-framed -> framing format
//   server  Content-Encoding: snappy     -> framing format if the body starts with the
//                                           stream identifier chunk, block format otherwise
//                                           (SnappyDecompressAuto)
//           Content-Encoding: x-snappy-framed -> framing format
//
// Decompression is bounded: the block format states its uncompressed length up front, which
// is checked against `max_size` before anything is allocated; framed streams are checked
// chunk by chunk (each chunk holds at most 64 KiB). Thread-safe (no shared state).

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace astrolabe::wire {

// Appends the snappy block encoding of `data` to *out.
void SnappyCompress(std::string_view data, std::string* out);
// Decodes one snappy block. Errors: kInvalidArgument for a corrupt or truncated block;
// kResourceExhausted when its stated length exceeds `max_size`.
Result<std::string> SnappyDecompress(std::string_view data, size_t max_size);

// Appends a snappy framed stream (stream identifier, then compressed or, where compression
// does not pay, uncompressed chunks of at most 64 KiB, each with its masked CRC-32C) to *out.
void SnappyFramedCompress(std::string_view data, std::string* out);
// Decodes a framed stream (stream identifiers may repeat, padding and reserved skippable
// chunks are skipped, CRCs are checked). Errors as SnappyDecompress, plus a missing stream
// identifier, a reserved unskippable chunk and a CRC mismatch (kInvalidArgument).
Result<std::string> SnappyFramedDecompress(std::string_view data, size_t max_size);

// True when `data` begins with the framing format's stream identifier chunk.
bool IsSnappyFramed(std::string_view data);
// `Content-Encoding: snappy` as the upstream collector's server reads it: framed when the
// stream identifier is present, block otherwise.
Result<std::string> SnappyDecompressAuto(std::string_view data, size_t max_size);

}  // namespace astrolabe::wire
