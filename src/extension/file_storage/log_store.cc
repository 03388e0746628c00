#include "extension/file_storage/log_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>

#include <spdlog/spdlog.h>

namespace astrolabe::extension::file_storage {

using component::StorageOperation;

namespace {

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// Reads a varint from [*p, end); false when it is cut short or longer than 10 bytes.
bool GetVarint(const char** p, const char* end, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64 && *p < end; shift += 7) {
    auto byte = static_cast<unsigned char>(**p);
    ++*p;
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

// The CRC covers the length field and the payload, so a corrupted length is caught too.
uint32_t RecordCrc(uint32_t length, std::string_view payload) {
  char len[4];
  for (int i = 0; i < 4; ++i) len[i] = static_cast<char>((length >> (8 * i)) & 0xff);
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(len), 4);
  // zlib takes uInt lengths; payloads are at most kMaxRecordBytes (< 4 GiB).
  crc =
      crc32(crc, reinterpret_cast<const Bytef*>(payload.data()), static_cast<uInt>(payload.size()));
  return static_cast<uint32_t>(crc);
}

struct ParsedOp {
  uint8_t kind = 0;
  std::string_view key;
  uint64_t value_offset = 0;  // in the payload
  uint64_t value_size = 0;
};

// Parses a record payload; an error message when it is malformed.
std::string ParsePayload(std::string_view payload, std::vector<ParsedOp>* ops) {
  const char* begin = payload.data();
  const char* p = begin;
  const char* end = begin + payload.size();
  if (p == end) return "empty payload";
  if (static_cast<uint8_t>(*p) != kRecordBatch) {
    return "unknown record type " + std::to_string(static_cast<unsigned char>(*p));
  }
  ++p;
  uint64_t count = 0;
  if (!GetVarint(&p, end, &count)) return "bad operation count";
  // Each op takes at least 2 bytes: a count larger than that is corrupt, whatever it says.
  if (count > payload.size() / 2) return "operation count " + std::to_string(count) + " too large";
  ops->clear();
  ops->reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    if (p == end) return "operation " + std::to_string(i) + " is missing";
    ParsedOp op;
    op.kind = static_cast<uint8_t>(*p++);
    if (op.kind != kOpSet && op.kind != kOpDelete) {
      return "unknown operation kind " + std::to_string(op.kind);
    }
    uint64_t key_len = 0;
    if (!GetVarint(&p, end, &key_len) || key_len > static_cast<uint64_t>(end - p)) {
      return "bad key length in operation " + std::to_string(i);
    }
    op.key = std::string_view(p, key_len);
    p += key_len;
    if (op.kind == kOpSet) {
      uint64_t value_len = 0;
      if (!GetVarint(&p, end, &value_len) || value_len > static_cast<uint64_t>(end - p)) {
        return "bad value length in operation " + std::to_string(i);
      }
      op.value_offset = static_cast<uint64_t>(p - begin);
      op.value_size = value_len;
      p += value_len;
    }
    ops->push_back(op);
  }
  if (p != end) return std::to_string(end - p) + " trailing bytes";
  return "";
}

uint64_t EntryBytes(size_t key, uint64_t value) { return key + value + kEntryOverhead; }

std::string Errno(std::string_view what) { return std::string(what) + ": " + std::strerror(errno); }

}  // namespace

Status StringSource::ReadAt(uint64_t offset, size_t n, char* out) const {
  if (offset > bytes_.size() || n > bytes_.size() - offset) {
    return OutOfRange("read past the end of the data");
  }
  if (n > 0) std::memcpy(out, bytes_.data() + offset, n);  // an empty view may be null
  return Status::Ok();
}

std::string FileHeader() {
  std::string h(kMagic);
  PutU32(&h, kFormatVersion);
  PutU32(&h, 0);
  return h;
}

Result<ReplayResult> Replay(const ByteSource& source) {
  ReplayResult r;
  const uint64_t size = source.size();
  const std::string header = FileHeader();
  if (size < kFileHeaderBytes) {
    // A file that died while its header was being written: a prefix of our header is
    // an empty store; anything else is someone else's file.
    std::string head(size, '\0');
    RETURN_IF_ERROR(source.ReadAt(0, size, head.data()));
    if (std::string_view(header).substr(0, size) != head) {
      return InvalidArgument("not a file_storage file (bad magic)");
    }
    r.empty_file = true;
    return r;
  }
  char head[kFileHeaderBytes];
  RETURN_IF_ERROR(source.ReadAt(0, kFileHeaderBytes, head));
  if (std::string_view(head, kMagic.size()) != kMagic) {
    return InvalidArgument("not a file_storage file (bad magic)");
  }
  if (uint32_t version = GetU32(head + 8); version != kFormatVersion) {
    return InvalidArgument("unsupported file_storage format version " + std::to_string(version));
  }
  uint64_t pos = kFileHeaderBytes;
  r.valid_end = pos;
  std::string payload;
  std::vector<ParsedOp> ops;
  while (pos < size) {
    if (size - pos < kRecordHeaderBytes) {
      r.tail_problem = "record header at offset " + std::to_string(pos) +
                       " is cut short: " + std::to_string(size - pos) + " of " +
                       std::to_string(kRecordHeaderBytes) + " bytes";
      break;
    }
    char rh[kRecordHeaderBytes];
    RETURN_IF_ERROR(source.ReadAt(pos, kRecordHeaderBytes, rh));
    const uint32_t crc = GetU32(rh);
    const uint32_t length = GetU32(rh + 4);
    if (length > kMaxRecordBytes) {
      r.tail_problem = "record at offset " + std::to_string(pos) + " claims " +
                       std::to_string(length) + " bytes, more than the limit";
      break;
    }
    const uint64_t body = pos + kRecordHeaderBytes;
    if (size - body < length) {
      r.tail_problem = "record at offset " + std::to_string(pos) +
                       " is cut short: " + std::to_string(size - body) + " of " +
                       std::to_string(length) + " bytes";
      break;
    }
    payload.resize(length);
    RETURN_IF_ERROR(source.ReadAt(body, length, payload.data()));
    if (RecordCrc(length, payload) != crc) {
      r.tail_problem = "record at offset " + std::to_string(pos) + " fails its CRC";
      break;
    }
    if (std::string problem = ParsePayload(payload, &ops); !problem.empty()) {
      r.tail_problem = "record at offset " + std::to_string(pos) + " is malformed: " + problem;
      break;
    }
    for (const ParsedOp& op : ops) {
      auto it = r.index.find(std::string(op.key));
      if (it != r.index.end()) {
        r.live_bytes -= EntryBytes(it->first.size(), it->second.size);
        if (op.kind == kOpDelete) {
          r.index.erase(it);
        } else {
          it->second = ValueRef{body + op.value_offset, op.value_size};
          r.live_bytes += EntryBytes(op.key.size(), op.value_size);
        }
      } else if (op.kind == kOpSet) {
        r.index.emplace(std::string(op.key), ValueRef{body + op.value_offset, op.value_size});
        r.live_bytes += EntryBytes(op.key.size(), op.value_size);
      }
    }
    ++r.records;
    pos = body + length;
    r.valid_end = pos;
  }
  return r;
}

Status EncodeRecord(std::span<const StorageOperation> ops, std::string* out,
                    std::vector<uint64_t>* value_offsets) {
  std::string payload;
  payload.push_back(static_cast<char>(kRecordBatch));
  size_t writes = 0;
  for (const StorageOperation& op : ops) writes += op.type != StorageOperation::Type::kGet;
  PutVarint(&payload, writes);
  value_offsets->assign(ops.size(), 0);
  for (size_t i = 0; i < ops.size(); ++i) {
    const StorageOperation& op = ops[i];
    if (op.type == StorageOperation::Type::kGet) continue;
    payload.push_back(
        static_cast<char>(op.type == StorageOperation::Type::kSet ? kOpSet : kOpDelete));
    PutVarint(&payload, op.key.size());
    payload += op.key;
    if (op.type == StorageOperation::Type::kSet) {
      PutVarint(&payload, op.value.size());
      (*value_offsets)[i] = kRecordHeaderBytes + payload.size();
      payload += op.value;
    }
    if (payload.size() > kMaxRecordBytes) {
      return InvalidArgument("batch of " + std::to_string(payload.size()) +
                             "+ bytes exceeds the record limit of " +
                             std::to_string(kMaxRecordBytes) + " bytes");
    }
  }
  const auto length = static_cast<uint32_t>(payload.size());
  PutU32(out, RecordCrc(length, payload));
  PutU32(out, length);
  out->append(payload);
  return Status::Ok();
}

// ---- LogStore ----

namespace {

class FdSource : public ByteSource {
 public:
  FdSource(int fd, uint64_t size) : fd_(fd), size_(size) {}
  uint64_t size() const override { return size_; }
  Status ReadAt(uint64_t offset, size_t n, char* out) const override {
    size_t done = 0;
    while (done < n) {
      ssize_t got = pread(fd_, out + done, n - done, static_cast<off_t>(offset + done));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return Internal(Errno("read"));
      if (got == 0) return DataLoss("file shrank while being read");
      done += static_cast<size_t>(got);
    }
    return Status::Ok();
  }

 private:
  int fd_;
  uint64_t size_;
};

// flock(LOCK_EX) with a timeout, polling: flock has no timed wait.
Status LockWithTimeout(int fd, const std::string& path, Duration timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) return Status::Ok();
    if (errno != EWOULDBLOCK && errno != EINTR) return Internal(Errno("locking " + path));
    if (std::chrono::steady_clock::now() >= end) {
      return Unavailable(
          path + " is locked by another process (waited " +
          std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count()) +
          " ms); is another collector using the same directory?");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

Status SyncDirectoryOf(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Internal(Errno("opening directory " + dir));
  int rc = fsync(fd);
  close(fd);
  if (rc != 0) return Internal(Errno("syncing directory " + dir));
  return Status::Ok();
}

}  // namespace

LogStore::LogStore(std::string path, LogStoreOptions options,
                   std::shared_ptr<spdlog::logger> logger)
    : path_(std::move(path)), options_(options), log_(std::move(logger)) {}

LogStore::~LogStore() { (void)Close(); }

Result<std::unique_ptr<LogStore>> LogStore::Open(std::string path, LogStoreOptions options,
                                                 std::shared_ptr<spdlog::logger> logger) {
  std::unique_ptr<LogStore> store(new LogStore(std::move(path), options, std::move(logger)));
  // A compaction that died before its rename leaves this behind; the store is intact.
  (void)unlink((store->path_ + ".compacting").c_str());
  std::lock_guard<std::mutex> lock(store->mu_);
  RETURN_IF_ERROR(store->OpenExisting());
  return store;
}

Status LogStore::OpenExisting() {
  int fd = open(path_.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::Ok();  // created by the first write
    return Internal(Errno("opening " + path_));
  }
  if (Status s = LockWithTimeout(fd, path_, options_.lock_timeout); !s.ok()) {
    close(fd);
    return s;
  }
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    Status s = Internal(Errno("stat " + path_));
    close(fd);
    return s;
  }
  FdSource source(fd, static_cast<uint64_t>(st.st_size));
  Result<ReplayResult> replayed = Replay(source);
  if (!replayed.ok()) {
    close(fd);
    return replayed.status().Annotate(path_);
  }
  ReplayResult& r = *replayed;
  if (r.empty_file) {
    // Torn while being created: start it again.
    if (ftruncate(fd, 0) != 0 || pwrite(fd, FileHeader().data(), kFileHeaderBytes, 0) !=
                                     static_cast<ssize_t>(kFileHeaderBytes)) {
      Status s = Internal(Errno("rewriting the header of " + path_));
      close(fd);
      return s;
    }
    r.valid_end = kFileHeaderBytes;
  } else if (!r.tail_problem.empty()) {
    const uint64_t dropped = static_cast<uint64_t>(st.st_size) - r.valid_end;
    log_->warn(
        "file_storage: {}: {}; truncating {} bytes from offset {} (the {} records before it, {} "
        "keys, are kept)",
        path_, r.tail_problem, dropped, r.valid_end, r.records, r.index.size());
    if (ftruncate(fd, static_cast<off_t>(r.valid_end)) != 0) {
      Status s = Internal(Errno("truncating " + path_));
      close(fd);
      return s;
    }
  }
  fd_ = fd;
  end_ = r.valid_end;
  live_bytes_ = r.live_bytes;
  index_ = std::move(r.index);
  return Status::Ok();
}

Status LogStore::CreateFile() {
  int fd = open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Internal(Errno("creating " + path_));
  if (Status s = LockWithTimeout(fd, path_, options_.lock_timeout); !s.ok()) {
    close(fd);
    return s;
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || st.st_size != 0) {
    // Another process created it between our open at start and now.
    close(fd);
    return FailedPrecondition(path_ + " appeared while the store was open; restart to use it");
  }
  fd_ = fd;
  end_ = 0;
  Status s = WriteAll(fd_, FileHeader());
  if (!s.ok()) {
    close(fd_);
    fd_ = -1;
    (void)unlink(path_.c_str());
    return s;
  }
  end_ = kFileHeaderBytes;
  if (options_.fsync) RETURN_IF_ERROR(SyncDirectoryOf(path_));
  return Status::Ok();
}

Status LogStore::WriteAll(int fd, std::string_view bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n =
        pwrite(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(end_ + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = Internal(Errno("writing " + path_));
      // Leave no partial record behind for the next write to follow.
      (void)!ftruncate(fd, static_cast<off_t>(end_));
      return s;
    }
    done += static_cast<size_t>(n);
  }
  if (options_.fsync && fdatasync(fd) != 0) {
    Status s = Internal(Errno("syncing " + path_));
    (void)!ftruncate(fd, static_cast<off_t>(end_));
    return s;
  }
  return Status::Ok();
}

Result<std::string> LogStore::ReadValue(const ValueRef& ref) const {
  std::string value(ref.size, '\0');
  FdSource source(fd_, end_);
  RETURN_IF_ERROR(source.ReadAt(ref.offset, ref.size, value.data()));
  return value;
}

Result<std::optional<std::string>> LogStore::Get(std::string_view key) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return FailedPrecondition("storage client is closed");
  auto it = index_.find(std::string(key));
  if (it == index_.end()) return std::optional<std::string>();
  ASSIGN_OR_RETURN(std::string value, ReadValue(it->second));
  return std::optional<std::string>(std::move(value));
}

Status LogStore::Apply(std::span<StorageOperation> ops) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return FailedPrecondition("storage client is closed");
  // Gets first, against the state before the batch, except that a Get after a Set or
  // Delete of the same key in this batch sees that write.
  bool writes = false;
  for (size_t i = 0; i < ops.size(); ++i) {
    StorageOperation& op = ops[i];
    if (op.type != StorageOperation::Type::kGet) {
      writes = true;
      continue;
    }
    const StorageOperation* last_write = nullptr;
    for (size_t j = 0; j < i; ++j) {
      if (ops[j].type != StorageOperation::Type::kGet && ops[j].key == op.key) last_write = &ops[j];
    }
    if (last_write != nullptr) {
      op.found = last_write->type == StorageOperation::Type::kSet;
      op.value = op.found ? last_write->value : std::string();
      continue;
    }
    auto it = index_.find(op.key);
    op.found = it != index_.end();
    op.value.clear();
    if (op.found) {
      ASSIGN_OR_RETURN(op.value, ReadValue(it->second));
    }
  }
  if (!writes) return Status::Ok();

  std::string record;
  std::vector<uint64_t> value_offsets;
  RETURN_IF_ERROR(EncodeRecord(ops, &record, &value_offsets));
  if (fd_ < 0) RETURN_IF_ERROR(CreateFile());
  const uint64_t at = end_;
  RETURN_IF_ERROR(WriteAll(fd_, record));
  end_ += record.size();
  // The record is written: now the index follows it.
  for (size_t i = 0; i < ops.size(); ++i) {
    const StorageOperation& op = ops[i];
    if (op.type == StorageOperation::Type::kGet) continue;
    auto it = index_.find(op.key);
    if (it != index_.end()) {
      live_bytes_ -= EntryBytes(it->first.size(), it->second.size);
      if (op.type == StorageOperation::Type::kDelete) {
        index_.erase(it);
      } else {
        it->second = ValueRef{at + value_offsets[i], op.value.size()};
        live_bytes_ += EntryBytes(op.key.size(), op.value.size());
      }
    } else if (op.type == StorageOperation::Type::kSet) {
      index_.emplace(op.key, ValueRef{at + value_offsets[i], op.value.size()});
      live_bytes_ += EntryBytes(op.key.size(), op.value.size());
    }
  }
  if (end_ > options_.auto_compact_min_bytes &&
      static_cast<double>(end_) > options_.auto_compact_ratio * static_cast<double>(live_bytes_)) {
    if (Status s = CompactLocked(); !s.ok()) {
      log_->warn("file_storage: {}: compaction failed, the store keeps growing: {}", path_,
                 s.ToString());
    }
  }
  return Status::Ok();
}

Status LogStore::Compact() {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return FailedPrecondition("storage client is closed");
  return CompactLocked();
}

Status LogStore::CompactLocked() {
  if (fd_ < 0) return Status::Ok();
  const std::string tmp = path_ + ".compacting";
  int fd = open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Internal(Errno("creating " + tmp));
  auto fail = [&](Status s) {
    close(fd);
    (void)unlink(tmp.c_str());
    return s;
  };
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) return fail(Internal(Errno("locking " + tmp)));
  // Write the live keys, one record each, in a buffer flushed every few MiB.
  std::string out = FileHeader();
  uint64_t written = 0;
  std::unordered_map<std::string, ValueRef> index;
  index.reserve(index_.size());
  std::vector<uint64_t> value_offsets;
  for (const auto& [key, ref] : index_) {
    Result<std::string> value = ReadValue(ref);
    if (!value.ok()) return fail(value.status().Annotate("compacting " + path_));
    StorageOperation op = StorageOperation::Set(key, std::move(*value));
    const uint64_t at = written + out.size();
    if (Status s = EncodeRecord(std::span<const StorageOperation>(&op, 1), &out, &value_offsets);
        !s.ok()) {
      return fail(s);
    }
    index.emplace(key, ValueRef{at + value_offsets[0], ref.size});
    if (out.size() >= (size_t{4} << 20)) {
      ssize_t n = pwrite(fd, out.data(), out.size(), static_cast<off_t>(written));
      if (n != static_cast<ssize_t>(out.size())) return fail(Internal(Errno("writing " + tmp)));
      written += out.size();
      out.clear();
    }
  }
  if (!out.empty()) {
    ssize_t n = pwrite(fd, out.data(), out.size(), static_cast<off_t>(written));
    if (n != static_cast<ssize_t>(out.size())) return fail(Internal(Errno("writing " + tmp)));
    written += out.size();
  }
  // The rename must not expose a file whose data may still be lost: sync it first when
  // writes are meant to survive a power loss.
  if (options_.fsync && fdatasync(fd) != 0) return fail(Internal(Errno("syncing " + tmp)));
  if (rename(tmp.c_str(), path_.c_str()) != 0) {
    return fail(Internal(Errno("renaming " + tmp + " to " + path_)));
  }
  if (options_.fsync) (void)SyncDirectoryOf(path_);
  const uint64_t before = end_;
  close(fd_);
  fd_ = fd;
  end_ = written;
  index_ = std::move(index);
  log_->debug("file_storage: {}: compacted {} bytes to {} ({} keys)", path_, before, end_,
              index_.size());
  return Status::Ok();
}

Status LogStore::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return Status::Ok();
  closed_ = true;
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
  index_.clear();
  return Status::Ok();
}

uint64_t LogStore::file_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return end_;
}

uint64_t LogStore::live_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return live_bytes_;
}

size_t LogStore::key_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return index_.size();
}

}  // namespace astrolabe::extension::file_storage
