#include "wire/zstd.h"

#include <zstd.h>

#include <algorithm>

namespace astrolabe::wire {

Status ZstdCompress(std::string_view data, std::string* out, int level) {
  if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel() || level == 0) {
    return InvalidArgument("zstd level must be " + std::to_string(ZSTD_minCLevel()) + ".." +
                           std::to_string(ZSTD_maxCLevel()) + " and not 0, got " +
                           std::to_string(level));
  }
  size_t old = out->size();
  out->resize(old + ZSTD_compressBound(data.size()));
  size_t n = ZSTD_compress(out->data() + old, out->size() - old, data.data(), data.size(), level);
  if (ZSTD_isError(n)) {
    out->resize(old);
    return ResourceExhausted(std::string("zstd: ") + ZSTD_getErrorName(n));
  }
  out->resize(old + n);
  return Status::Ok();
}

Result<std::string> ZstdDecompress(std::string_view data, size_t max_size) {
  if (data.empty()) return InvalidArgument("zstd: empty stream");
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  if (dctx == nullptr) return ResourceExhausted("zstd: cannot create a decompression context");
  // The window a frame may demand: enough for a body of max_size, but at least 8 MiB, which
  // encoders declare even for tiny bodies when they stream (the zstd CLI declares 2 MiB, Go's
  // klauspost encoder 8 MiB); never past libzstd's default limit of 128 MiB.
  int window_log = 23;
  while (window_log < 27 && (size_t{1} << window_log) < max_size) ++window_log;
  ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax, window_log);

  std::string out;
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  size_t last = 0;
  Status error;
  while (true) {
    size_t before = out.size();
    size_t room = std::min(std::max<size_t>(before, 16384), max_size + 1 - before);
    out.resize(before + room);
    ZSTD_outBuffer ob{out.data() + before, room, 0};
    size_t in_before = in.pos;
    last = ZSTD_decompressStream(dctx, &ob, &in);
    out.resize(before + ob.pos);
    if (ZSTD_isError(last)) {
      error = InvalidArgument(std::string("zstd: ") + ZSTD_getErrorName(last));
      break;
    }
    if (out.size() > max_size) {
      error = ResourceExhausted("zstd: decompressed body exceeds " + std::to_string(max_size) +
                                " bytes");
      break;
    }
    // Done when all input is consumed and either the last frame is complete or the decoder
    // can make no more progress (a truncated frame).
    if (in.pos == in.size && (last == 0 || (ob.pos == 0 && in.pos == in_before))) break;
  }
  ZSTD_freeDCtx(dctx);
  if (!error.ok()) return error;
  // last == 0: the final frame is complete; anything else means it was cut short.
  if (last != 0) return InvalidArgument("zstd: truncated stream");
  return out;
}

}  // namespace astrolabe::wire
