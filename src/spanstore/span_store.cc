#include "spanstore/span_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <list>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "common/file_util.h"
#include "common/log.h"
#include "spanstore/chunked_array.h"
#include "spanstore/format.h"
#include "spanstore/span_store_internal.h"
#include "spanstore/trace_index.h"
#include "wire/otlp_proto.h"
#include "wire/proto_wire.h"

namespace astrolabe::spanstore {

using internal::Entry;
using internal::EntryKey;
using internal::RowFields;
using internal::RowKind;

namespace {

namespace fs = std::filesystem;

constexpr uint64_t kHourNanos = 3600ull * 1000 * 1000 * 1000;
constexpr uint64_t kMaxGroupBytes = 64ull << 20;
constexpr uint64_t kMaxRowLimit = 32ull << 20;
// A block starts below max_segment_bytes, and the index holds its offset in 32 bits.
constexpr uint64_t kMaxSegmentLimit = UINT32_MAX;

// Asks for every cache line of [p, p + n): rows the commit reads after they went cold.
inline void PrefetchBytes(const char* p, size_t n) {
  for (size_t k = 0; k < n; k += 64) __builtin_prefetch(p + k);
}

Status PreadAll(int fd, char* data, size_t size, uint64_t offset, const std::string& path) {
  while (size > 0) {
    ssize_t n = ::pread(fd, data, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "reading", path);
    }
    if (n == 0) return DataLoss("reading " + path + ": unexpected end of file");
    data += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

// Hours since the epoch <-> "YYYYMMDDHH".
std::string HourName(int64_t hour) {
  using namespace std::chrono;
  const sys_days day{days{hour / 24}};
  const year_month_day ymd{day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02u%02u%02lld", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<long long>(hour % 24));
  return buf;
}

bool ParseSegmentName(std::string_view name, int64_t* hour, uint32_t* seq) {
  // YYYYMMDDHH-SSSSSSSS.seg
  if (name.size() != 23 || name[10] != '-' || name.substr(19) != ".seg") return false;
  auto num = [&](size_t pos, size_t len, uint64_t* out) {
    auto [p, ec] = std::from_chars(name.data() + pos, name.data() + pos + len, *out);
    return ec == std::errc() && p == name.data() + pos + len;
  };
  uint64_t y, mo, d, h, s;
  if (!num(0, 4, &y) || !num(4, 2, &mo) || !num(6, 2, &d) || !num(8, 2, &h) || !num(11, 8, &s)) {
    return false;
  }
  using namespace std::chrono;
  const year_month_day ymd{year(static_cast<int>(y)), month(static_cast<unsigned>(mo)),
                           day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || y < 1970) return false;
  *hour = sys_days(ymd).time_since_epoch().count() * 24 + static_cast<int64_t>(h);
  *seq = static_cast<uint32_t>(s);
  return true;
}

std::string SegmentName(int64_t hour, uint32_t seq) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08u", seq);
  return HourName(hour) + "-" + buf + ".seg";
}

uint64_t NowNanos() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

std::string ServiceName(const pdata::Resource& resource) {
  const pdata::AnyValue* v = pdata::FindAttribute(resource.attributes, "service.name");
  if (v == nullptr) return {};
  return v->type() == pdata::AnyValue::Type::kString ? v->string_value()
                                                     : pdata::AnyValueToString(*v);
}

// Lends an Append the calling thread's row buffer, so that steady-state appends neither grow a
// fresh buffer nor fault in new pages. Buffers above 16 MiB are not kept.
class BorrowedBuffer {
 public:
  explicit BorrowedBuffer(std::string* target) : target_(target) {
    target_->swap(Cache());
    target_->clear();
  }
  ~BorrowedBuffer() {
    if (target_->capacity() <= (16u << 20)) target_->swap(Cache());
  }

 private:
  static std::string& Cache() {
    thread_local std::string cache;
    return cache;
  }
  std::string* target_;
};

// True when `text` cannot be pdata::AnyValueToString of a non-string value: not a bool, not a
// number (ints, doubles, NaN, Infinity), not base64 bytes, not a JSON array or object.
bool OnlyAString(std::string_view text) {
  if (text.empty() || text == "true" || text == "false") return false;
  if (text.front() == '[' || text.front() == '{') return false;
  if (text == "NaN" || text == "Infinity" || text == "-Infinity") return false;
  if (text.find_first_not_of("0123456789+-.eE") == std::string_view::npos) return false;
  if (text.size() % 4 == 0 &&
      text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") ==
          std::string_view::npos) {
    return false;
  }
  return true;
}

bool FinishReasonMatches(std::string_view joined, std::string_view want) {
  while (true) {
    size_t comma = joined.find(',');
    if (joined.substr(0, comma) == want) return true;
    if (comma == std::string_view::npos) return false;
    joined.remove_prefix(comma + 1);
  }
}

// An entry's GenAI strings as symbol ids (Entry::genai names one).
struct GenAiTuple {
  uint32_t model = 0, provider = 0, operation = 0, finish = 0;
  bool operator==(const GenAiTuple&) const = default;
};
struct GenAiTupleHash {
  size_t operator()(const GenAiTuple& t) const {
    const uint64_t a = (uint64_t{t.model} << 32) | t.provider;
    const uint64_t b = (uint64_t{t.operation} << 32) | t.finish;
    const uint64_t h = (a * 0x9E3779B97F4A7C15ull) ^ (b * 0xC2B2AE3D27D4EB4Full);
    return static_cast<size_t>(h ^ (h >> 29));
  }
};

}  // namespace

namespace internal {

std::string EncodeCursor(const EntryKey& k) {
  return "c1." + std::to_string(k.start) + "." + std::to_string(k.seq) + "." +
         std::to_string(k.block_offset) + "." + std::to_string(k.row_offset);
}

bool DecodeCursor(std::string_view text, EntryKey* k) {
  if (text.substr(0, 3) != "c1.") return false;
  text.remove_prefix(3);
  uint64_t parts[4];
  for (int i = 0; i < 4; ++i) {
    size_t dot = text.find('.');
    std::string_view part = text.substr(0, dot);
    if ((i < 3) == (dot == std::string_view::npos) || part.empty()) return false;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), parts[i]);
    if (ec != std::errc() || p != part.data() + part.size()) return false;
    text.remove_prefix(dot == std::string_view::npos ? text.size() : dot + 1);
  }
  if (parts[1] > UINT32_MAX || parts[3] > UINT32_MAX) return false;
  *k = EntryKey{parts[0], static_cast<uint32_t>(parts[1]), parts[2],
                static_cast<uint32_t>(parts[3])};
  return true;
}

}  // namespace internal

namespace {

// What Append needs to know of each signal: how to walk a request, encode its context, and
// fill a row's indexed fields (returning the time that picks the partition). Records are
// encoded by wire::RecordEncoder, which has both kinds.
struct SpanSignal {
  using Request = pdata::Traces;
  using Resource = pdata::ResourceSpans;
  using Scope = pdata::ScopeSpans;
  using Record = pdata::Span;
  static constexpr const char* kPath[3] = {"resource_spans", "scope_spans", "spans"};
  static constexpr const char* kWhat = "span";
  static const std::vector<Resource>& Resources(const Request& r) { return r.resource_spans; }
  static const std::vector<Scope>& Scopes(const Resource& r) { return r.scope_spans; }
  static const std::vector<Record>& Records(const Scope& s) { return s.spans; }
  static void EncodeContext(const Resource& r, const Scope& s, std::string* out) {
    Request ctx;
    ctx.resource_spans.emplace_back();
    ctx.resource_spans[0].resource = r.resource;
    ctx.resource_spans[0].schema_url = r.schema_url;
    ctx.resource_spans[0].scope_spans.emplace_back();
    ctx.resource_spans[0].scope_spans[0].scope = s.scope;
    ctx.resource_spans[0].scope_spans[0].schema_url = s.schema_url;
    wire::AppendTracesRequest(ctx, out);
  }
  static uint64_t Fill(const SpanIndexHook& hook, const Resource& r, const Scope& s,
                       const Record& span, uint64_t /*now*/, GenAiFields* g, RowFields* row) {
    hook(r.resource, s.scope, span, g);
    row->kind = RowKind::kSpan;
    row->status = static_cast<uint8_t>(span.status.code);
    row->span_kind = static_cast<uint8_t>(span.kind);
    row->trace_id = span.trace_id;
    row->span_id = span.span_id;
    row->parent_span_id = span.parent_span_id;
    row->start = span.start_time_unix_nano;
    row->end = span.end_time_unix_nano;
    row->name = span.name;
    row->model = g->model;
    row->provider = g->provider;
    row->operation = g->operation;
    row->finish_reason = g->finish_reason;
    row->input_tokens = internal::KnownTokens(g->input_tokens);
    row->output_tokens = internal::KnownTokens(g->output_tokens);
    row->cost = g->cost;
    return span.start_time_unix_nano;
  }
};

struct LogSignal {
  using Request = pdata::Logs;
  using Resource = pdata::ResourceLogs;
  using Scope = pdata::ScopeLogs;
  using Record = pdata::LogRecord;
  static constexpr const char* kPath[3] = {"resource_logs", "scope_logs", "log_records"};
  static constexpr const char* kWhat = "log record";
  static const std::vector<Resource>& Resources(const Request& r) { return r.resource_logs; }
  static const std::vector<Scope>& Scopes(const Resource& r) { return r.scope_logs; }
  static const std::vector<Record>& Records(const Scope& s) { return s.log_records; }
  static void EncodeContext(const Resource& r, const Scope& s, std::string* out) {
    Request ctx;
    ctx.resource_logs.emplace_back();
    ctx.resource_logs[0].resource = r.resource;
    ctx.resource_logs[0].schema_url = r.schema_url;
    ctx.resource_logs[0].scope_logs.emplace_back();
    ctx.resource_logs[0].scope_logs[0].scope = s.scope;
    ctx.resource_logs[0].scope_logs[0].schema_url = s.schema_url;
    wire::AppendLogsRequest(ctx, out);
  }
  static uint64_t Fill(const SpanIndexHook& /*hook*/, const Resource&, const Scope&,
                       const Record& r, uint64_t now, GenAiFields* /*g*/, RowFields* row) {
    const uint64_t t = r.time_unix_nano != 0            ? r.time_unix_nano
                       : r.observed_time_unix_nano != 0 ? r.observed_time_unix_nano
                                                        : now;
    row->kind = RowKind::kLog;
    row->status = static_cast<uint8_t>(std::clamp(static_cast<int32_t>(r.severity_number), 0, 255));
    row->span_kind = 0;
    row->trace_id = r.trace_id;
    row->span_id = r.span_id;
    row->parent_span_id = pdata::SpanId{};
    row->start = row->end = t;
    row->name = r.event_name;
    row->cost = std::numeric_limits<double>::quiet_NaN();
    return t;
  }
};

}  // namespace

// ---------------------------------------------------------------------------------------------

struct SpanStore::Impl {
  // One segment file. The fd stays open while anything holds the Segment, so a reader holding
  // one can finish even after retention unlinked the file.
  struct Segment {
    int64_t hour = 0;
    uint32_t seq = 0;
    std::string path;
    int fd = -1;
    std::atomic<uint64_t> size{0};
    std::atomic<bool> dirty{false};  // written since the last fdatasync
    ~Segment() {
      if (fd >= 0) ::close(fd);
    }
  };
  using SegmentPtr = std::shared_ptr<Segment>;

  // Entries live in chunked arrays: appending never moves them (no reallocation copies of a
  // partition's whole index), and an index stays valid while the partition exists.
  struct Partition {
    internal::ChunkedArray<Entry> spans;
    internal::ChunkedArray<Entry> logs;
    internal::TraceIndex traces;  // rows of spans and logs by trace id
    std::vector<SegmentPtr> segments;
    // (service << 32) | name of the partition's spans: what Services/SpanNames list.
    std::unordered_set<uint64_t> operations;
  };

  // How far ahead the commit prefetches the rows it indexes, and their trace index slots.
  static constexpr size_t kPrefetchRows = 4;
  static constexpr size_t kPrefetchSlots = 8;

  // The rows one Append produced, before they are placed in blocks.
  struct PendingRow {
    int64_t hour;
    uint32_t offset;  // in Writer::buf
    uint32_t len;
    internal::ContextSpan context;  // in the row
    pdata::TraceId trace_id;
    // Rows of one writer with the same context group hold the same context bytes (one
    // resource and scope of the request), which the leader then need not compare.
    uint32_t context_group;
    // Filled by the leader: where the row went.
    uint32_t seq = 0;
    uint64_t block_offset = 0;
    uint32_t row_offset = 0;
  };
  struct Writer {
    std::string buf;
    std::vector<PendingRow> rows;
    Status status;
    bool done = false;
    std::condition_variable cv;
  };

  std::string dir;
  Options options;
  int lock_fd = -1;

  // Group commit (leveldb's writer queue).
  std::mutex write_mu;
  std::deque<Writer*> writers;

  // Files. Held by the commit leader, Sync's collection step and retention.
  std::mutex file_mu;
  std::map<int64_t, SegmentPtr> active;  // the segment this process writes, per hour
  uint32_t next_seq = 1;
  Status failed;                       // sticky write/sync error
  std::string leader_out, leader_raw;  // the leader's buffers, kept to reuse their capacity

  // The index.
  mutable std::shared_mutex index_mu;
  std::map<int64_t, Partition> partitions;
  std::unordered_map<uint32_t, SegmentPtr> segments_by_seq;
  std::vector<std::string> symbols{std::string()};  // id 0 = ""
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  // Heterogeneous lookup: interning a string_view allocates only for a new symbol.
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> symbol_ids{
      {std::string(), 0}};
  // The GenAI strings of entries, as symbol ids, by Entry::genai; id 0 = all four empty.
  // They repeat together (a model comes with its provider, and a handful of operations and
  // finish reasons), so an entry holds one id instead of four.
  std::vector<GenAiTuple> genai_tuples{GenAiTuple{}};
  std::unordered_map<GenAiTuple, uint32_t, GenAiTupleHash> genai_tuple_ids{{GenAiTuple{}, 0}};

  // Block cache: (seq, block offset) -> raw rows.
  struct CacheKey {
    uint32_t seq;
    uint64_t offset;
    bool operator==(const CacheKey&) const = default;
  };
  struct CacheKeyHash {
    size_t operator()(const CacheKey& k) const {
      return std::hash<uint64_t>()(k.offset * 31 + k.seq);
    }
  };
  struct CacheEntry {
    std::shared_ptr<const std::string> raw;
    std::list<CacheKey>::iterator lru;
  };
  mutable std::mutex cache_mu;
  mutable std::list<CacheKey> cache_lru;  // front = most recent
  mutable std::unordered_map<CacheKey, CacheEntry, CacheKeyHash> cache;
  mutable size_t cache_bytes = 0;

  // Background sync/retention.
  std::mutex bg_mu;
  std::condition_variable bg_cv;
  bool stopping = false;
  std::thread bg;
  bool closed = false;

  // Counters.
  std::atomic<uint64_t> appended_spans{0}, appended_logs{0}, rejected_rows{0}, raw_bytes{0},
      written_bytes{0}, commits{0}, fsyncs{0}, torn_tails{0}, corrupt_segments{0},
      partitions_dropped{0};
  mutable std::atomic<uint64_t> read_errors{0}, cache_hits{0}, cache_misses{0};

  std::shared_ptr<spdlog::logger> log = GetLogger("spanstore");

  // ---- open

  Status LoadSegments() {
    std::vector<std::tuple<uint32_t, int64_t, std::string>> found;
    std::error_code ec;
    for (const auto& de : fs::directory_iterator(dir, ec)) {
      if (!de.is_regular_file()) continue;
      std::string name = de.path().filename().string();
      int64_t hour;
      uint32_t seq;
      if (ParseSegmentName(name, &hour, &seq)) found.emplace_back(seq, hour, name);
    }
    if (ec) return Internal("listing " + dir + ": " + ec.message());
    std::sort(found.begin(), found.end());
    for (const auto& [seq, hour, name] : found) {
      next_seq = std::max(next_seq, seq + 1);
      RETURN_IF_ERROR(LoadSegment(hour, seq, name));
    }
    return Status::Ok();
  }

  Status LoadSegment(int64_t hour, uint32_t seq, const std::string& name) {
    const std::string path = dir + "/" + name;
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(errno, "opening", path);
    auto seg = std::make_shared<Segment>();
    seg->hour = hour;
    seg->seq = seq;
    seg->path = path;
    seg->fd = fd;
    struct stat st;
    if (::fstat(fd, &st) != 0) return ErrnoStatus(errno, "stat", path);
    std::string bytes(static_cast<size_t>(st.st_size), '\0');
    RETURN_IF_ERROR(PreadAll(fd, bytes.data(), bytes.size(), 0, path));
    // ScanSegment's row views die with each block: keep copies of the strings, and commit the
    // entries only when the whole file is good.
    std::vector<Entry> entries;
    std::vector<std::array<std::string, 6>> strings;
    auto scanned = internal::ScanSegment(
        bytes, [&](uint64_t block_offset, uint32_t row_offset, const RowFields& row) {
          // No Options ever let a segment grow this far (kMaxSegmentLimit); refuse rather
          // than index a row where it is not.
          if (block_offset > kMaxSegmentLimit) {
            return DataLoss("a block at offset " + std::to_string(block_offset) +
                            ", past the index's 4 GiB limit for a segment");
          }
          entries.push_back(MakeEntry(row, seq, block_offset, row_offset));
          strings.push_back({std::string(row.service), std::string(row.name),
                             std::string(row.model), std::string(row.provider),
                             std::string(row.operation), std::string(row.finish_reason)});
          return Status::Ok();
        });
    if (!scanned.ok()) return scanned.status().Annotate("reading " + path);
    const internal::ScanResult& r = *scanned;
    if (r.end == internal::ScanResult::End::kCorrupt) {
      ++corrupt_segments;
      std::string aside_dir = dir + "/corrupt";
      ::mkdir(aside_dir.c_str(), 0755);
      std::string aside = aside_dir + "/" + name;
      log->error(
          "span store: segment {} is damaged at offset {} ({}); moved to {} with its {} "
          "readable rows; the rest of the store is served",
          path, r.bad_offset, r.reason, aside, entries.size());
      if (::rename(path.c_str(), aside.c_str()) != 0) {
        return ErrnoStatus(errno, "moving aside damaged segment", path);
      }
      return SyncDir(dir);
    }
    if (r.end == internal::ScanResult::End::kTorn) {
      ++torn_tails;
      if (r.valid_end == 0) {
        log->warn(
            "span store: segment {} has no complete header (a crash at its creation); "
            "removed",
            path);
        if (::unlink(path.c_str()) != 0) return ErrnoStatus(errno, "removing", path);
        return SyncDir(dir);
      }
      log->warn("span store: torn tail in {} at offset {} ({}); truncated {} bytes", path,
                r.valid_end, r.reason, bytes.size() - r.valid_end);
      if (::ftruncate(fd, static_cast<off_t>(r.valid_end)) != 0 || ::fdatasync(fd) != 0) {
        return ErrnoStatus(errno, "truncating", path);
      }
    }
    seg->size = r.valid_end;
    std::unique_lock lock(index_mu);
    Partition& p = PartitionFor(hour);
    p.segments.push_back(seg);
    segments_by_seq[seq] = seg;
    EntryHints hints;
    for (size_t i = 0; i < entries.size(); ++i) {
      Entry& e = entries[i];
      const auto& s = strings[i];
      InternStrings(s[0], s[1], s[2], s[3], s[4], s[5], &hints, &e);
      AddEntry(p, e);
    }
    return Status::Ok();
  }

  static Entry MakeEntry(const RowFields& row, uint32_t seq, uint64_t block_offset,
                         uint32_t row_offset) {
    Entry e;
    e.start = row.start;
    e.end = row.end;
    e.trace_id = row.trace_id;
    e.span_id = row.span_id;
    e.parent_span_id = row.parent_span_id;
    e.block_offset = static_cast<uint32_t>(block_offset);
    e.seq = seq;
    e.row_offset = row_offset;
    e.input_tokens = internal::KnownTokens(row.input_tokens);
    e.output_tokens = internal::KnownTokens(row.output_tokens);
    e.cost = row.cost;
    e.status = row.status;
    e.span_kind = row.span_kind & 0x7f;
    e.is_log = row.kind == RowKind::kLog;
    return e;
  }

  // REQUIRES: index_mu held exclusively.
  uint32_t Intern(std::string_view s) {
    auto it = symbol_ids.find(s);
    if (it != symbol_ids.end()) return it->second;
    uint32_t id = static_cast<uint32_t>(symbols.size());
    symbols.emplace_back(s);
    symbol_ids.emplace(std::string(s), id);
    return id;
  }
  // The last few ids one field of the rows took: rows of one request mostly repeat a handful
  // of services, names and models, and a comparison with each is cheaper than hashing.
  struct InternHints {
    uint32_t ids[4] = {};
    uint32_t next = 0;
  };
  // REQUIRES: index_mu held exclusively.
  uint32_t Intern(std::string_view s, InternHints* hints) {
    for (uint32_t id : hints->ids) {
      if (symbols[id] == s) return id;
    }
    const uint32_t id = Intern(s);
    hints->ids[hints->next++ % 4] = id;
    return id;
  }
  // REQUIRES: index_mu held exclusively.
  uint32_t InternGenAi(const GenAiTuple& t, InternHints* hints) {
    for (uint32_t id : hints->ids) {
      if (genai_tuples[id] == t) return id;
    }
    auto [it, inserted] =
        genai_tuple_ids.try_emplace(t, static_cast<uint32_t>(genai_tuples.size()));
    if (inserted) genai_tuples.push_back(t);
    hints->ids[hints->next++ % 4] = it->second;
    return it->second;
  }
  struct EntryHints {
    InternHints service, name, model, provider, operation, finish, genai;
  };
  // An entry's six strings as ids, one set of hints per field (Open and Commit).
  // REQUIRES: index_mu held exclusively.
  void InternStrings(std::string_view service, std::string_view name, std::string_view model,
                     std::string_view provider, std::string_view operation, std::string_view finish,
                     EntryHints* hints, Entry* e) {
    e->service = Intern(service, &hints->service);
    e->name = Intern(name, &hints->name);
    if (model.empty() && provider.empty() && operation.empty() && finish.empty()) {
      e->genai = 0;
      return;
    }
    const GenAiTuple t{Intern(model, &hints->model), Intern(provider, &hints->provider),
                       Intern(operation, &hints->operation), Intern(finish, &hints->finish)};
    e->genai = InternGenAi(t, &hints->genai);
  }

  // REQUIRES: index_mu held exclusively.
  Partition& PartitionFor(int64_t hour) { return partitions[hour]; }

  // REQUIRES: index_mu held exclusively.
  void AddEntry(Partition& p, const Entry& e) {
    const bool is_log = e.is_log;
    internal::ChunkedArray<Entry>& v = is_log ? p.logs : p.spans;
    if (!e.trace_id.empty()) {
      (void)p.traces.Add(e.trace_id, v.size(), is_log);
    }
    v.push_back(e);
    if (!is_log) p.operations.insert((uint64_t{e.service} << 32) | e.name);
  }

  // A SpanQuery's filters on index entries: time range, service, span name, the GenAI
  // strings, status, duration, tokens and cost (not a cursor or attribute filters). The
  // GenAI strings are decided once per tuple id. REQUIRES: index_mu held, shared at least,
  // while it is built and whenever Matches runs.
  class EntryFilter {
   public:
    EntryFilter(const Impl& m, const SpanQuery& q) : m_(m), q_(q) {
      possible_ = Resolve(q.service, &service_) && Resolve(q.span_name, &name_) &&
                  Resolve(q.model, &model_) && Resolve(q.provider, &provider_) &&
                  Resolve(q.operation, &operation_);
      by_genai_ =
          model_ != kAny || provider_ != kAny || operation_ != kAny || !q.finish_reason.empty();
    }

    // False when a string filter names a string never stored: nothing can match.
    bool possible() const { return possible_; }

    // Inline in the scans' loops, as the compares it gathers were.
    [[gnu::always_inline]] bool Matches(const Entry& e) {
      if (e.start < q_.start_unix_nano || e.start >= q_.end_unix_nano) return false;
      if (service_ != kAny && e.service != service_) return false;
      if (name_ != kAny && e.name != name_) return false;
      if (by_genai_ && !GenAiMatches(e.genai)) return false;
      if (q_.status && e.status != static_cast<uint8_t>(*q_.status)) return false;
      const uint64_t d = e.end > e.start ? e.end - e.start : 0;
      if (q_.min_duration_nanos && d < *q_.min_duration_nanos) return false;
      if (q_.max_duration_nanos && d > *q_.max_duration_nanos) return false;
      if (q_.min_input_tokens && e.input_tokens < *q_.min_input_tokens) return false;
      if (q_.min_output_tokens && e.output_tokens < *q_.min_output_tokens) return false;
      if (q_.min_cost && !(e.cost >= *q_.min_cost)) return false;  // NaN (unknown) fails
      return true;
    }

   private:
    static constexpr uint32_t kAny = UINT32_MAX;
    enum Verdict : uint8_t { kUnknown, kNo, kYes };

    // The symbol id of a filter's string (kAny for an empty one); false for a string the
    // store never held.
    bool Resolve(const std::string& s, uint32_t* id) const {
      if (s.empty()) {
        *id = kAny;
        return true;
      }
      auto it = m_.symbol_ids.find(s);
      if (it == m_.symbol_ids.end()) return false;
      *id = it->second;
      return true;
    }

    [[gnu::always_inline]] bool GenAiMatches(uint32_t id) {
      if (id < verdicts_.size() && verdicts_[id] != kUnknown) return verdicts_[id] == kYes;
      return DecideGenAi(id);
    }
    // A tuple's first time in this query.
    [[gnu::noinline]] bool DecideGenAi(uint32_t id) {
      if (id >= verdicts_.size()) verdicts_.resize(id + 1, kUnknown);
      const GenAiTuple& t = m_.genai_tuples[id];
      const bool yes =
          (model_ == kAny || t.model == model_) && (provider_ == kAny || t.provider == provider_) &&
          (operation_ == kAny || t.operation == operation_) &&
          (q_.finish_reason.empty() || FinishReasonMatches(m_.symbols[t.finish], q_.finish_reason));
      verdicts_[id] = yes ? kYes : kNo;
      return yes;
    }

    const Impl& m_;
    const SpanQuery& q_;
    bool possible_ = false, by_genai_ = false;
    uint32_t service_ = kAny, name_ = kAny, model_ = kAny, provider_ = kAny, operation_ = kAny;
    std::vector<Verdict> verdicts_;  // by GenAI tuple id
  };

  // ---- append

  static int64_t HourOf(uint64_t t) { return static_cast<int64_t>(t / kHourNanos); }

  // Appends a row with room for a record of `record_size` bytes to w->buf and returns where
  // the record goes (the caller writes it there); nullptr, and nothing appended, when the row
  // would be larger than max_row_bytes.
  char* AddRow(Writer* w, const RowFields& row, size_t record_size, int64_t hour,
               uint32_t context_group) {
    const size_t len = internal::RowSize(row, record_size);
    if (len > options.max_row_bytes) return nullptr;
    const size_t before = w->buf.size();
    internal::ContextSpan context;
    char* record = internal::AppendRowForRecord(row, record_size, &w->buf, &context);
    w->rows.push_back(PendingRow{hour, static_cast<uint32_t>(before), static_cast<uint32_t>(len),
                                 context, row.trace_id, context_group});
    return record;
  }

  // Encodes every record of `request` into rows (refusing those over max_row_bytes) and commits
  // them as one writer.
  template <typename Signal>
  Status AppendRequest(const typename Signal::Request& request, AppendStats* stats) {
    Impl& m = *this;
    Writer w;
    BorrowedBuffer borrowed(&w.buf);
    std::string first_error;
    uint64_t rejected = 0;
    std::string context;
    uint32_t context_group = 0;
    wire::RecordEncoder encoder(wire::RecordEncoder::Fields::kWithoutKeys);  // the row has them
    GenAiFields g;
    const uint64_t now = NowNanos();
    const auto& resources = Signal::Resources(request);
    for (size_t i = 0; i < resources.size(); ++i) {
      const std::string service = ServiceName(resources[i].resource);
      const auto& scopes = Signal::Scopes(resources[i]);
      for (size_t j = 0; j < scopes.size(); ++j) {
        const auto& records = Signal::Records(scopes[j]);
        if (records.empty()) continue;
        context.clear();
        Signal::EncodeContext(resources[i], scopes[j], &context);
        ++context_group;
        for (size_t k = 0; k < records.size(); ++k) {
          // Reset, not rebuilt: the strings keep their capacity from span to span.
          g.model.clear();
          g.provider.clear();
          g.operation.clear();
          g.finish_reason.clear();
          g.input_tokens = g.output_tokens = -1;
          g.cost = std::numeric_limits<double>::quiet_NaN();
          RowFields row;
          const uint64_t t = Signal::Fill(m.options.index_hook, resources[i], scopes[j], records[k],
                                          now, &g, &row);
          // The record is written once, in place in its row.
          const size_t record_size = encoder.Size(records[k]);
          row.service = service;
          row.context = context;
          if (char* at = m.AddRow(&w, row, record_size, HourOf(t), context_group)) {
            encoder.Write(records[k], at);
            continue;
          }
          if (rejected++ == 0) {
            first_error = std::string(Signal::kPath[0]) + "[" + std::to_string(i) + "]." +
                          Signal::kPath[1] + "[" + std::to_string(j) + "]." + Signal::kPath[2] +
                          "[" + std::to_string(k) + "]: " + Signal::kWhat + " of " +
                          std::to_string(context.size() + record_size) +
                          " bytes exceeds the span store's max_row_bytes " +
                          std::to_string(m.options.max_row_bytes);
          }
        }
      }
    }
    m.rejected_rows += rejected;
    Status s = m.Commit(&w);
    if (stats != nullptr) {
      stats->accepted = s.ok() ? w.rows.size() : 0;
      stats->rejected = rejected;
    }
    if (!s.ok()) return s;
    if (rejected > 0) {
      return InvalidArgument(std::to_string(rejected) + " " + Signal::kWhat +
                             "(s) refused, first " + first_error);
    }
    return Status::Ok();
  }

  Status Commit(Writer* w) {
    if (w->rows.empty()) return Status::Ok();
    std::unique_lock lock(write_mu);
    writers.push_back(w);
    while (!w->done && w != writers.front()) w->cv.wait(lock);
    if (w->done) return w->status;
    // The leader: take every queued writer (up to a bound) and commit them together.
    std::vector<Writer*> group;
    uint64_t bytes = 0;
    for (Writer* x : writers) {
      if (!group.empty() && bytes + x->buf.size() > kMaxGroupBytes) break;
      group.push_back(x);
      bytes += x->buf.size();
    }
    lock.unlock();
    Status s = WriteGroup(group);
    lock.lock();
    for (Writer* x : group) {
      writers.pop_front();
      x->status = s;
      x->done = true;
      if (x != w) x->cv.notify_one();
    }
    if (!writers.empty()) writers.front()->cv.notify_one();
    return s;
  }

  // Returns a segment of `hour` this process may append `extra` bytes to, creating it when
  // needed. REQUIRES: file_mu held.
  Result<SegmentPtr> WritableSegment(int64_t hour, uint64_t extra, std::vector<SegmentPtr>* created,
                                     bool* sync_error) {
    auto it = active.find(hour);
    if (it != active.end()) {
      Segment& s = *it->second;
      if (s.size <= internal::kFileHeaderSize || s.size + extra <= options.max_segment_bytes) {
        return it->second;
      }
    }
    auto seg = std::make_shared<Segment>();
    seg->hour = hour;
    seg->seq = next_seq++;
    seg->path = dir + "/" + SegmentName(hour, seg->seq);
    seg->fd = ::open(seg->path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (seg->fd < 0) return ErrnoStatus(errno, "creating", seg->path);
    std::string header = internal::EncodeFileHeader();
    created->push_back(seg);  // from here on a failure removes the file again
    RETURN_IF_ERROR(WriteAll(seg->fd, header.data(), header.size(), 0, seg->path));
    seg->size = header.size();
    seg->dirty = true;
    if (Status st = SyncDir(dir); !st.ok()) {
      *sync_error = true;
      return st;
    }
    // Few files stay active: spans arrive for the current hour, now and then a late one.
    if (active.size() >= 16) {
      // Background syncs cover active segments only: sync this one before letting it go.
      auto oldest = active.begin();
      if (oldest->second->dirty) {
        if (::fdatasync(oldest->second->fd) != 0) {
          *sync_error = true;
          return ErrnoStatus(errno, "syncing", oldest->second->path);
        }
        oldest->second->dirty = false;
        ++fsyncs;
      }
      active.erase(oldest);
    }
    active[hour] = seg;
    return seg;
  }

  Status WriteGroup(const std::vector<Writer*>& group) {
    std::lock_guard flock(file_mu);
    if (!failed.ok()) return failed;
    // What a failed write() is rolled back to: the active segments and their sizes.
    const std::map<int64_t, SegmentPtr> active_before = active;
    std::vector<std::pair<SegmentPtr, uint64_t>> sizes_before;
    for (const auto& [hour, seg] : active) sizes_before.emplace_back(seg, seg->size.load());
    std::vector<SegmentPtr> created;
    bool sync_error = false;
    Status s = WriteGroupLocked(group, &created, &sync_error);
    if (!s.ok()) {
      // A write() that failed (a full disk) leaves bytes nobody indexed: cut every segment
      // back and drop the ones this group created, then the next group may try again. A failed
      // fdatasync is final (the kernel may have dropped the pages): the store must be reopened.
      if (!sync_error && RollBack(active_before, sizes_before, created)) {
        log->warn("span store: a write failed, rolled back; appends continue: {}", s.message());
        return s;
      }
      failed = s.Annotate("span store write failed; reopen the store");
      log->error("{}", failed.message());
    }
    return s;
  }

  // REQUIRES: file_mu held.
  bool RollBack(const std::map<int64_t, SegmentPtr>& active_before,
                const std::vector<std::pair<SegmentPtr, uint64_t>>& sizes_before,
                const std::vector<SegmentPtr>& created) {
    for (const auto& [seg, size] : sizes_before) {
      if (::ftruncate(seg->fd, static_cast<off_t>(size)) != 0) return false;
      seg->size = size;
    }
    for (const SegmentPtr& seg : created) ::unlink(seg->path.c_str());
    active = active_before;
    return true;
  }

  Status WriteGroupLocked(const std::vector<Writer*>& group, std::vector<SegmentPtr>* created_out,
                          bool* sync_error) {
    // Rows by hour, in arrival order.
    std::map<int64_t, std::vector<std::pair<Writer*, PendingRow*>>> by_hour;
    for (Writer* w : group) {
      for (PendingRow& r : w->rows) by_hour[r.hour].emplace_back(w, &r);
    }
    std::vector<SegmentPtr>& created = *created_out;
    std::vector<SegmentPtr> touched;
    std::string& out = leader_out;
    std::string& raw = leader_raw;
    for (auto& [hour, rows] : by_hour) {
      SegmentPtr seg;
      uint64_t base = 0;  // the segment's size when `out` started
      out.clear();
      auto flush_out = [&]() -> Status {
        if (out.empty()) return Status::Ok();
        RETURN_IF_ERROR(WriteAll(seg->fd, out.data(), out.size(), base, seg->path));
        seg->size = base + out.size();
        seg->dirty = true;
        written_bytes += out.size();
        if (touched.empty() || touched.back() != seg) touched.push_back(seg);
        out.clear();
        return Status::Ok();
      };
      size_t i = 0;
      while (i < rows.size()) {
        // Fill one block. A row whose context (resource and scope) is the one of the last row
        // that held its own refers back to that row instead of repeating it: the rows of one
        // scope of a request, and of the same service's requests in a row, share it.
        raw.clear();
        size_t first = i;
        std::string_view last_context;
        size_t last_context_row = 0;
        // The writer and context group of the last row: a row of both has last_context.
        const Writer* last_writer = nullptr;
        uint32_t last_group = 0;
        while (i < rows.size() &&
               (raw.empty() || raw.size() + rows[i].second->len <= options.block_bytes)) {
          PendingRow& r = *rows[i].second;
          const std::string_view row(rows[i].first->buf.data() + r.offset, r.len);
          const std::string_view context = row.substr(r.context.at, r.context.size);
          r.row_offset = static_cast<uint32_t>(raw.size());
          // The writers' rows are cold by now (a 1000-span request is ~1 MB of them) and
          // each is copied here whole: ask for the one two rows ahead, every line of it, so
          // that its misses overlap with this copy (the copy's share of the server's samples
          // went from ~2.2 % to ~1.2 %; bench/README.md).
          if (i + 2 < rows.size()) {
            const PendingRow& a = *rows[i + 2].second;
            const char* ahead = rows[i + 2].first->buf.data() + a.offset;
            PrefetchBytes(ahead, a.len);
          }
          if (!last_context.empty() &&
              ((rows[i].first == last_writer && r.context_group == last_group) ||
               context == last_context)) {
            internal::AppendRowWithContextRef(row, r.context, raw.size() - last_context_row, &raw);
          } else {
            last_context = context;
            last_context_row = raw.size();
            raw.append(row);
          }
          last_writer = rows[i].first;
          last_group = r.context_group;
          ++i;
        }
        uint64_t estimate = internal::kBlockHeaderSize + raw.size();
        if (!seg || (base + out.size() > internal::kFileHeaderSize &&
                     base + out.size() + estimate > options.max_segment_bytes)) {
          if (seg) RETURN_IF_ERROR(flush_out());
          ASSIGN_OR_RETURN(seg, WritableSegment(hour, estimate, &created, sync_error));
          base = seg->size;
        }
        uint64_t block_offset = base + out.size();
        RETURN_IF_ERROR(
            internal::AppendBlock(raw, static_cast<uint32_t>(i - first), options.zstd_level, &out));
        for (size_t k = first; k < i; ++k) {
          PendingRow& r = *rows[k].second;
          r.seq = seg->seq;
          r.block_offset = block_offset;
        }
        raw_bytes += raw.size();
      }
      RETURN_IF_ERROR(flush_out());
    }
    if (options.sync == SyncMode::kAlways) {
      for (const SegmentPtr& seg : touched) {
        if (::fdatasync(seg->fd) != 0) {
          *sync_error = true;
          return ErrnoStatus(errno, "syncing", seg->path);
        }
        seg->dirty = false;
        ++fsyncs;
      }
    }
    ++commits;
    // Durable: make the rows visible.
    std::unique_lock lock(index_mu);
    for (const SegmentPtr& seg : created) {
      PartitionFor(seg->hour).segments.push_back(seg);
      segments_by_seq[seg->seq] = seg;
    }
    RowFields row;
    EntryHints hints;
    // Rows come in runs of one hour: look its partition up once per run (for the row being
    // indexed, and for the one whose trace slot is asked for ahead of it).
    struct LastPartition {
      int64_t hour = 0;
      Partition* p = nullptr;
    } indexed, asked;
    auto partition = [this](int64_t hour, LastPartition* last) -> Partition& {
      if (last->p == nullptr || last->hour != hour) *last = {hour, &PartitionFor(hour)};
      return *last->p;
    };
    for (Writer* w : group) {
      const std::vector<PendingRow>& rows = w->rows;
      for (size_t i = 0; i < rows.size(); ++i) {
        // The rows went cold while they were compressed, written and synced, and each is read
        // here once, at its head (the fixed fields and the six strings): ask for the head of a
        // row a few ahead, so that its misses overlap with the work on this one. So too for
        // the trace index slot of a row further ahead (see TraceIndex::Prefetch).
        if (i + kPrefetchRows < rows.size()) {
          const char* ahead = w->buf.data() + rows[i + kPrefetchRows].offset;
          PrefetchBytes(ahead, 192);
        }
        if (i + kPrefetchSlots < rows.size()) {
          const PendingRow& a = rows[i + kPrefetchSlots];
          if (!a.trace_id.empty()) partition(a.hour, &asked).traces.Prefetch(a.trace_id);
        }
        const PendingRow& r = rows[i];
        size_t next;
        if (Status s = internal::DecodeRow(w->buf, r.offset, &row, &next); !s.ok()) {
          return Internal("re-reading a row just encoded: " + s.message());
        }
        Entry e = MakeEntry(row, r.seq, r.block_offset, r.row_offset);
        InternStrings(row.service, row.name, row.model, row.provider, row.operation,
                      row.finish_reason, &hints, &e);
        AddEntry(partition(r.hour, &indexed), e);
        (row.kind == RowKind::kLog ? appended_logs : appended_spans)++;
      }
    }
    return Status::Ok();
  }

  Status SyncAll() {
    std::vector<SegmentPtr> dirty;
    {
      std::lock_guard flock(file_mu);
      if (!failed.ok()) return failed;
      for (auto& [hour, seg] : active) {
        if (seg->dirty) dirty.push_back(seg);
      }
    }
    for (const SegmentPtr& seg : dirty) {
      seg->dirty = false;
      if (::fdatasync(seg->fd) != 0) {
        Status s = ErrnoStatus(errno, "syncing", seg->path);
        std::lock_guard flock(file_mu);
        failed = s;
        return s;
      }
      ++fsyncs;
    }
    return Status::Ok();
  }

  // ---- read

  // `keep`: add the block to the cache.
  Result<std::shared_ptr<const std::string>> ReadBlock(uint32_t seq, uint64_t offset,
                                                       bool keep = true) const {
    CacheKey key{seq, offset};
    {
      std::lock_guard lock(cache_mu);
      auto it = cache.find(key);
      if (it != cache.end()) {
        cache_lru.splice(cache_lru.begin(), cache_lru, it->second.lru);
        ++cache_hits;
        return it->second.raw;
      }
    }
    ++cache_misses;
    SegmentPtr seg;
    {
      std::shared_lock lock(index_mu);
      auto it = segments_by_seq.find(seq);
      if (it != segments_by_seq.end()) seg = it->second;
    }
    if (!seg) return NotFound("segment " + std::to_string(seq) + " is gone (retention)");
    std::string block(internal::kBlockHeaderSize, '\0');
    RETURN_IF_ERROR(PreadAll(seg->fd, block.data(), block.size(), offset, seg->path));
    internal::BlockHeader h;
    auto where = [&] { return seg->path + " block at offset " + std::to_string(offset); };
    if (Status s = internal::ParseBlockHeader(block, &h); !s.ok()) {
      ++read_errors;
      return s.Annotate(where());
    }
    block.resize(internal::kBlockHeaderSize + h.payload_len);
    RETURN_IF_ERROR(PreadAll(seg->fd, block.data() + internal::kBlockHeaderSize, h.payload_len,
                             offset + internal::kBlockHeaderSize, seg->path));
    auto raw = std::make_shared<std::string>();
    if (Status s = internal::DecodeBlock(block, h, raw.get()); !s.ok()) {
      ++read_errors;
      return s.Annotate(where());
    }
    std::lock_guard lock(cache_mu);
    if (keep && options.block_cache_bytes > 0 && cache.find(key) == cache.end()) {
      cache_lru.push_front(key);
      cache.emplace(key, CacheEntry{raw, cache_lru.begin()});
      cache_bytes += raw->size();
      while (cache_bytes > options.block_cache_bytes && cache_lru.size() > 1) {
        auto victim = cache.find(cache_lru.back());
        cache_bytes -= victim->second.raw->size();
        cache.erase(victim);
        cache_lru.pop_back();
      }
    }
    return std::shared_ptr<const std::string>(std::move(raw));
  }

  // Reads the row at a location and decodes resource, scope and record into *span or *log.
  Status ReadRecord(const Entry& e, StoredSpan* span, StoredLog* log_out) const {
    ASSIGN_OR_RETURN(auto raw, ReadBlock(e.seq, e.block_offset));
    RowFields row;
    size_t next;
    RETURN_IF_ERROR(internal::DecodeRow(*raw, e.row_offset, &row, &next));
    return span != nullptr ? internal::DecodeStoredSpan(row, span)
                           : internal::DecodeStoredLog(row, log_out);
  }

  // ---- retention

  // REQUIRES: file_mu and index_mu (exclusive) held.
  Status DropPartition(std::map<int64_t, Partition>::iterator it) {
    const int64_t hour = it->first;
    Partition& p = it->second;
    uint64_t bytes = 0;
    for (const SegmentPtr& seg : p.segments) {
      bytes += seg->size;
      segments_by_seq.erase(seg->seq);
      auto a = active.find(hour);
      if (a != active.end() && a->second == seg) active.erase(a);
      if (::unlink(seg->path.c_str()) != 0 && errno != ENOENT) {
        return ErrnoStatus(errno, "removing", seg->path);
      }
    }
    log->info("span store: retention removed partition {} ({} spans, {} logs, {} bytes)",
              HourName(hour), p.spans.size(), p.logs.size(), bytes);
    partitions.erase(it);
    ++partitions_dropped;
    return Status::Ok();
  }

  Status Retain(uint64_t now) {
    std::lock_guard flock(file_mu);
    std::unique_lock lock(index_mu);
    bool dropped = false;
    if (options.retention_time.count() > 0) {
      uint64_t keep = static_cast<uint64_t>(options.retention_time.count()) * 1000000000ull;
      while (!partitions.empty()) {
        auto it = partitions.begin();
        uint64_t hour_end = static_cast<uint64_t>(it->first + 1) * kHourNanos;
        if (now < keep || hour_end >= now - keep) break;
        RETURN_IF_ERROR(DropPartition(it));
        dropped = true;
      }
    }
    if (options.retention_bytes > 0) {
      auto total = [&] {
        uint64_t b = 0;
        for (auto& [h, p] : partitions) {
          for (const SegmentPtr& s : p.segments) b += s->size;
        }
        return b;
      };
      while (partitions.size() > 1 && total() > options.retention_bytes) {
        RETURN_IF_ERROR(DropPartition(partitions.begin()));
        dropped = true;
      }
    }
    if (dropped) return SyncDir(dir);
    return Status::Ok();
  }

  void Background() {
    auto next_sync = std::chrono::steady_clock::now() + options.sync_interval;
    auto next_retain = std::chrono::steady_clock::now();
    bool want_sync = options.sync == SyncMode::kInterval;
    bool want_retain = options.retention_interval.count() > 0 &&
                       (options.retention_time.count() > 0 || options.retention_bytes > 0);
    std::unique_lock lock(bg_mu);
    while (!stopping) {
      auto wake = std::chrono::steady_clock::time_point::max();
      if (want_sync) wake = std::min(wake, next_sync);
      if (want_retain) wake = std::min(wake, next_retain);
      bg_cv.wait_until(lock, wake);
      if (stopping) break;
      auto now = std::chrono::steady_clock::now();
      lock.unlock();
      if (want_sync && now >= next_sync) {
        if (Status s = SyncAll(); !s.ok()) log->error("span store: {}", s.message());
        next_sync = now + options.sync_interval;
      }
      if (want_retain && now >= next_retain) {
        if (Status s = Retain(NowNanos()); !s.ok()) log->error("span store: {}", s.message());
        next_retain = now + options.retention_interval;
      }
      lock.lock();
    }
  }
};

// ---------------------------------------------------------------------------------------------

SpanStore::SpanStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SpanStore::~SpanStore() {
  if (impl_) (void)Close();
}

Result<std::unique_ptr<SpanStore>> SpanStore::Open(const std::string& dir, Options options) {
  if (options.max_row_bytes == 0 || options.max_row_bytes > kMaxRowLimit) {
    return InvalidArgument("span store: max_row_bytes must be in 1.." +
                           std::to_string(kMaxRowLimit));
  }
  if (options.block_bytes == 0 || options.block_bytes > internal::kMaxBlockRawBytes / 2) {
    return InvalidArgument("span store: block_bytes out of range");
  }
  if (options.max_segment_bytes == 0 || options.max_segment_bytes > kMaxSegmentLimit) {
    return InvalidArgument("span store: max_segment_bytes must be in 1.." +
                           std::to_string(kMaxSegmentLimit) + " (the index holds 32-bit offsets)");
  }
  if (options.sync == SyncMode::kInterval && options.sync_interval.count() <= 0) {
    return InvalidArgument("span store: sync_interval must be positive");
  }
  if (!options.index_hook) options.index_hook = DefaultSpanIndexHook;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Internal("creating " + dir + ": " + ec.message());
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->options = std::move(options);
  const std::string lock_path = dir + "/LOCK";
  impl->lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (impl->lock_fd < 0) return ErrnoStatus(errno, "opening", lock_path);
  if (::flock(impl->lock_fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(impl->lock_fd);
    if (err == EWOULDBLOCK) {
      return FailedPrecondition("span store " + dir + " is in use by another process (LOCK)");
    }
    return ErrnoStatus(err, "locking", lock_path);
  }
  if (Status s = impl->LoadSegments(); !s.ok()) {
    ::close(impl->lock_fd);
    return s.Annotate("opening span store " + dir);
  }
  Impl* raw = impl.get();
  bool want_bg = raw->options.sync == SyncMode::kInterval ||
                 (raw->options.retention_interval.count() > 0 &&
                  (raw->options.retention_time.count() > 0 || raw->options.retention_bytes > 0));
  if (want_bg) raw->bg = std::thread([raw] { raw->Background(); });
  return std::unique_ptr<SpanStore>(new SpanStore(std::move(impl)));
}

Status SpanStore::Close() {
  Impl& m = *impl_;
  if (m.closed) return FailedPrecondition("span store already closed");
  {
    std::lock_guard lock(m.bg_mu);
    m.stopping = true;
  }
  m.bg_cv.notify_all();
  if (m.bg.joinable()) m.bg.join();
  Status s = m.SyncAll();
  {
    std::lock_guard flock(m.file_mu);
    m.active.clear();
    if (m.failed.ok()) m.failed = FailedPrecondition("span store closed");
  }
  {
    std::unique_lock lock(m.index_mu);
    m.partitions.clear();
    m.segments_by_seq.clear();
  }
  {
    std::lock_guard lock(m.cache_mu);
    m.cache.clear();
    m.cache_lru.clear();
  }
  if (m.lock_fd >= 0) ::close(m.lock_fd);
  m.lock_fd = -1;
  m.closed = true;
  return s;
}

Status SpanStore::Append(const pdata::Traces& traces, AppendStats* stats) {
  return impl_->AppendRequest<SpanSignal>(traces, stats);
}

Status SpanStore::Append(const pdata::Logs& logs, AppendStats* stats) {
  return impl_->AppendRequest<LogSignal>(logs, stats);
}

Result<SpanSearchResult> SpanStore::Search(const SpanQuery& q) const {
  const Impl& m = *impl_;
  if (q.limit == 0 || q.limit > 10000) {
    return InvalidArgument("span search: limit must be in 1..10000, got " +
                           std::to_string(q.limit));
  }
  std::optional<EntryKey> cursor;
  if (!q.cursor.empty()) {
    EntryKey k;
    if (!internal::DecodeCursor(q.cursor, &k)) {
      return InvalidArgument("span search: malformed cursor \"" + q.cursor.substr(0, 64) + "\"");
    }
    cursor = k;
  }
  SpanSearchResult result;
  if (q.start_unix_nano >= q.end_unix_nano) return result;
  const size_t want = q.limit + 1;  // one more than a page tells whether there is a next one
  std::vector<SpanSummary> found;

  std::shared_lock lock(m.index_mu);
  Impl::EntryFilter filter(m, q);
  if (!filter.possible()) return result;
  auto matches = [&](const Entry& e) {
    return filter.Matches(e) && (!cursor || internal::KeyOf(e) < *cursor);
  };
  auto summarize = [&](const Entry& e) {
    SpanSummary s;
    s.trace_id = e.trace_id;
    s.span_id = e.span_id;
    s.parent_span_id = e.parent_span_id;
    s.service = m.symbols[e.service];
    s.name = m.symbols[e.name];
    s.kind = static_cast<pdata::SpanKind>(e.span_kind);
    s.status = static_cast<pdata::SpanStatus::Code>(e.status);
    s.start_time_unix_nano = e.start;
    s.end_time_unix_nano = e.end;
    const GenAiTuple& t = m.genai_tuples[e.genai];
    s.genai.model = m.symbols[t.model];
    s.genai.provider = m.symbols[t.provider];
    s.genai.operation = m.symbols[t.operation];
    s.genai.finish_reason = m.symbols[t.finish];
    s.genai.input_tokens = e.input_tokens;
    s.genai.output_tokens = e.output_tokens;
    s.genai.cost = e.cost;
    return s;
  };
  std::vector<EntryKey> keys;  // of `found`
  // verbatim[i]: attribute filter i can only match a string attribute (its text is no other
  // type's rendering), so the row must contain the value's bytes.
  constexpr size_t npos = std::string_view::npos;
  std::vector<bool> verbatim;
  for (const auto& [key, value] : q.attributes) verbatim.push_back(OnlyAString(value));

  // Partitions newest first; a partition's rows all start within its hour, so once a page is
  // full after a partition, older partitions cannot hold newer rows.
  std::vector<int64_t> hours;
  for (auto it = m.partitions.rbegin(); it != m.partitions.rend(); ++it) {
    const uint64_t hour_start = static_cast<uint64_t>(it->first) * kHourNanos;
    if (hour_start >= q.end_unix_nano) continue;
    if (hour_start + kHourNanos <= q.start_unix_nano) break;
    if (cursor && hour_start > cursor->start) continue;
    hours.push_back(it->first);
  }
  for (int64_t hour : hours) {
    if (found.size() >= want) break;
    auto pit = m.partitions.find(hour);
    if (pit == m.partitions.end()) continue;  // dropped while the lock was released
    const internal::ChunkedArray<Entry>& spans = pit->second.spans;
    std::vector<uint32_t> idx;
    for (uint32_t i = 0; i < spans.size(); ++i) {
      ++result.scanned;
      if (matches(spans[i])) idx.push_back(i);
    }
    auto newer = [&](uint32_t a, uint32_t b) {
      return internal::KeyOf(spans[b]) < internal::KeyOf(spans[a]);
    };
    const size_t need = want - found.size();
    if (q.attributes.empty()) {
      if (idx.size() > need) {
        std::partial_sort(idx.begin(), idx.begin() + static_cast<long>(need), idx.end(), newer);
        idx.resize(need);
      } else {
        std::sort(idx.begin(), idx.end(), newer);
      }
      for (uint32_t i : idx) {
        found.push_back(summarize(spans[i]));
        keys.push_back(internal::KeyOf(spans[i]));
      }
      continue;
    }
    // Attribute filters need the rows. The candidates (copied) are read in storage order
    // without the index lock, so that each block is read and decompressed once (and not kept
    // in the block cache: a scan would only evict what GetTrace reuses); the matches are then
    // ordered newest first.
    std::vector<Entry> cand;
    cand.reserve(idx.size());
    for (uint32_t i : idx) cand.push_back(spans[i]);
    lock.unlock();
    std::sort(cand.begin(), cand.end(), [](const Entry& x, const Entry& y) {
      return std::tie(x.seq, x.block_offset, x.row_offset) <
             std::tie(y.seq, y.block_offset, y.row_offset);
    });
    std::vector<Entry> hits;
    std::shared_ptr<const std::string> block;
    bool have_block = false;
    uint32_t block_seq = 0;
    uint64_t block_offset = 0;
    for (const Entry& e : cand) {
      if (!have_block || e.seq != block_seq || e.block_offset != block_offset) {
        have_block = true;
        block_seq = e.seq;
        block_offset = e.block_offset;
        auto raw = m.ReadBlock(e.seq, e.block_offset, /*keep=*/false);
        if (!raw.ok() && raw.status().code() != StatusCode::kNotFound) {
          return raw.status().Annotate("span search");
        }
        block = raw.ok() ? *raw : nullptr;  // NotFound: dropped by retention meanwhile
      }
      if (!block) continue;
      RowFields row;
      size_t next;
      if (Status st = internal::DecodeRow(*block, e.row_offset, &row, &next); !st.ok()) {
        return st.Annotate("span search");
      }
      // A string value's bytes appear verbatim in the row: skip the protobuf decode of rows
      // that cannot match.
      bool possible = true;
      for (size_t a = 0; a < q.attributes.size() && possible; ++a) {
        possible = !verbatim[a] || row.record.find(q.attributes[a].second) != npos ||
                   row.context.find(q.attributes[a].second) != npos;
      }
      if (!possible) continue;
      StoredSpan s;
      if (Status st = internal::DecodeStoredSpan(row, &s); !st.ok()) {
        return st.Annotate("span search");
      }
      bool all = true;
      for (const auto& [key, value] : q.attributes) {
        const pdata::AnyValue* v = pdata::FindAttribute(s.span.attributes, key);
        if (v == nullptr) v = pdata::FindAttribute(s.resource.attributes, key);
        if (v == nullptr) v = pdata::FindAttribute(s.scope.attributes, key);
        if (v == nullptr || pdata::AnyValueToString(*v) != value) {
          all = false;
          break;
        }
      }
      if (all) hits.push_back(e);
    }
    std::sort(hits.begin(), hits.end(), [](const Entry& x, const Entry& y) {
      return internal::KeyOf(y) < internal::KeyOf(x);
    });
    lock.lock();
    for (size_t k = 0; k < hits.size() && found.size() < want; ++k) {
      found.push_back(summarize(hits[k]));
      keys.push_back(internal::KeyOf(hits[k]));
    }
  }
  if (found.size() > q.limit) {
    found.resize(q.limit);
    result.next_cursor = internal::EncodeCursor(keys[q.limit - 1]);
  }
  result.spans = std::move(found);
  return result;
}

Result<uint64_t> SpanStore::ScanGenAi(const SpanQuery& q,
                                      const std::function<void(const GenAiRow&)>& fn) const {
  if (!q.attributes.empty()) {
    return InvalidArgument("GenAI scan: attribute filters need the rows; use Search");
  }
  if (!q.cursor.empty()) return InvalidArgument("GenAI scan: takes no cursor");
  const Impl& m = *impl_;
  uint64_t scanned = 0;
  if (q.start_unix_nano >= q.end_unix_nano) return scanned;
  std::shared_lock lock(m.index_mu);
  Impl::EntryFilter filter(m, q);
  if (!filter.possible()) return scanned;
  GenAiRow row;
  for (const auto& [hour, partition] : m.partitions) {
    const uint64_t hour_start = static_cast<uint64_t>(hour) * kHourNanos;
    if (hour_start >= q.end_unix_nano) break;
    if (hour_start + kHourNanos <= q.start_unix_nano) continue;
    for (const Entry& e : partition.spans) {
      ++scanned;
      if (e.start < q.start_unix_nano || e.start >= q.end_unix_nano) continue;
      // Not a GenAI call: nothing of the hook's fields is known.
      if (e.genai == 0 && e.input_tokens < 0 && e.output_tokens < 0 && std::isnan(e.cost)) {
        continue;
      }
      if (!filter.Matches(e)) continue;
      row.trace_id = &e.trace_id;
      row.span_id = &e.span_id;
      row.start_unix_nano = e.start;
      row.end_unix_nano = e.end;
      row.service = m.symbols[e.service];
      row.name = m.symbols[e.name];
      const GenAiTuple& t = m.genai_tuples[e.genai];
      row.model = m.symbols[t.model];
      row.provider = m.symbols[t.provider];
      row.operation = m.symbols[t.operation];
      row.finish_reason = m.symbols[t.finish];
      row.input_tokens = e.input_tokens;
      row.output_tokens = e.output_tokens;
      row.cost = e.cost;
      row.status = static_cast<pdata::SpanStatus::Code>(e.status);
      fn(row);
    }
  }
  return scanned;
}

std::vector<std::string> SpanStore::Services(uint64_t start_unix_nano,
                                             uint64_t end_unix_nano) const {
  return ListOperations(std::nullopt, start_unix_nano, end_unix_nano);
}

std::vector<std::string> SpanStore::SpanNames(std::string_view service, uint64_t start_unix_nano,
                                              uint64_t end_unix_nano) const {
  return ListOperations(service, start_unix_nano, end_unix_nano);
}

// Services (no `service`) or the span names of `service`, from the partitions overlapping
// the range.
std::vector<std::string> SpanStore::ListOperations(std::optional<std::string_view> service,
                                                   uint64_t start_unix_nano,
                                                   uint64_t end_unix_nano) const {
  const Impl& m = *impl_;
  std::vector<std::string> out;
  std::shared_lock lock(m.index_mu);
  uint32_t service_id = 0;
  if (service) {
    auto it = m.symbol_ids.find(std::string(*service));
    if (it == m.symbol_ids.end()) return out;
    service_id = it->second;
  }
  std::unordered_set<uint32_t> ids;
  for (const auto& [hour, partition] : m.partitions) {
    const uint64_t hour_start = static_cast<uint64_t>(hour) * kHourNanos;
    if (hour_start >= end_unix_nano || hour_start + kHourNanos <= start_unix_nano) continue;
    for (uint64_t op : partition.operations) {
      const auto svc = static_cast<uint32_t>(op >> 32);
      if (!service) {
        ids.insert(svc);
      } else if (svc == service_id) {
        ids.insert(static_cast<uint32_t>(op));
      }
    }
  }
  for (uint32_t id : ids) {
    if (!m.symbols[id].empty()) out.push_back(m.symbols[id]);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<TraceResult> SpanStore::GetTrace(const pdata::TraceId& trace_id) const {
  const Impl& m = *impl_;
  TraceResult result;
  std::vector<Entry> span_entries, log_entries;
  {
    std::shared_lock lock(m.index_mu);
    // Each partition knows its own rows of the trace (a probe each: hours of retention).
    for (const auto& hour_partition : m.partitions) {
      const Impl::Partition& p = hour_partition.second;
      p.traces.ForEach(trace_id, [&](size_t i, bool log) {
        const internal::ChunkedArray<Entry>& v = log ? p.logs : p.spans;
        if (i < v.size()) (log ? log_entries : span_entries).push_back(v[i]);
      });
    }
  }
  auto older = [](const Entry& a, const Entry& b) {
    return internal::KeyOf(a) < internal::KeyOf(b);
  };
  std::sort(span_entries.begin(), span_entries.end(), older);
  std::sort(log_entries.begin(), log_entries.end(), older);
  for (const Entry& e : span_entries) {
    StoredSpan s;
    Status st = m.ReadRecord(e, &s, nullptr);
    if (st.code() == StatusCode::kNotFound) continue;
    RETURN_IF_ERROR(st.Annotate("reading trace " + trace_id.ToHex()));
    result.spans.push_back(std::move(s));
  }
  for (const Entry& e : log_entries) {
    StoredLog l;
    Status st = m.ReadRecord(e, nullptr, &l);
    if (st.code() == StatusCode::kNotFound) continue;
    RETURN_IF_ERROR(st.Annotate("reading trace " + trace_id.ToHex()));
    result.logs.push_back(std::move(l));
  }
  return result;
}

Status SpanStore::EnforceRetention(uint64_t now_unix_nano) {
  if (impl_->closed) return FailedPrecondition("span store closed");
  return impl_->Retain(now_unix_nano);
}

Status SpanStore::Sync() {
  if (impl_->closed) return FailedPrecondition("span store closed");
  return impl_->SyncAll();
}

Stats SpanStore::stats() const {
  const Impl& m = *impl_;
  Stats s;
  {
    std::shared_lock lock(m.index_mu);
    for (const auto& [hour, p] : m.partitions) {
      s.spans += p.spans.size();
      s.logs += p.logs.size();
      s.segments += p.segments.size();
      for (const auto& seg : p.segments) s.disk_bytes += seg->size;
    }
    s.partitions = m.partitions.size();
  }
  s.appended_spans = m.appended_spans;
  s.appended_logs = m.appended_logs;
  s.rejected_rows = m.rejected_rows;
  s.raw_bytes = m.raw_bytes;
  s.written_bytes = m.written_bytes;
  s.commits = m.commits;
  s.fsyncs = m.fsyncs;
  s.torn_tails = m.torn_tails;
  s.corrupt_segments = m.corrupt_segments;
  s.read_errors = m.read_errors;
  s.partitions_dropped = m.partitions_dropped;
  s.block_cache_hits = m.cache_hits;
  s.block_cache_misses = m.cache_misses;
  return s;
}

}  // namespace astrolabe::spanstore
