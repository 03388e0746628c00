#include "exporter/otlp_http/persistent_queue.h"

#include <utility>
#include <variant>

#include <spdlog/spdlog.h>

#include "pdata/logs.h"
#include "pdata/metrics.h"
#include "pdata/traces.h"
#include "wire/otlp_proto.h"

namespace astrolabe::exporter::otlp_http {

using component::Signal;
using component::StorageOperation;

namespace {

constexpr std::string_view kMetadataKey = "qm";
// A "qm" spanning more indexes than this is not one we wrote (a queue holds at most
// queue_size + num_consumers requests; holes come from out-of-order completion).
constexpr uint64_t kMaxIndexSpan = uint64_t{1} << 24;

size_t Index(Signal s) { return static_cast<size_t>(s); }

std::string ItemKey(uint64_t index) { return std::to_string(index); }

void PutU64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetU64(std::string_view in) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8) | static_cast<unsigned char>(in[static_cast<size_t>(i)]);
  return v;
}

// Decodes a stored request of `signal` back into an ExportRequest.
Result<ExportRequest> Decode(Signal signal, std::string_view bytes) {
  ExportRequest r;
  r.signal = signal;
  switch (signal) {
    case Signal::kMetrics: {
      ASSIGN_OR_RETURN(pdata::Metrics m, wire::DecodeMetricsRequest(bytes));
      r.items = m.DataPointCount();
      r.batch = component::MetricsBatch(std::move(m));
      break;
    }
    case Signal::kTraces: {
      ASSIGN_OR_RETURN(pdata::Traces t, wire::DecodeTracesRequest(bytes));
      r.items = t.SpanCount();
      r.batch = component::TracesBatch(std::move(t));
      break;
    }
    case Signal::kLogs: {
      ASSIGN_OR_RETURN(pdata::Logs l, wire::DecodeLogsRequest(bytes));
      r.items = l.LogRecordCount();
      r.batch = component::LogsBatch(std::move(l));
      break;
    }
  }
  return r;
}

}  // namespace

QueueStore::QueueStore(std::array<std::unique_ptr<component::StorageClient>, 3> clients,
                       std::shared_ptr<spdlog::logger> logger)
    : log_(std::move(logger)) {
  for (size_t i = 0; i < clients.size(); ++i) signals_[i].client = std::move(clients[i]);
}

QueueStore::~QueueStore() { Close(); }

std::string QueueStore::Metadata(const PerSignal& s) {
  std::string out;
  PutU64(&out, s.stored.empty() ? s.next : *s.stored.begin());
  PutU64(&out, s.next);
  return out;
}

Result<std::vector<ExportRequest>> QueueStore::Recover() {
  std::vector<ExportRequest> out;
  for (Signal s : {Signal::kMetrics, Signal::kTraces, Signal::kLogs}) {
    RETURN_IF_ERROR(RecoverSignal(s, &out));
  }
  if (!out.empty()) {
    size_t items = 0;
    for (const ExportRequest& r : out) items += r.items;
    log_->info("Loaded {} requests ({} items) from the persistent sending queue", out.size(),
               items);
  }
  return out;
}

Status QueueStore::RecoverSignal(Signal signal, std::vector<ExportRequest>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  PerSignal& s = signals_[Index(signal)];
  const std::string_view name = component::SignalName(signal);
  ASSIGN_OR_RETURN(std::optional<std::string> meta, s.client->Get(kMetadataKey));
  if (!meta) return Status::Ok();  // a new queue
  if (meta->size() != 16) {
    log_->error("persistent queue ({}): metadata of {} bytes is not ours; starting empty", name,
                meta->size());
    return Status::Ok();
  }
  const uint64_t first = GetU64(std::string_view(*meta).substr(0, 8));
  const uint64_t next = GetU64(std::string_view(*meta).substr(8, 8));
  if (first > next || next - first > kMaxIndexSpan) {
    log_->error("persistent queue ({}): implausible indexes first={} next={}; starting empty", name,
                first, next);
    return Status::Ok();
  }
  s.next = next;
  for (uint64_t i = first; i < next; ++i) {
    ASSIGN_OR_RETURN(std::optional<std::string> bytes, s.client->Get(ItemKey(i)));
    if (!bytes) continue;  // finished out of order before the restart
    Result<ExportRequest> r = Decode(signal, *bytes);
    if (!r.ok()) {
      log_->warn("persistent queue ({}): dropping stored request {} that does not decode: {}", name,
                 i, r.status().ToString());
      if (Status d = s.client->Delete(ItemKey(i)); !d.ok()) {
        log_->error("persistent queue ({}): deleting request {}: {}", name, i, d.ToString());
      }
      continue;
    }
    r->stored = true;
    r->store_index = i;
    s.stored.insert(i);
    out->push_back(std::move(*r));
  }
  return Status::Ok();
}

std::string QueueStore::Encode(const ExportRequest& request) const {
  return std::visit(
      [](const auto& batch) -> std::string {
        using B = std::decay_t<decltype(batch)>;
        if constexpr (std::is_same_v<B, component::MetricsBatch>) {
          return wire::EncodeMetricsRequest(batch.get());
        } else if constexpr (std::is_same_v<B, component::TracesBatch>) {
          return wire::EncodeTracesRequest(batch.get());
        } else {
          return wire::EncodeLogsRequest(batch.get());
        }
      },
      request.batch);
}

Status QueueStore::Add(ExportRequest& request, std::string_view encoded) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return FailedPrecondition("the persistent queue is closed");
  PerSignal& s = signals_[Index(request.signal)];
  const uint64_t index = s.next;
  PerSignal after;  // the metadata as it will be once the batch is written
  after.next = index + 1;
  after.stored = {s.stored.empty() ? index : *s.stored.begin()};
  std::array<StorageOperation, 2> ops = {
      StorageOperation::Set(std::string(kMetadataKey), Metadata(after)),
      StorageOperation::Set(ItemKey(index), std::string(encoded))};
  RETURN_IF_ERROR(s.client->Batch(ops));
  s.next = index + 1;
  s.stored.insert(index);
  request.stored = true;
  request.store_index = index;
  return Status::Ok();
}

void QueueStore::Remove(const ExportRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_ || !request.stored) return;
  PerSignal& s = signals_[Index(request.signal)];
  s.stored.erase(request.store_index);
  std::array<StorageOperation, 2> ops = {
      StorageOperation::Delete(ItemKey(request.store_index)),
      StorageOperation::Set(std::string(kMetadataKey), Metadata(s))};
  if (Status st = s.client->Batch(ops); !st.ok()) {
    // The request stays on disk and is sent again after a restart (at-least-once).
    log_->error("persistent queue ({}): removing request {}: {}",
                component::SignalName(request.signal), request.store_index, st.ToString());
  }
}

void QueueStore::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) return;
  closed_ = true;
  for (PerSignal& s : signals_) {
    if (s.client) (void)s.client->Close();
  }
}

size_t QueueStore::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const PerSignal& s : signals_) n += s.stored.size();
  return n;
}

}  // namespace astrolabe::exporter::otlp_http
