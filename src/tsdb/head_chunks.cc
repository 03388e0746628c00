#include "tsdb/head_chunks.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/crc32c.h"
#include "common/file_util.h"
#include "common/log.h"
#include "storage/storage.h"
#include "tsdb/block_format.h"
#include "tsdb/chunk.h"

namespace astrolabe::tsdb {

using block_internal::Decoder;
using block_internal::GetU32;

namespace {

constexpr char kMagic[4] = {'A', 'L', 'H', 'C'};
constexpr uint8_t kVersion = 1;
constexpr size_t kMaxEntryHeader = 10 + 10 + 10 + 10 + 1 + 5;

uint8_t* PutUvarint(uint8_t* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<uint8_t>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<uint8_t>(v);
  return p;
}

// Writes the entry's fields before the data; returns their length.
size_t EncodeEntryHeader(uint8_t* buf, uint64_t ref, int64_t min_t, int64_t max_t,
                         int64_t prev_max_t, uint32_t size) {
  uint8_t* p = PutUvarint(buf, ref);
  p = PutUvarint(p, (static_cast<uint64_t>(min_t) << 1) ^ static_cast<uint64_t>(min_t >> 63));
  p = PutUvarint(p, static_cast<uint64_t>(max_t) - static_cast<uint64_t>(min_t));
  p = PutUvarint(p, prev_max_t == storage::kMinTime || prev_max_t >= min_t
                        ? 0
                        : static_cast<uint64_t>(min_t) - static_cast<uint64_t>(prev_max_t));
  *p++ = static_cast<uint8_t>(ChunkEncoding::kXorHybrid);
  p = PutUvarint(p, size);
  return static_cast<size_t>(p - buf);
}

void PutU32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

std::string FileName(uint32_t seq) { return block_internal::SegmentName(seq); }

bool ParseFileName(const std::string& name, uint32_t* seq) {
  if (name.size() != 6 || !std::all_of(name.begin(), name.end(), ::isdigit)) return false;
  *seq = static_cast<uint32_t>(std::stoul(name));
  return *seq != 0;
}

}  // namespace

HeadChunkScan ScanHeadChunks(const uint8_t* data, size_t size,
                             const std::function<void(const HeadChunkEntry&)>& fn) {
  HeadChunkScan out;
  if (size < kHeadChunkFileHeaderSize || std::memcmp(data, kMagic, 4) != 0 || data[4] != kVersion) {
    out.error = "bad file header (magic or version) at offset 0";
    return out;
  }
  size_t pos = kHeadChunkFileHeaderSize;
  const uint8_t* end = data + size;
  auto fail = [&](const char* what) {
    out.end = pos;
    out.error = std::string(what) + " in the entry at offset " + std::to_string(pos);
    return out;
  };
  while (pos < size) {
    if (data[pos] == 0) break;  // end marker: the zeroed tail of a preallocated file
    Decoder d(data + pos, end);
    HeadChunkEntry e;
    e.offset = pos;
    e.ref = d.Uvarint();
    e.min_t = d.Varint();
    const uint64_t span = d.Uvarint();
    const uint64_t gap = d.Uvarint();
    if (!d.ok() || d.remaining() < 1) return fail("truncated fields");
    const uint8_t encoding = *d.pos();
    Decoder rest(d.pos() + 1, end);
    const uint64_t len = rest.Uvarint();
    if (!rest.ok()) return fail("truncated fields");
    if (encoding != static_cast<uint8_t>(ChunkEncoding::kXorHybrid)) {
      return fail("unknown chunk encoding");
    }
    if (span > static_cast<uint64_t>(storage::kMaxTime) ||
        __builtin_add_overflow(e.min_t, static_cast<int64_t>(span), &e.max_t)) {
      return fail("impossible time range");
    }
    if (gap != 0) {
      if (gap > static_cast<uint64_t>(storage::kMaxTime) ||
          __builtin_sub_overflow(e.min_t, static_cast<int64_t>(gap), &e.prev_max_t) ||
          e.prev_max_t == storage::kMinTime) {
        return fail("impossible previous chunk time");
      }
    }
    if (len < kChunkHeaderSize || len > UINT32_MAX || rest.remaining() < 4 ||
        len > rest.remaining() - 4) {
      return fail("data length beyond the file");
    }
    e.data = rest.pos();
    e.size = static_cast<uint32_t>(len);
    const uint8_t* crc_at = e.data + len;
    if (Crc32cExtend(0, data + pos, static_cast<size_t>(crc_at - (data + pos))) != GetU32(crc_at)) {
      return fail("CRC mismatch");
    }
    if (((uint32_t{e.data[0]} << 8) | e.data[1]) == 0) return fail("empty chunk");
    fn(e);
    pos = static_cast<size_t>(crc_at + 4 - data);
  }
  out.end = pos;
  return out;
}

void EncodeHeadChunkEntry(uint64_t ref, int64_t min_t, int64_t max_t, int64_t prev_max_t,
                          const uint8_t* data, uint32_t size, std::string* out) {
  uint8_t hdr[kMaxEntryHeader];
  size_t n = EncodeEntryHeader(hdr, ref, min_t, max_t, prev_max_t, size);
  uint32_t crc = Crc32cExtend(Crc32cExtend(0, hdr, n), data, size);
  out->append(reinterpret_cast<const char*>(hdr), n);
  out->append(reinterpret_cast<const char*>(data), size);
  uint8_t c[4];
  PutU32(c, crc);
  out->append(reinterpret_cast<const char*>(c), 4);
}

ArenaSegment::~ArenaSegment() {
  if (base_ != nullptr && heap_ == nullptr) ::munmap(base_, mapped_);
  if (fd_ >= 0) ::close(fd_);
  if (delete_file_ && !path_.empty()) ::unlink(path_.c_str());
}

ChunkArena::ChunkArena(std::string dir, size_t segment_size)
    : dir_(std::move(dir)), segment_size_(std::max<size_t>(segment_size, 2 * kAllocateStep)) {}

ChunkArena::~ChunkArena() {
  std::lock_guard lock(mu_);
  if (file_open_ != nullptr && file_open_->fd_ >= 0) {
    // Leave the file as long as what it holds: the zeroed tail would only be scanned past.
    (void)::ftruncate(file_open_->fd_, static_cast<off_t>(file_open_->used_));
  }
}

Result<ArenaLoadStats> ChunkArena::Load(int64_t min_valid_time,
                                        const std::function<void(const HeadChunkEntry&)>& fn) {
  namespace fs = std::filesystem;
  ArenaLoadStats st;
  if (dir_.empty()) return st;
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return Unavailable("tsdb: creating " + dir_ + ": " + ec.message());
  std::vector<uint32_t> seqs;
  for (const fs::directory_entry& e : fs::directory_iterator(dir_, ec)) {
    uint32_t seq;
    if (ParseFileName(e.path().filename().string(), &seq)) seqs.push_back(seq);
  }
  if (ec) return Unavailable("tsdb: listing " + dir_ + ": " + ec.message());
  std::sort(seqs.begin(), seqs.end());
  std::lock_guard lock(mu_);
  std::string damage;  // the one log line
  uint64_t deleted_after_damage = 0;
  for (uint32_t seq : seqs) {
    next_seq_ = std::max(next_seq_, seq + 1);
    const std::string path = dir_ + "/" + FileName(seq);
    if (!damage.empty()) {
      ::unlink(path.c_str());
      ++deleted_after_damage;
      ++st.files_deleted;
      continue;
    }
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(errno, "opening head chunk file", path);
    struct stat sb;
    if (::fstat(fd, &sb) != 0) {
      Status s = ErrnoStatus(errno, "stat of head chunk file", path);
      ::close(fd);
      return s;
    }
    auto seg = std::make_unique<ArenaSegment>();
    seg->path_ = path;
    const size_t size = static_cast<size_t>(sb.st_size);
    std::vector<HeadChunkEntry> entries;
    HeadChunkScan scan;
    if (size > 0) {
      void* p = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
      if (p == MAP_FAILED) {
        Status s = ErrnoStatus(errno, "mapping head chunk file", path);
        ::close(fd);
        return s;
      }
      seg->base_ = static_cast<uint8_t*>(p);
      seg->mapped_ = size;
      scan =
          ScanHeadChunks(seg->base_, size, [&](const HeadChunkEntry& e) { entries.push_back(e); });
    } else {
      scan.error = "empty file";
    }
    if (!scan.error.empty()) {
      ++st.damaged;
      damage = path + ": " + scan.error;
      if (scan.end > kHeadChunkFileHeaderSize) {
        // Keep the valid prefix; the damaged tail must not be scanned again.
        (void)::ftruncate(fd, static_cast<off_t>(scan.end));
      }
    }
    ::close(fd);
    ++st.files;
    int64_t max_t = storage::kMinTime;
    for (const HeadChunkEntry& e : entries) max_t = std::max(max_t, e.max_t);
    if (entries.empty() || max_t < min_valid_time) {
      seg->delete_file_ = true;  // nothing the head still needs (or nothing valid)
      ++st.files_deleted;
      continue;  // unmapped and deleted here
    }
    seg->used_ = scan.end;
    seg->max_t_ = max_t;
    seg->has_chunks_ = true;
    for (const HeadChunkEntry& e : entries) {
      if (e.max_t >= min_valid_time) {
        fn(e);
        ++st.chunks;
      }
    }
    segments_.push_back(std::move(seg));
  }
  if (!damage.empty()) {
    GetLogger("tsdb")->warn(
        "tsdb: head chunk file {} (cut there, {} later files deleted); the samples they held are "
        "replayed from the WAL",
        damage, deleted_after_damage);
  }
  return st;
}

Status ChunkArena::OpenNewFileLocked() {
  const uint32_t seq = next_seq_++;
  const std::string path = dir_ + "/" + FileName(seq);
  if (seq == 1 || !std::filesystem::is_directory(dir_)) {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);  // Load() was not called, or it is gone
  }
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus(errno, "creating head chunk file", path);
  if (int err = ::posix_fallocate(fd, 0, static_cast<off_t>(kAllocateStep)); err != 0) {
    ::close(fd);
    ::unlink(path.c_str());
    return ErrnoStatus(err, "allocating head chunk file", path);
  }
  void* p = ::mmap(nullptr, segment_size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    Status s = ErrnoStatus(errno, "mapping head chunk file", path);
    ::close(fd);
    ::unlink(path.c_str());
    return s;
  }
  auto seg = std::make_unique<ArenaSegment>();
  seg->base_ = static_cast<uint8_t*>(p);
  seg->mapped_ = segment_size_;
  seg->allocated_ = kAllocateStep;
  seg->fd_ = fd;
  seg->path_ = path;
  std::memcpy(seg->base_, kMagic, 4);
  seg->base_[4] = kVersion;
  std::memset(seg->base_ + 5, 0, 3);
  seg->used_ = kHeadChunkFileHeaderSize;
  file_open_ = seg.get();
  segments_.push_back(std::move(seg));
  return Status::Ok();
}

const uint8_t* ChunkArena::StoreHeapLocked(const uint8_t* data, uint32_t size, int64_t max_t) {
  if (size > kBlockSize / 4) {
    // A large chunk gets a block of its own.
    auto big = std::make_unique<ArenaSegment>();
    big->heap_ = std::make_unique_for_overwrite<uint8_t[]>(size);
    big->base_ = big->heap_.get();
    big->mapped_ = big->used_ = size;
    big->max_t_ = max_t;
    big->has_chunks_ = true;
    std::memcpy(big->base_, data, size);
    const uint8_t* out = big->base_;
    segments_.push_back(std::move(big));
    return out;
  }
  if (heap_open_ == nullptr || heap_open_->used_ + size > heap_open_->mapped_) {
    auto b = std::make_unique<ArenaSegment>();
    b->heap_ = std::make_unique_for_overwrite<uint8_t[]>(kBlockSize);
    b->base_ = b->heap_.get();
    b->mapped_ = kBlockSize;
    heap_open_ = b.get();
    segments_.push_back(std::move(b));
  }
  uint8_t* out = heap_open_->base_ + heap_open_->used_;
  std::memcpy(out, data, size);
  heap_open_->used_ += size;
  heap_open_->max_t_ = std::max(heap_open_->max_t_, max_t);
  heap_open_->has_chunks_ = true;
  return out;
}

const uint8_t* ChunkArena::Store(uint64_t ref, const uint8_t* data, uint32_t size, int64_t min_t,
                                 int64_t max_t, int64_t prev_max_t) {
  std::lock_guard lock(mu_);
  if (dir_.empty()) return StoreHeapLocked(data, size, max_t);
  uint8_t hdr[kMaxEntryHeader];
  const size_t n = EncodeEntryHeader(hdr, ref, min_t, max_t, prev_max_t, size);
  const size_t total = n + size + 4;
  auto fallback = [&](const Status& why) {
    ++heap_fallbacks_;
    if (!warned_) {
      warned_ = true;
      GetLogger("tsdb")->warn("tsdb: head chunks kept in memory instead of {}: {}", dir_,
                              why.ToString());
    }
    return StoreHeapLocked(data, size, max_t);
  };
  if (total > segment_size_ - kHeadChunkFileHeaderSize) return fallback(Status::Ok());
  if (file_open_ != nullptr && file_open_->used_ + total > file_open_->mapped_) CutLocked();
  if (file_open_ == nullptr) {
    if (Status s = OpenNewFileLocked(); !s.ok()) return fallback(s);
  }
  ArenaSegment& f = *file_open_;
  if (f.used_ + total > f.allocated_) {
    // Reserve the blocks before writing through the mapping: a write into a hole the file
    // system cannot fill would be a SIGBUS, an fallocate error is a Status.
    size_t want =
        std::min(f.mapped_, (f.used_ + total + kAllocateStep - 1) / kAllocateStep * kAllocateStep);
    if (int err = ::posix_fallocate(f.fd_, static_cast<off_t>(f.allocated_),
                                    static_cast<off_t>(want - f.allocated_));
        err != 0) {
      Status s = ErrnoStatus(err, "growing head chunk file", f.path_);
      CutLocked();
      return fallback(s);
    }
    f.allocated_ = want;
    // Pages written so far go back to the page cache: our mapping needs only the page being
    // written. Readers fault them in again (a minor fault while the kernel keeps them).
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    const size_t upto = f.used_ / page * page;
    if (upto > f.dropped_) {
      (void)::madvise(f.base_ + f.dropped_, upto - f.dropped_, MADV_DONTNEED);
      f.dropped_ = upto;
    }
  }
  uint8_t* at = f.base_ + f.used_;
  std::memcpy(at, hdr, n);
  std::memcpy(at + n, data, size);
  PutU32(at + n + size, Crc32cExtend(Crc32cExtend(0, hdr, n), data, size));
  f.used_ += total;
  f.max_t_ = std::max(f.max_t_, max_t);
  f.has_chunks_ = true;
  return at + n;
}

void ChunkArena::Cut() {
  std::lock_guard lock(mu_);
  CutLocked();
}

void ChunkArena::CutLocked() {
  if (file_open_ == nullptr || !file_open_->has_chunks_) return;
  ArenaSegment& f = *file_open_;
  (void)::ftruncate(f.fd_, static_cast<off_t>(f.used_));
  ::close(f.fd_);
  f.fd_ = -1;
  file_open_ = nullptr;
}

std::vector<std::unique_ptr<ArenaSegment>> ChunkArena::Release(int64_t mint) {
  std::vector<std::unique_ptr<ArenaSegment>> out;
  std::lock_guard lock(mu_);
  for (auto it = segments_.begin(); it != segments_.end();) {
    ArenaSegment* s = it->get();
    if (s->has_chunks_ && s->max_t_ < mint) {
      if (s == heap_open_) heap_open_ = nullptr;
      if (s == file_open_) {
        file_open_ = nullptr;  // its fd is closed when it is destroyed
      }
      s->delete_file_ = !s->path_.empty();
      out.push_back(std::move(*it));
      it = segments_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

ArenaStats ChunkArena::stats() const {
  std::lock_guard lock(mu_);
  ArenaStats st;
  for (const auto& s : segments_) {
    if (s->heap_ != nullptr) {
      st.heap_bytes += s->mapped_;
    } else {
      st.file_bytes += s->used_;
      ++st.files;
    }
  }
  st.heap_fallbacks = heap_fallbacks_;
  return st;
}

}  // namespace astrolabe::tsdb
