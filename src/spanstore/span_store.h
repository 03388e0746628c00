#pragma once
// SpanStore: the embedded store of spans and log records (DESIGN.md §3; format, index and
// retention in docs/design/spanstore.md).
//
//   auto store = spanstore::SpanStore::Open("/var/lib/astrolabe/spans", {});
//   RETURN_IF_ERROR((*store)->Append(traces));   // OK = durable (fdatasync) and searchable
//   auto page = (*store)->Search({.service = "support-bot", .limit = 50});
//   auto trace = (*store)->GetTrace(trace_id);   // spans + the log records linked to them
//
// Storage. Each span and each log record is one row, stored in the partition of its hour (span
// start time; log time, else observed time, else the time of the Append) in append-only
// segment files `<dir>/<YYYYMMDDHH>-<seq>.seg` of zstd-compressed, CRC-checked blocks. A
// process writes new segment files (never appends to a file of an earlier run).
//
// Durability. Append returns once its rows are written and, with SyncMode::kAlways (the
// default), fdatasynced; concurrent Appends commit as a group (one write and one fdatasync per
// touched segment for all of them). SyncMode::kInterval returns after write(): rows survive a
// kill -9 of the process but a power loss may take the last `sync_interval`. Rows become
// searchable only once durable as the mode says. A failed write (full disk) is rolled back and
// the next Append tries again; after a sync error every Append fails until the store reopens.
//
// Recovery (Open). Every segment is read and the in-memory index rebuilt. A torn tail (a write
// cut short by a crash) is truncated with one warning naming the file and offset. A segment
// damaged anywhere else is moved to `<dir>/corrupt/` with an error log line and counted; the
// rest of the store is served. A rebuilt index costs a full read of the data: Open time grows
// with the store's size (bench/README.md, "spanstore").
//
// Threads. Every public method is thread-safe. Search and GetTrace run concurrently with each
// other and with Append (a shared lock on the index; blocks are read outside it). One process
// per directory: Open takes an exclusive lock on `<dir>/LOCK`.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "spanstore/query.h"
#include "spanstore/span_index_hook.h"

namespace astrolabe::spanstore {

enum class SyncMode {
  kAlways,    // Append returns after fdatasync (the default)
  kInterval,  // Append returns after write(); a background thread syncs every sync_interval
};

struct Options {
  SyncMode sync = SyncMode::kAlways;
  std::chrono::milliseconds sync_interval{1000};
  // A process starts a new segment file for a partition when the current one would pass this.
  uint64_t max_segment_bytes = 256ull << 20;
  // Uncompressed bytes of rows per block (a larger block compresses better, a smaller one
  // makes point reads cheaper). A row larger than this gets a block of its own.
  uint32_t block_bytes = 256u << 10;
  int zstd_level = 1;
  // A span or log record whose row (indexed fields, resource, scope and the record, encoded)
  // is larger than this is refused: Append stores the others and returns InvalidArgument
  // naming the first refused record. At most 32 MiB.
  uint64_t max_row_bytes = 1ull << 20;
  // Retention, by whole partitions (hours). 0 = unlimited. A partition goes when its hour ended
  // more than `retention_time` ago, and oldest partitions go while the store is larger than
  // `retention_bytes` (the partition being written to last is never removed for size).
  std::chrono::seconds retention_time{0};
  uint64_t retention_bytes = 0;
  // How often a background thread applies retention; 0 = never (call EnforceRetention).
  std::chrono::seconds retention_interval{60};
  // Fills the GenAI fields of each span; null = DefaultSpanIndexHook.
  SpanIndexHook index_hook;
  // Decompressed blocks kept for reads.
  size_t block_cache_bytes = 32u << 20;
};

// What one Append did.
struct AppendStats {
  uint64_t accepted = 0;  // rows stored
  uint64_t rejected = 0;  // rows refused (max_row_bytes)
};

// One span as GenAI aggregation sees it (SpanStore::ScanGenAi): the indexed fields only.
// The strings point into the store's symbol table and are valid only during the callback.
struct GenAiRow {
  const pdata::TraceId* trace_id = nullptr;
  const pdata::SpanId* span_id = nullptr;
  uint64_t start_unix_nano = 0;
  uint64_t end_unix_nano = 0;
  std::string_view service;
  std::string_view name;
  std::string_view model;
  std::string_view provider;
  std::string_view operation;
  std::string_view finish_reason;  // joined with ","
  int64_t input_tokens = -1;       // -1: unknown
  int64_t output_tokens = -1;
  double cost = 0;  // NaN: unknown
  pdata::SpanStatus::Code status = pdata::SpanStatus::Code::kUnset;
  uint64_t duration_nanos() const {
    return end_unix_nano > start_unix_nano ? end_unix_nano - start_unix_nano : 0;
  }
};

struct Stats {
  uint64_t spans = 0;  // rows in the index now
  uint64_t logs = 0;
  uint64_t partitions = 0;
  uint64_t segments = 0;
  uint64_t disk_bytes = 0;      // bytes of the segment files
  uint64_t appended_spans = 0;  // since Open
  uint64_t appended_logs = 0;
  uint64_t rejected_rows = 0;  // refused by max_row_bytes
  uint64_t raw_bytes = 0;      // row bytes before compression, since Open
  uint64_t written_bytes = 0;  // bytes written to segments, since Open
  uint64_t commits = 0;        // group commits
  uint64_t fsyncs = 0;
  uint64_t torn_tails = 0;        // truncated at Open
  uint64_t corrupt_segments = 0;  // moved aside at Open
  uint64_t read_errors = 0;       // blocks that failed their CRC or vanished when read
  uint64_t partitions_dropped = 0;
  uint64_t block_cache_hits = 0;
  uint64_t block_cache_misses = 0;
};

class SpanStore {
 public:
  // Opens (creating if absent) the store in `dir`; see the header comment for recovery.
  static Result<std::unique_ptr<SpanStore>> Open(const std::string& dir, Options options = {});
  ~SpanStore();  // Close(), ignoring its status
  SpanStore(const SpanStore&) = delete;
  SpanStore& operator=(const SpanStore&) = delete;

  // Stores every span (every log record) of the request. OK means all are durable and
  // searchable. InvalidArgument: some records were refused (max_row_bytes; the message names
  // the first as `resource_spans[i].scope_spans[j].spans[k]`), the others are stored as if OK.
  // Any other error: nothing of this call is promised to be stored. `stats` may be null.
  Status Append(const pdata::Traces& traces, AppendStats* stats = nullptr);
  Status Append(const pdata::Logs& logs, AppendStats* stats = nullptr);

  // Spans matching `query`, newest start first, one page at a time. InvalidArgument for a bad
  // limit or cursor.
  Result<SpanSearchResult> Search(const SpanQuery& query) const;

  // Calls `fn` for every stored span that is a GenAI call (one of model, provider, operation,
  // token counts or cost known) and matches `filter`, in no particular order, from the index
  // alone (no block is read or decoded). Every SpanQuery field is honoured but `attributes`,
  // `cursor` and `limit` (which need rows or pages): attributes or a cursor are an
  // InvalidArgument error. `fn` runs under the index's shared lock: it must be quick and must
  // not call the store. Returns the number of index entries examined. Aggregations of the GenAI
  // API (api/genai_api.h) use it; bench/spanstore_bench.cc measures it.
  Result<uint64_t> ScanGenAi(const SpanQuery& filter,
                             const std::function<void(const GenAiRow&)>& fn) const;

  // The distinct service names (resource attribute service.name; spans without one are not
  // listed) of the spans stored in the hours that overlap [start_unix_nano, end_unix_nano),
  // sorted. Hour-granular: spans just outside the range but within its first or last hour
  // count. Cheap: each partition keeps its (service, span name) pairs.
  std::vector<std::string> Services(uint64_t start_unix_nano = 0,
                                    uint64_t end_unix_nano = UINT64_MAX) const;
  // The distinct span names of `service`'s spans, as Services() (empty for an unknown one).
  std::vector<std::string> SpanNames(std::string_view service, uint64_t start_unix_nano = 0,
                                     uint64_t end_unix_nano = UINT64_MAX) const;

  // Every span and linked log record stored for `trace_id` (both empty when none).
  Result<TraceResult> GetTrace(const pdata::TraceId& trace_id) const;

  // Applies retention as of `now_unix_nano` (the background thread passes the wall clock).
  Status EnforceRetention(uint64_t now_unix_nano);

  // fdatasync of everything written (for SyncMode::kInterval).
  Status Sync();

  Stats stats() const;

  // Stops the background threads, syncs and closes the files. Later calls fail.
  Status Close();

 private:
  struct Impl;
  std::vector<std::string> ListOperations(std::optional<std::string_view> service,
                                          uint64_t start_unix_nano, uint64_t end_unix_nano) const;
  explicit SpanStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace astrolabe::spanstore
