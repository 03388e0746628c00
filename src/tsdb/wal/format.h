#pragma once
// The WAL's physical layout: segment files cut into 32 KiB pages, records cut into fragments
// that never cross a page. docs/design/tsdb-wal.md draws it; in short:
//
//   fragment = type <1 byte> | length <2 bytes LE> | crc32c <4 bytes LE> | data <length bytes>
//
// type is 1 (full record), 2 (first), 3 (middle) or 4 (last fragment). The CRC-32C covers the
// type byte, the two length bytes and the data, so a flipped type or length is caught too.
// When fewer than 8 bytes are left in a page (not enough for a header and one byte of data)
// the writer fills them with zeros and starts the next page; a zero type byte anywhere else is
// corruption. A record never spans two segments.
//
// FrameRecord (writer side) and RecordReader (reader side) are pure functions of bytes, so the
// fuzz target and the tests drive them without files. Thread-compatible.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace astrolabe::tsdb::wal {

inline constexpr size_t kPageSize = 32 * 1024;
inline constexpr size_t kFragmentHeaderSize = 7;
inline constexpr size_t kMaxFragmentData = kPageSize - kFragmentHeaderSize;

enum class FragmentType : uint8_t {
  kPadding = 0,
  kFull = 1,
  kFirst = 2,
  kMiddle = 3,
  kLast = 4,
};

// "00000012": segment files are named by their index, eight decimal digits.
std::string SegmentName(uint32_t index);
// The index of a segment file name, or nullopt when `name` is not exactly eight digits.
std::optional<uint32_t> ParseSegmentName(std::string_view name);

// Appends `record` framed into fragments to *out, as it lands at byte `*offset` of its
// segment (padding the page first when needed), and advances *offset by the bytes appended.
void FrameRecord(std::string_view record, uint64_t* offset, std::string* out);

// The number of bytes FrameRecord appends for a record of `size` bytes at segment `offset`.
uint64_t FramedSize(size_t size, uint64_t offset);

// Reads the records of one segment held in memory (`data` is the whole file, or its prefix
// up to a known end). Records are returned in order; the view stays valid until the next call
// to Next() (a single-fragment record points into `data`, a multi-fragment one into a buffer
// owned by the reader). At the first damaged byte the reader stops: error() says why and
// error_offset() where the damaged record starts, which is also the end of the valid prefix.
class RecordReader {
 public:
  explicit RecordReader(std::string_view data) : data_(data) {}

  // Returns true and sets *record to the next record, or false at the end or at damage.
  bool Next(std::string_view* record);

  // Offset of the first fragment of the record last returned by Next().
  uint64_t record_offset() const { return record_offset_; }
  // Offset just past the last good record (the length of the valid prefix).
  uint64_t valid_end() const { return valid_end_; }

  // Empty while the data read so far is well formed.
  const std::string& error() const { return error_; }
  bool ok() const { return error_.empty(); }
  // Where the damaged record starts (== valid_end()); meaningful when !ok().
  uint64_t error_offset() const { return valid_end_; }
  // Where in the damaged record the damage was seen (a fragment header offset).
  uint64_t damage_offset() const { return damage_offset_; }
  // True when the damage is a record cut short by the end of the data (a torn write), as
  // opposed to bytes that are present but wrong.
  bool truncated() const { return truncated_; }

  // After an error: looks past the damage for the next record start (a full or first
  // fragment with a good CRC: byte by byte in the damaged page, by walking fragments from the
  // start of each later page) and resumes there. Returns false when none is left. Used to
  // count what a repair drops; never to resume replay.
  bool Resync();

 private:
  bool Fail(uint64_t at, std::string reason, bool truncated = false);
  // True when a well-formed fragment (type, length within its page and the data, CRC) starts
  // at `pos`; sets its type and end.
  bool FragmentAt(uint64_t pos, uint8_t* type, uint64_t* end) const;

  std::string_view data_;
  uint64_t pos_ = 0;
  uint64_t record_offset_ = 0;
  uint64_t valid_end_ = 0;
  uint64_t damage_offset_ = 0;
  bool truncated_ = false;
  std::string error_;
  std::string scratch_;
};

}  // namespace astrolabe::tsdb::wal
