#include "wire/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <climits>

namespace astrolabe::wire {
namespace {

// windowBits for zlib: 15 (32 KiB window) + 16 selects the gzip wrapper; 15 alone the zlib
// (RFC 1950) wrapper.
constexpr int kGzipWindowBits = 15 + 16;
constexpr int kZlibWindowBits = 15;
// zlib counts in uInt; feed it at most this much at a time.
constexpr size_t kChunk = 1u << 30;

}  // namespace

namespace {

Status Compress(std::string_view data, std::string* out, int level, int window_bits,
                const std::string& name) {
  if (level != Z_DEFAULT_COMPRESSION && (level < 1 || level > 9)) {
    return InvalidArgument(name + " level must be 1..9 or -1, got " + std::to_string(level));
  }
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return ResourceExhausted(name + ": deflateInit2 failed");
  }
  size_t old = out->size();
  // deflateBound (about the input's size) would let one call finish, but resizing a string
  // zero-fills it, and OTLP payloads compress 10-40x: zeroing (and faulting in) a buffer the
  // size of the input cost more than the growth steps below. Start at a quarter.
  size_t bound = deflateBound(&zs, static_cast<uLong>(std::min(data.size(), kChunk)));
  out->resize(old + std::min(bound, data.size() / 4 + 4096));
  size_t written = 0;
  size_t consumed = 0;
  int rc = Z_OK;
  do {
    size_t in_now = std::min(data.size() - consumed, kChunk);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + consumed));
    zs.avail_in = static_cast<uInt>(in_now);
    int flush = consumed + in_now == data.size() ? Z_FINISH : Z_NO_FLUSH;
    do {
      if (out->size() - old - written < 64) out->resize(out->size() + out->size() / 2 + 64);
      size_t room = std::min(out->size() - old - written, kChunk);
      zs.next_out = reinterpret_cast<Bytef*>(out->data() + old + written);
      zs.avail_out = static_cast<uInt>(room);
      rc = deflate(&zs, flush);
      written += room - zs.avail_out;
    } while (zs.avail_out == 0 || (flush == Z_FINISH && rc == Z_OK));
    consumed += in_now;
  } while (consumed < data.size());
  deflateEnd(&zs);
  out->resize(old + written);
  if (rc != Z_STREAM_END) return Internal(name + ": deflate did not finish");
  return Status::Ok();
}

// Inflates one stream (zlib) or one or more members (gzip: `multi_member`).
Result<std::string> Decompress(std::string_view data, size_t max_size, int window_bits,
                               bool multi_member, const std::string& name) {
  std::string out;
  z_stream zs{};
  if (inflateInit2(&zs, window_bits) != Z_OK) {
    return ResourceExhausted(name + ": inflateInit2 failed");
  }
  size_t consumed = 0;
  bool member_done = false;
  Status error;
  while (true) {
    size_t in_now = std::min(data.size() - consumed, kChunk);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + consumed));
    zs.avail_in = static_cast<uInt>(in_now);
    // Output room: as much again as we have (std::string grows geometrically), but never
    // past max_size + 1, the one byte more that tells "too big".
    size_t before = out.size();
    size_t room = std::min({std::max<size_t>(before, 16384), max_size + 1 - before, kChunk});
    out.resize(before + room);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + before);
    zs.avail_out = static_cast<uInt>(room);
    int rc = inflate(&zs, Z_NO_FLUSH);
    size_t produced = room - zs.avail_out;
    out.resize(before + produced);
    consumed += in_now - zs.avail_in;
    if (out.size() > max_size) {
      error = ResourceExhausted(name + ": decompressed body exceeds " + std::to_string(max_size) +
                                " bytes");
      break;
    }
    if (rc == Z_STREAM_END) {
      member_done = true;
      if (consumed == data.size()) break;
      if (!multi_member) {
        error = InvalidArgument(name + ": trailing bytes after the stream");
        break;
      }
      // Another member follows: start over on it.
      if (inflateReset(&zs) != Z_OK) {
        error = Internal(name + ": inflateReset failed");
        break;
      }
      member_done = false;
      continue;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0 && consumed == data.size() && produced == 0) {
      error = InvalidArgument(name + ": truncated stream");
      break;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      error = InvalidArgument(name + ": " + (zs.msg != nullptr ? zs.msg : "corrupt data"));
      break;
    }
  }
  inflateEnd(&zs);
  if (!error.ok()) return error;
  if (!member_done) return InvalidArgument(name + ": truncated stream");
  return out;
}

}  // namespace

Status GzipCompress(std::string_view data, std::string* out, int level) {
  return Compress(data, out, level, kGzipWindowBits, "gzip");
}

Result<std::string> GzipDecompress(std::string_view data, size_t max_size) {
  return Decompress(data, max_size, kGzipWindowBits, /*multi_member=*/true, "gzip");
}

Status ZlibCompress(std::string_view data, std::string* out, int level) {
  return Compress(data, out, level, kZlibWindowBits, "zlib");
}

Result<std::string> ZlibDecompress(std::string_view data, size_t max_size) {
  return Decompress(data, max_size, kZlibWindowBits, /*multi_member=*/false, "zlib");
}

}  // namespace astrolabe::wire
