// Block ids, meta.json, and WriteBlock (block.h). Layout: docs/design/tsdb.md, "Blocks".
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <unordered_map>

#include <fmt/format.h>
#include <simdjson.h>

#include "common/crc32c.h"
#include "tsdb/block.h"
#include "tsdb/block_format.h"
#include "tsdb/chunk.h"
#include "tsdb/wal/file_util.h"

namespace astrolabe::tsdb {

using namespace block_internal;
using wal::internal::ErrnoStatus;
using wal::internal::SyncDir;

namespace {

constexpr char kBase32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// An open file written sequentially through a buffer, fsynced on Finish.
class FileWriter {
 public:
  ~FileWriter() {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Open(std::string path) {
    path_ = std::move(path);
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) return ErrnoStatus(errno, "creating", path_);
    return Status::Ok();
  }
  Status Write(std::string_view data) {
    buf_.append(data);
    written_ += data.size();
    if (buf_.size() >= (1u << 20)) return Flush();
    return Status::Ok();
  }
  Status Finish() {
    RETURN_IF_ERROR(Flush());
    if (::fsync(fd_) != 0) return ErrnoStatus(errno, "syncing", path_);
    if (::close(fd_) != 0) {
      fd_ = -1;
      return ErrnoStatus(errno, "closing", path_);
    }
    fd_ = -1;
    return Status::Ok();
  }
  uint64_t written() const { return written_; }

 private:
  Status Flush() {
    size_t off = 0;
    while (off < buf_.size()) {
      ssize_t n = ::write(fd_, buf_.data() + off, buf_.size() - off);
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno, "writing", path_);
      }
      off += static_cast<size_t>(n);
    }
    buf_.clear();
    return Status::Ok();
  }
  std::string path_;
  int fd_ = -1;
  std::string buf_;
  uint64_t written_ = 0;
};

struct ChunkMeta {
  int64_t min_t, max_t;
  uint64_t ref;
};

struct SeriesEntry {
  storage::Labels labels;
  std::vector<ChunkMeta> chunks;
};

// Chunk segment files: header, then per chunk: uvarint length of the data, encoding byte, data,
// CRC-32C over encoding byte and data. ref = segment << 32 | offset of the length.
class ChunkWriter {
 public:
  ChunkWriter(std::string dir, uint64_t segment_size)
      : dir_(std::move(dir)), segment_size_(segment_size) {}

  Result<uint64_t> Add(const uint8_t* data, size_t size) {
    std::string entry;
    PutUvarint(&entry, size);
    entry.push_back(static_cast<char>(ChunkEncoding::kXorHybrid));
    entry.append(reinterpret_cast<const char*>(data), size);
    uint32_t crc = Crc32cExtend(0, entry.data() + entry.size() - size - 1, size + 1);
    PutU32(&entry, crc);
    if (!file_ || file_->written() + entry.size() > segment_size_) RETURN_IF_ERROR(Cut());
    uint64_t ref = (uint64_t{segment_} << 32) | file_->written();
    RETURN_IF_ERROR(file_->Write(entry));
    return ref;
  }
  Status Finish() {
    if (file_) RETURN_IF_ERROR(file_->Finish());
    file_.reset();
    return Status::Ok();
  }

 private:
  Status Cut() {
    if (file_) RETURN_IF_ERROR(file_->Finish());
    ++segment_;
    file_ = std::make_unique<FileWriter>();
    RETURN_IF_ERROR(file_->Open(dir_ + "/" + SegmentName(segment_)));
    return file_->Write(FileHeader(kChunksMagic));
  }
  std::string dir_;
  uint64_t segment_size_;
  uint32_t segment_ = 0;
  std::unique_ptr<FileWriter> file_;
};

// b ≤ a: their distance, which may exceed INT64_MAX.
uint64_t Distance(int64_t a, int64_t b) {
  return static_cast<uint64_t>(a) - static_cast<uint64_t>(b);
}

void AppendSection(std::string* out, const std::string& body) {
  PutU32(out, static_cast<uint32_t>(body.size()));
  out->append(body);
  PutU32(out, Crc32c(body));
}

std::string BuildIndex(const std::vector<SeriesEntry>& series) {
  // Symbols: every label name and value, sorted, so symbol order is string order.
  std::set<std::string_view> syms;
  for (const SeriesEntry& s : series) {
    for (storage::Label l : s.labels) {
      syms.insert(l.name);
      syms.insert(l.value);
    }
  }
  std::unordered_map<std::string_view, uint32_t> sym_id;
  std::string symbols_body;
  PutUvarint(&symbols_body, syms.size());
  uint32_t next = 0;
  for (std::string_view s : syms) {
    sym_id.emplace(s, next++);
    PutUvarint(&symbols_body, s.size());
    symbols_body.append(s);
  }

  std::string series_body;
  std::map<std::pair<uint32_t, uint32_t>, std::vector<uint64_t>> postings;
  std::vector<uint64_t> all;
  all.reserve(series.size());
  for (const SeriesEntry& s : series) {
    uint64_t id = series_body.size();
    all.push_back(id);
    PutUvarint(&series_body, s.labels.size());
    for (storage::Label l : s.labels) {
      uint32_t n = sym_id.at(l.name), v = sym_id.at(l.value);
      PutUvarint(&series_body, n);
      PutUvarint(&series_body, v);
      postings[{n, v}].push_back(id);
    }
    PutUvarint(&series_body, s.chunks.size());
    for (size_t i = 0; i < s.chunks.size(); ++i) {
      const ChunkMeta& c = s.chunks[i];
      if (i == 0) {
        PutVarint(&series_body, c.min_t);
        PutUvarint(&series_body, Distance(c.max_t, c.min_t));
        PutUvarint(&series_body, c.ref);
      } else {
        const ChunkMeta& p = s.chunks[i - 1];
        PutUvarint(&series_body, Distance(c.min_t, p.max_t));
        PutUvarint(&series_body, Distance(c.max_t, c.min_t));
        PutUvarint(&series_body, c.ref - p.ref);
      }
    }
  }

  // Postings lists: uvarint count, then the ids delta-coded (first absolute).
  std::string postings_body, table_body;
  auto put_list = [&](const std::vector<uint64_t>& ids) {
    uint64_t off = postings_body.size();
    PutUvarint(&postings_body, ids.size());
    uint64_t prev = 0;
    for (uint64_t id : ids) {
      PutUvarint(&postings_body, id - prev);
      prev = id;
    }
    return off;
  };
  uint64_t all_off = put_list(all);
  PutUvarint(&table_body, postings.size());
  for (const auto& [pair, ids] : postings) {
    PutUvarint(&table_body, pair.first);
    PutUvarint(&table_body, pair.second);
    PutUvarint(&table_body, put_list(ids));
  }

  std::string out = FileHeader(kIndexMagic);
  uint64_t offs[4];
  offs[0] = out.size();
  AppendSection(&out, symbols_body);
  offs[1] = out.size();
  AppendSection(&out, series_body);
  offs[2] = out.size();
  AppendSection(&out, postings_body);
  offs[3] = out.size();
  AppendSection(&out, table_body);
  std::string toc;
  for (uint64_t o : offs) PutU64(&toc, o);
  PutU64(&toc, all_off);
  PutU32(&toc, Crc32c(toc));
  out.append(toc);
  return out;
}

}  // namespace

std::string NewBlockId() {
  static std::mutex mu;
  static std::mt19937_64 rng(std::random_device{}());
  uint64_t ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
  uint64_t r1, r2;
  {
    std::lock_guard lock(mu);
    r1 = rng();
    r2 = rng();
  }
  std::string id(26, '0');
  for (int i = 9; i >= 0; --i) {  // 48 bits of time in 10 letters (50 bits, top 2 zero)
    id[static_cast<size_t>(i)] = kBase32[ms & 31];
    ms >>= 5;
  }
  for (int i = 0; i < 16; ++i) {  // 80 random bits
    uint64_t& r = i < 8 ? r1 : r2;
    id[static_cast<size_t>(10 + i)] = kBase32[r & 31];
    r >>= 5;
  }
  return id;
}

bool IsBlockId(std::string_view s) {
  if (s.size() != 26) return false;
  for (char c : s) {
    if (std::string_view(kBase32).find(c) == std::string_view::npos) return false;
  }
  return true;
}

std::string EncodeBlockMeta(const BlockMeta& m) {
  auto list = [](const std::vector<std::string>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += fmt::format("{}\"{}\"", i ? ", " : "", v[i]);
    return s + "]";
  };
  return fmt::format(
      "{{\n  \"version\": {},\n  \"ulid\": \"{}\",\n  \"minTime\": {},\n  \"maxTime\": {},\n"
      "  \"stats\": {{\"numSamples\": {}, \"numSeries\": {}, \"numChunks\": {}}},\n"
      "  \"compaction\": {{\"level\": {}, \"sources\": {}, \"parents\": {}}}\n}}\n",
      kMetaVersion, m.id, m.min_time, m.max_time, m.stats.num_samples, m.stats.num_series,
      m.stats.num_chunks, m.level, list(m.sources), list(m.parents));
}

Result<BlockMeta> DecodeBlockMeta(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element root;
  if (auto err = parser.parse(padded).get(root)) {
    return DataLoss(std::string("meta.json: not JSON: ") + simdjson::error_message(err));
  }
  BlockMeta m;
  auto get_int = [&](simdjson::dom::element e, const char* key, int64_t* out) -> Status {
    if (e[key].get_int64().get(*out)) {
      return DataLoss(std::string("meta.json: missing or non-integer \"") + key + "\"");
    }
    return Status::Ok();
  };
  auto get_uint = [&](simdjson::dom::element e, const char* key, uint64_t* out) -> Status {
    if (e[key].get_uint64().get(*out)) {
      return DataLoss(std::string("meta.json: missing or non-integer \"") + key + "\"");
    }
    return Status::Ok();
  };
  int64_t version = 0;
  RETURN_IF_ERROR(get_int(root, "version", &version));
  if (version != kMetaVersion) {
    return DataLoss("meta.json: unsupported version " + std::to_string(version));
  }
  std::string_view id;
  if (root["ulid"].get_string().get(id) || !IsBlockId(id)) {
    return DataLoss("meta.json: missing or malformed \"ulid\"");
  }
  m.id = std::string(id);
  RETURN_IF_ERROR(get_int(root, "minTime", &m.min_time));
  RETURN_IF_ERROR(get_int(root, "maxTime", &m.max_time));
  if (m.max_time <= m.min_time) {
    return DataLoss("meta.json: maxTime " + std::to_string(m.max_time) + " not after minTime " +
                    std::to_string(m.min_time));
  }
  simdjson::dom::element stats, comp;
  if (root["stats"].get(stats) || !stats.is_object()) {
    return DataLoss("meta.json: missing \"stats\"");
  }
  RETURN_IF_ERROR(get_uint(stats, "numSamples", &m.stats.num_samples));
  RETURN_IF_ERROR(get_uint(stats, "numSeries", &m.stats.num_series));
  RETURN_IF_ERROR(get_uint(stats, "numChunks", &m.stats.num_chunks));
  if (root["compaction"].get(comp) || !comp.is_object()) {
    return DataLoss("meta.json: missing \"compaction\"");
  }
  int64_t level = 0;
  RETURN_IF_ERROR(get_int(comp, "level", &level));
  if (level < 1 || level > 100) return DataLoss("meta.json: bad level " + std::to_string(level));
  m.level = static_cast<int>(level);
  for (const char* key : {"sources", "parents"}) {
    simdjson::dom::array arr;
    if (comp[key].get_array().get(arr)) {
      return DataLoss(std::string("meta.json: missing \"compaction.") + key + "\"");
    }
    auto& out = std::string_view(key) == "sources" ? m.sources : m.parents;
    for (simdjson::dom::element e : arr) {
      std::string_view s;
      if (e.get_string().get(s) || !IsBlockId(s)) {
        return DataLoss(std::string("meta.json: malformed id in \"compaction.") + key + "\"");
      }
      out.emplace_back(s);
    }
  }
  return m;
}

Result<BlockMeta> WriteBlock(const std::string& parent, storage::SeriesSet& set, int64_t mint,
                             int64_t maxt, BlockMeta meta, const BlockWriteOptions& options) {
  namespace fs = std::filesystem;
  meta.id = NewBlockId();
  meta.min_time = mint;
  meta.max_time = maxt;
  meta.stats = {};
  if (meta.sources.empty()) meta.sources.push_back(meta.id);
  const std::string tmp = parent + "/" + meta.id + ".tmp";
  std::error_code ec;
  fs::create_directories(tmp + "/chunks", ec);
  if (ec) return Internal("tsdb: creating " + tmp + "/chunks: " + ec.message());

  ChunkWriter chunks(tmp + "/chunks", std::max<uint64_t>(options.segment_size, 4096));
  std::vector<SeriesEntry> series;
  ChunkAppender app;
  const uint32_t per_chunk = std::clamp<uint32_t>(options.samples_per_chunk, 1, kMaxChunkSamples);
  while (set.Next()) {
    const storage::Series& s = set.At();
    if (!series.empty() && !(series.back().labels < s.labels())) {
      return Internal("tsdb: block writer got series out of label order at " +
                      s.labels().ToString());
    }
    SeriesEntry entry{s.labels(), {}};
    auto flush = [&]() -> Status {
      if (app.count() == 0) return Status::Ok();
      ASSIGN_OR_RETURN(uint64_t ref, chunks.Add(app.data(), app.size()));
      entry.chunks.push_back({app.first_t(), app.last_t(), ref});
      meta.stats.num_samples += app.count();
      ++meta.stats.num_chunks;
      app.Reset();
      return Status::Ok();
    };
    auto it = s.Iterator();
    for (bool ok = it->Seek(mint); ok && it->At().t < maxt; ok = it->Next()) {
      if (app.count() >= per_chunk || app.size() >= options.max_chunk_bytes) {
        RETURN_IF_ERROR(flush());
      }
      storage::Sample x = it->At();
      app.Append(x.t, x.v);
    }
    RETURN_IF_ERROR(it->Err());
    RETURN_IF_ERROR(flush());
    if (!entry.chunks.empty()) series.push_back(std::move(entry));
  }
  RETURN_IF_ERROR(set.Err());
  RETURN_IF_ERROR(chunks.Finish());
  meta.stats.num_series = series.size();

  {
    FileWriter index;
    RETURN_IF_ERROR(index.Open(tmp + "/index"));
    RETURN_IF_ERROR(index.Write(BuildIndex(series)));
    RETURN_IF_ERROR(index.Finish());
  }
  {
    FileWriter m;
    RETURN_IF_ERROR(m.Open(tmp + "/meta.json"));
    RETURN_IF_ERROR(m.Write(EncodeBlockMeta(meta)));
    RETURN_IF_ERROR(m.Finish());
  }
  RETURN_IF_ERROR(SyncDir(tmp + "/chunks"));
  RETURN_IF_ERROR(SyncDir(tmp));
  const std::string final_dir = parent + "/" + meta.id;
  if (::rename(tmp.c_str(), final_dir.c_str()) != 0) {
    return ErrnoStatus(errno, "renaming block to", final_dir);
  }
  RETURN_IF_ERROR(SyncDir(parent));
  return meta;
}

}  // namespace astrolabe::tsdb
