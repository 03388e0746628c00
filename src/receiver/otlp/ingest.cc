#include "receiver/otlp/ingest.h"

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "component/partial.h"
#include "pdata/batch.h"
#include "pdata/logs.h"
#include "pdata/metrics.h"
#include "pdata/recycler.h"
#include "pdata/spares.h"
#include "pdata/traces.h"
#include "wire/otlp_json.h"
#include "wire/otlp_proto.h"

namespace astrolabe::receiver::otlp {

using component::Signal;

// Decoded protobuf trace requests, kept for reuse. Take() hands out an entry whose Traces is
// empty and whose spares (Traces::spares, which the processors take from too) hold the
// cleared objects of the request it carried before; the entry comes back (pdata::Recycler)
// when every consumer (and any queue) has let go of the shared Traces, on whatever thread
// that is. At most kMaxEntries are kept, and none that carried a body over kMaxBodyBytes, so
// the pool holds a few ordinary requests' worth of memory and nothing while idle before the
// first. Thread-safe.
class TracesPool {
 public:
  static constexpr size_t kMaxEntries = 4;
  static constexpr size_t kMaxBodyBytes = 4 << 20;

  struct Entry {
    pdata::Traces traces;
  };

  // An entry to decode into, its Traces empty and its spares set.
  std::unique_ptr<Entry> Take() {
    std::unique_ptr<Entry> e = recycler_.Take();
    // (A consumer may have moved the Traces out, spares and all.)
    if (e->traces.spares == nullptr) e->traces.spares = std::make_unique<pdata::TracesSpares>();
    e->traces.spares->Harvest(e->traces);
    return e;
  }

  // The entry's Traces, shared; the entry returns to this pool when the last reference is
  // dropped, unless it carried a large body (then it is freed).
  std::shared_ptr<pdata::Traces> Share(std::unique_ptr<Entry> e, size_t body_bytes) {
    std::shared_ptr<Entry> owner =
        body_bytes > kMaxBodyBytes ? std::shared_ptr<Entry>(std::move(e))
                                   : recycler_.Share(std::move(e));
    return std::shared_ptr<pdata::Traces>(owner, &owner->traces);
  }

 private:
  pdata::Recycler<Entry> recycler_{kMaxEntries};
};

namespace {

// A protobuf trace request decoded into a pooled entry: the part of Result<pdata::Traces>
// that Ingest::Export's steps use.
class PooledTraces {
 public:
  PooledTraces(TracesPool& pool, std::string_view body) {
    std::unique_ptr<TracesPool::Entry> e = pool.Take();
    status_ = wire::DecodeTracesRequest(body, &e->traces, e->traces.spares.get());
    data_ = pool.Share(std::move(e), body.size());
  }
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  pdata::Traces& operator*() { return *data_; }
  pdata::Traces* operator->() { return data_.get(); }
  std::shared_ptr<pdata::Traces> Release() { return std::move(data_); }

 private:
  Status status_;
  std::shared_ptr<pdata::Traces> data_;
};

Result<pdata::Metrics> DecodeMetrics(Encoding e, std::string_view body) {
  return e == Encoding::kProto ? wire::DecodeMetricsRequest(body) : wire::DecodeMetricsJson(body);
}
Result<pdata::Traces> DecodeTraces(Encoding e, std::string_view body) {
  return e == Encoding::kProto ? wire::DecodeTracesRequest(body) : wire::DecodeTracesJson(body);
}
Result<pdata::Logs> DecodeLogs(Encoding e, std::string_view body) {
  return e == Encoding::kProto ? wire::DecodeLogsRequest(body) : wire::DecodeLogsJson(body);
}

size_t CountItems(const pdata::Metrics& m) { return m.DataPointCount(); }

std::string_view ItemNoun(Signal s) {
  switch (s) {
    case Signal::kMetrics: return "data points";
    case Signal::kTraces: return "spans";
    case Signal::kLogs: return "log records";
  }
  return "items";
}
size_t CountItems(const pdata::Traces& t) { return t.SpanCount(); }
size_t CountItems(const pdata::Logs& l) { return l.LogRecordCount(); }

Status Consume(component::Consumer& next, pdata::Metrics data) {
  return next.ConsumeMetrics(pdata::MetricsBatch(std::move(data)));
}
Status Consume(component::Consumer& next, pdata::Traces data) {
  return next.ConsumeTraces(pdata::TracesBatch(std::move(data)));
}
Status Consume(component::Consumer& next, pdata::Logs data) {
  return next.ConsumeLogs(pdata::LogsBatch(std::move(data)));
}
template <typename T>
Status Consume(component::Consumer& next, Result<T>& decoded) {
  return Consume(next, std::move(*decoded));
}
Status Consume(component::Consumer& next, PooledTraces& decoded) {
  return next.ConsumeTraces(pdata::TracesBatch(decoded.Release()));
}

}  // namespace

Ingest::Ingest(const component::CreateSettings& settings, component::ReceiverConsumers next,
               const std::string& transport, Limits limits)
    : settings_(settings),
      transport_(transport),
      limits_(limits),
      next_(next),
      traces_pool_(std::make_unique<TracesPool>()) {
  const std::string id = settings.id.ToString();
  auto make = [&](const std::string& signal) {
    Instruments i;
    i.counters = component::ReceiverInstruments::Create(*settings.telemetry, id, signal, transport);
    i.bad_requests = settings.telemetry->GetCounter(
        "astrolabe_receiver_otlp_bad_requests_total",
        "OTLP requests refused before reaching the pipeline: undecodable, too large, wrong "
        "content type or encoding.",
        {{"receiver", id}, {"transport", transport}, {"signal", signal}});
    return i;
  };
  metrics_ = make("metrics");
  traces_ = make("traces");
  logs_ = make("logs");
}

Ingest::~Ingest() = default;

Ingest::Instruments& Ingest::instruments(Signal signal) {
  switch (signal) {
    case Signal::kMetrics: return metrics_;
    case Signal::kTraces: return traces_;
    case Signal::kLogs: return logs_;
  }
  return metrics_;
}

void Ingest::CountRefused(Signal signal, const std::string& reason, uint64_t items) {
  if (items == 0) return;
  settings_.telemetry
      ->GetCounter("astrolabe_receiver_refused_items_total",
                   "Items (data points, spans, log records) a receiver refused for a limit, by "
                   "limit.",
                   {{"receiver", settings_.id.ToString()},
                    {"transport", transport_},
                    {"signal", std::string(component::SignalName(signal))},
                    {"reason", reason}})
      ->Add(double(items));
}

bool Ingest::HasConsumer(Signal signal) const {
  switch (signal) {
    case Signal::kMetrics: return next_.metrics != nullptr;
    case Signal::kTraces: return next_.traces != nullptr;
    case Signal::kLogs: return next_.logs != nullptr;
  }
  return false;
}

Status Ingest::Export(Signal signal, Encoding encoding, std::string_view body, size_t* items) {
  if (items) *items = 0;
  Instruments& counters = instruments(signal);
  if (!HasConsumer(signal)) {
    counters.bad_requests->Add();
    return Unimplemented("the otlp receiver is in no " + std::string(component::SignalName(signal)) +
                         " pipeline");
  }
  auto run = [&](auto decoded, component::Consumer& next) -> Status {
    if (!decoded.ok()) {
      counters.bad_requests->Add();
      return decoded.status();
    }
    const size_t n = CountItems(*decoded);
    if (items) *items = n;
    if (decoded->empty()) return Status::Ok();
    const std::string noun(ItemNoun(signal));
    if (limits_.max_items_per_request > 0 && n > uint64_t(limits_.max_items_per_request)) {
      counters.counters.refused->Add(double(n));
      CountRefused(signal, "items_per_request", n);
      return ResourceExhausted(std::to_string(n) + " " + noun +
                               " in one request, more than limits::max_items_per_request (" +
                               std::to_string(limits_.max_items_per_request) +
                               "); send smaller batches");
    }
    // No value is longer than the decoded request that holds it (protobuf carries string and
    // bytes values verbatim; JSON's escapes and base64 only shorten them), so a request no
    // longer than max_attribute_value_length needs no scan of its values.
    Limits limits = limits_;
    if (body.size() <= limits.max_attribute_value_length) limits.max_attribute_value_length = 0;
    const Dropped dropped = EnforceAttributeLimits(*decoded, limits);
    if (dropped.items > 0) {
      counters.counters.refused->Add(double(dropped.items));
      CountRefused(signal, "attributes_per_item", dropped.by_count);
      CountRefused(signal, "attribute_value_length", dropped.by_length);
    }
    const std::string limit_reason = "limits::max_" + dropped.limit + ": " + dropped.reason;
    if (dropped.items >= n) return InvalidArgument("every item refused: " + limit_reason);
    const size_t kept = n - dropped.items;
    Status status = Consume(next, decoded);
    if (status.ok()) {
      counters.counters.accepted->Add(double(kept));
      if (dropped.items == 0) return status;
      return component::PartialRejection(dropped.items, n, limit_reason, noun);
    }
    auto partial = component::RejectedPoints(status);
    if (partial && partial->rejected >= partial->total) partial.reset();  // refused whole
    if (partial) {
      // Consumers that kept part (the store refusing new series over its max_series).
      counters.counters.accepted->Add(double(kept - std::min<uint64_t>(kept, partial->rejected)));
      counters.counters.refused->Add(double(partial->rejected));
      if (partial->reason.find("max_series") != std::string::npos) {
        CountRefused(signal, "active_series", partial->rejected);
      }
      return component::PartialRejection(
          std::min<uint64_t>(n, partial->rejected + dropped.items), n,
          dropped.items > 0 ? limit_reason + "; " + partial->reason : partial->reason, noun);
    }
    counters.counters.refused->Add(double(kept));
    // As upstream (core receiver/otlpreceiver, internal/errors): a pipeline error the
    // sender may retry (memory_limiter's refusal, a full queue) is UNAVAILABLE / 503; any
    // other is permanent, INVALID_ARGUMENT / 400.
    return status.IsRetryable() ? Unavailable(status.message()) : InvalidArgument(status.message());
  };
  switch (signal) {
    case Signal::kMetrics: return run(DecodeMetrics(encoding, body), *next_.metrics);
    case Signal::kTraces:
      if (encoding == Encoding::kProto) return run(PooledTraces(*traces_pool_, body), *next_.traces);
      return run(DecodeTraces(encoding, body), *next_.traces);
    case Signal::kLogs: return run(DecodeLogs(encoding, body), *next_.logs);
  }
  return Internal("unknown signal");
}

int32_t GrpcCode(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return 0;
    case StatusCode::kCancelled: return 1;
    case StatusCode::kInvalidArgument: return 3;
    case StatusCode::kDeadlineExceeded: return 4;
    case StatusCode::kNotFound: return 5;
    case StatusCode::kAlreadyExists: return 6;
    case StatusCode::kPermissionDenied: return 7;
    case StatusCode::kResourceExhausted: return 8;
    case StatusCode::kFailedPrecondition: return 9;
    case StatusCode::kOutOfRange: return 11;
    case StatusCode::kUnimplemented: return 12;
    case StatusCode::kInternal: return 13;
    case StatusCode::kUnavailable: return 14;
    case StatusCode::kDataLoss: return 15;
    case StatusCode::kUnauthenticated: return 16;
  }
  return 2;  // UNKNOWN
}

// Upstream's GetHTTPStatusCodeFromStatus (core internal/errors): retryable gRPC codes
// become 503, RESOURCE_EXHAUSTED 429, the rest 4xx/500.
int HttpStatus(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return 200;
    case StatusCode::kCancelled:
    case StatusCode::kDeadlineExceeded:
    case StatusCode::kOutOfRange:
    case StatusCode::kUnavailable:
    case StatusCode::kDataLoss: return 503;
    case StatusCode::kResourceExhausted: return 429;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kUnauthenticated: return 401;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kUnimplemented: return 404;
    default: return 500;
  }
}

bool IsThrottled(const Status& status) {
  return status.code() == StatusCode::kUnavailable ||
         status.code() == StatusCode::kResourceExhausted;
}

}  // namespace astrolabe::receiver::otlp
