#include "tsdb/wal/format.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "common/crc32c.h"

namespace astrolabe::tsdb::wal {
namespace {

uint32_t FragmentCrc(const char* header, std::string_view data) {
  uint32_t crc = Crc32cExtend(0, header, 3);
  return Crc32cExtend(crc, data.data(), data.size());
}

uint16_t LoadU16(const char* p) {
  return static_cast<uint16_t>(static_cast<uint8_t>(p[0]) |
                               (static_cast<uint16_t>(static_cast<uint8_t>(p[1])) << 8));
}

uint32_t LoadU32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

// Bytes left in the page that holds `offset`.
uint64_t PageLeft(uint64_t offset) { return kPageSize - offset % kPageSize; }

}  // namespace

std::string SegmentName(uint32_t index) { return fmt::format("{:08d}", index); }

std::optional<uint32_t> ParseSegmentName(std::string_view name) {
  if (name.size() != 8) return std::nullopt;
  uint64_t v = 0;
  for (char c : name) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(v);
}

void FrameRecord(std::string_view record, uint64_t* offset, std::string* out) {
  uint64_t pos = *offset;
  size_t done = 0;
  bool first = true;
  do {
    uint64_t left = PageLeft(pos);
    if (left <= kFragmentHeaderSize) {
      out->append(left, '\0');
      pos += left;
      left = kPageSize;
    }
    size_t n = std::min<size_t>(record.size() - done, left - kFragmentHeaderSize);
    bool last = done + n == record.size();
    FragmentType type = first && last ? FragmentType::kFull
                        : first       ? FragmentType::kFirst
                        : last        ? FragmentType::kLast
                                      : FragmentType::kMiddle;
    char header[kFragmentHeaderSize];
    header[0] = static_cast<char>(type);
    header[1] = static_cast<char>(n & 0xFF);
    header[2] = static_cast<char>(n >> 8);
    uint32_t crc = FragmentCrc(header, record.substr(done, n));
    for (int i = 0; i < 4; ++i) header[3 + i] = static_cast<char>(crc >> (8 * i));
    out->append(header, kFragmentHeaderSize);
    out->append(record.data() + done, n);
    pos += kFragmentHeaderSize + n;
    done += n;
    first = false;
  } while (done < record.size());
  *offset = pos;
}

uint64_t FramedSize(size_t size, uint64_t offset) {
  uint64_t pos = offset;
  size_t done = 0;
  do {
    uint64_t left = PageLeft(pos);
    if (left <= kFragmentHeaderSize) {
      pos += left;
      left = kPageSize;
    }
    size_t n = std::min<size_t>(size - done, left - kFragmentHeaderSize);
    pos += kFragmentHeaderSize + n;
    done += n;
  } while (done < size);
  return pos - offset;
}

bool RecordReader::Fail(uint64_t at, std::string reason, bool truncated) {
  damage_offset_ = at;
  truncated_ = truncated;
  error_ = std::move(reason);
  return false;
}

bool RecordReader::Next(std::string_view* record) {
  if (!error_.empty()) return false;
  scratch_.clear();
  bool in_record = false;
  uint64_t start = pos_;
  const uint64_t size = data_.size();
  while (true) {
    if (pos_ >= size) {
      if (in_record) {
        return Fail(pos_, fmt::format("record starting at offset {} has no last fragment", start),
                    /*truncated=*/true);
      }
      return false;
    }
    uint64_t left = PageLeft(pos_);
    if (left <= kFragmentHeaderSize) {
      // Page tail padding: every byte up to the page end (or the end of data) must be zero.
      uint64_t end = std::min(pos_ + left, size);
      for (uint64_t i = pos_; i < end; ++i) {
        if (data_[i] != 0) {
          return Fail(i, fmt::format("non-zero byte in page padding at offset {}", i));
        }
      }
      pos_ = end;
      if (!in_record) start = pos_, valid_end_ = pos_;
      continue;
    }
    if (size - pos_ < kFragmentHeaderSize) {
      // Zeros past the last record are what a crash during a file extension leaves.
      return Fail(pos_, fmt::format("fragment header at offset {} cut short by end of data", pos_),
                  /*truncated=*/true);
    }
    const char* h = data_.data() + pos_;
    auto type = static_cast<uint8_t>(h[0]);
    uint16_t len = LoadU16(h + 1);
    if (type == 0 || type > static_cast<uint8_t>(FragmentType::kLast)) {
      return Fail(pos_, fmt::format("bad fragment type {} at offset {}", type, pos_));
    }
    if (len > left - kFragmentHeaderSize) {
      return Fail(pos_,
                  fmt::format("fragment length {} at offset {} crosses the page end", len, pos_));
    }
    if (size - pos_ - kFragmentHeaderSize < len) {
      return Fail(
          pos_,
          fmt::format("fragment at offset {} with length {} cut short by end of data", pos_, len),
          /*truncated=*/true);
    }
    std::string_view payload = data_.substr(pos_ + kFragmentHeaderSize, len);
    if (FragmentCrc(h, payload) != LoadU32(h + 3)) {
      return Fail(pos_, fmt::format("CRC mismatch in fragment at offset {}", pos_));
    }
    auto ftype = static_cast<FragmentType>(type);
    bool starts = ftype == FragmentType::kFull || ftype == FragmentType::kFirst;
    if (starts == in_record) {
      return Fail(pos_, fmt::format("unexpected fragment type {} at offset {}", type, pos_));
    }
    uint64_t frag_at = pos_;
    pos_ += kFragmentHeaderSize + len;
    switch (ftype) {
      case FragmentType::kFull:
        record_offset_ = frag_at;
        valid_end_ = pos_;
        *record = payload;
        return true;
      case FragmentType::kFirst:
        start = frag_at;
        in_record = true;
        scratch_.assign(payload);
        break;
      case FragmentType::kMiddle:
        scratch_.append(payload);
        break;
      case FragmentType::kLast:
        scratch_.append(payload);
        record_offset_ = start;
        valid_end_ = pos_;
        *record = scratch_;
        return true;
      case FragmentType::kPadding:
        break;
    }
  }
}

bool RecordReader::FragmentAt(uint64_t pos, uint8_t* type, uint64_t* end) const {
  const uint64_t size = data_.size();
  uint64_t left = PageLeft(pos);
  if (left <= kFragmentHeaderSize || size - pos < kFragmentHeaderSize) return false;
  const char* h = data_.data() + pos;
  auto t = static_cast<uint8_t>(h[0]);
  uint16_t len = LoadU16(h + 1);
  if (t == 0 || t > static_cast<uint8_t>(FragmentType::kLast)) return false;
  if (len > left - kFragmentHeaderSize || size - pos - kFragmentHeaderSize < len) return false;
  if (FragmentCrc(h, data_.substr(pos + kFragmentHeaderSize, len)) != LoadU32(h + 3)) return false;
  *type = t;
  *end = pos + kFragmentHeaderSize + len;
  return true;
}

bool RecordReader::Resync() {
  if (error_.empty()) return false;
  const uint64_t size = data_.size();
  auto resume = [this](uint64_t at) {
    pos_ = at;
    valid_end_ = at;
    error_.clear();
    truncated_ = false;
    return true;
  };
  auto starts_record = [](uint8_t t) {
    return t == static_cast<uint8_t>(FragmentType::kFull) ||
           t == static_cast<uint8_t>(FragmentType::kFirst);
  };
  uint8_t type;
  uint64_t end;
  // In the damaged page, fragment boundaries are unknown: try every byte (a false match
  // needs a valid type, length and CRC-32C).
  const uint64_t page_end = (damage_offset_ / kPageSize + 1) * kPageSize;
  for (uint64_t p = damage_offset_ + 1; p < std::min(page_end, size); ++p) {
    if (FragmentAt(p, &type, &end) && starts_record(type)) return resume(p);
  }
  // Every later page starts at a fragment boundary: walk its fragments, passing over the
  // continuation of a record that began before it.
  for (uint64_t page = page_end; page < size; page += kPageSize) {
    uint64_t p = page;
    while (p < size && FragmentAt(p, &type, &end)) {
      if (starts_record(type)) return resume(p);
      p = end;
    }
  }
  return false;
}

}  // namespace astrolabe::tsdb::wal
