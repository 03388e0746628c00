#include "wire/snappy.h"

#include <snappy.h>

#include <cstdint>
#include <cstring>

#include "common/crc32c.h"


namespace astrolabe::wire {
namespace {

constexpr std::string_view kStreamIdentifier("\xff\x06\x00\x00sNaPpY", 10);
constexpr size_t kMaxChunkData = 65536;  // uncompressed bytes per chunk, at most

uint32_t MaskedCrc(std::string_view data) {
  uint32_t c = astrolabe::Crc32c(data);
  return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

void PutU24(std::string* out, size_t v) {
  out->push_back(static_cast<char>(v & 0xFF));
  out->push_back(static_cast<char>((v >> 8) & 0xFF));
  out->push_back(static_cast<char>((v >> 16) & 0xFF));
}
void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
uint32_t GetU32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return u[0] | (u[1] << 8) | (u[2] << 16) | (static_cast<uint32_t>(u[3]) << 24);
}

Status TooBig(size_t max_size) {
  return ResourceExhausted("snappy framed: decompressed body exceeds " + std::to_string(max_size) +
                           " bytes");
}

}  // namespace

void SnappyCompress(std::string_view data, std::string* out) {
  size_t old = out->size();
  out->resize(old + snappy::MaxCompressedLength(data.size()));
  size_t n = 0;
  snappy::RawCompress(data.data(), data.size(), out->data() + old, &n);
  out->resize(old + n);
}

Result<std::string> SnappyDecompress(std::string_view data, size_t max_size) {
  size_t n = 0;
  if (!snappy::GetUncompressedLength(data.data(), data.size(), &n)) {
    return InvalidArgument("snappy: corrupt block header");
  }
  if (n > max_size) {
    return ResourceExhausted("snappy: decompressed body exceeds " + std::to_string(max_size) +
                             " bytes (block states " + std::to_string(n) + ")");
  }
  std::string out(n, '\0');
  if (!snappy::RawUncompress(data.data(), data.size(), out.data())) {
    return InvalidArgument("snappy: corrupt block");
  }
  return out;
}

void SnappyFramedCompress(std::string_view data, std::string* out) {
  out->append(kStreamIdentifier);
  std::string block;
  for (size_t pos = 0; pos < data.size(); pos += kMaxChunkData) {
    std::string_view chunk = data.substr(pos, kMaxChunkData);
    block.clear();
    SnappyCompress(chunk, &block);
    // Keep the compressed form only when it saves at least 1/8, as Go's snappy writer does.
    bool compressed = block.size() < chunk.size() - chunk.size() / 8;
    std::string_view body = compressed ? std::string_view(block) : chunk;
    out->push_back(compressed ? '\x00' : '\x01');
    PutU24(out, 4 + body.size());
    PutU32(out, MaskedCrc(chunk));
    out->append(body);
  }
}

Result<std::string> SnappyFramedDecompress(std::string_view data, size_t max_size) {
  if (!IsSnappyFramed(data)) return InvalidArgument("snappy framed: missing stream identifier");
  std::string out;
  size_t pos = 0;
  while (pos < data.size()) {
    if (data.size() - pos < 4) return InvalidArgument("snappy framed: truncated chunk header");
    auto type = static_cast<unsigned char>(data[pos]);
    const auto* h = reinterpret_cast<const unsigned char*>(data.data() + pos + 1);
    size_t len = h[0] | (h[1] << 8) | (h[2] << 16);
    pos += 4;
    if (data.size() - pos < len) return InvalidArgument("snappy framed: truncated chunk");
    std::string_view body = data.substr(pos, len);
    pos += len;
    if (type == 0x00 || type == 0x01) {
      if (len < 4) return InvalidArgument("snappy framed: chunk too short for its checksum");
      uint32_t want = GetU32(body.data());
      body.remove_prefix(4);
      size_t before = out.size();
      if (type == 0x00) {
        size_t n = 0;
        if (!snappy::GetUncompressedLength(body.data(), body.size(), &n)) {
          return InvalidArgument("snappy framed: corrupt chunk header");
        }
        if (n > kMaxChunkData) return InvalidArgument("snappy framed: chunk larger than 64 KiB");
        if (before + n > max_size) return TooBig(max_size);
        out.resize(before + n);
        if (!snappy::RawUncompress(body.data(), body.size(), out.data() + before)) {
          return InvalidArgument("snappy framed: corrupt chunk");
        }
      } else {
        if (body.size() > kMaxChunkData) {
          return InvalidArgument("snappy framed: chunk larger than 64 KiB");
        }
        if (before + body.size() > max_size) return TooBig(max_size);
        out.append(body);
      }
      if (MaskedCrc(std::string_view(out).substr(before)) != want) {
        return InvalidArgument("snappy framed: checksum mismatch");
      }
    } else if (type == 0xff) {
      if (body != kStreamIdentifier.substr(4)) {
        return InvalidArgument("snappy framed: bad stream identifier");
      }
    } else if (type >= 0x02 && type <= 0x7f) {
      return InvalidArgument("snappy framed: reserved unskippable chunk type " +
                             std::to_string(type));
    }
    // 0x80..0xfe: padding and reserved skippable chunks.
  }
  return out;
}

bool IsSnappyFramed(std::string_view data) { return data.starts_with(kStreamIdentifier); }

Result<std::string> SnappyDecompressAuto(std::string_view data, size_t max_size) {
  if (IsSnappyFramed(data)) return SnappyFramedDecompress(data, max_size);
  return SnappyDecompress(data, max_size);
}

}  // namespace astrolabe::wire
