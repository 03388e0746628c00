#include "exporter/otlp_http/otlp_http_exporter.h"

#include <algorithm>
#include <random>
#include <utility>
#include <variant>

#include "common/log.h"
#include "component/host.h"
#include "component/storage.h"
#include "exporter/otlp_http/retry.h"
#include "pdata/logs.h"
#include "pdata/metrics.h"
#include "pdata/traces.h"
#include "wire/gzip.h"
#include "wire/otlp_json.h"
#include "wire/otlp_proto.h"
#include "wire/snappy.h"
#include "wire/zstd.h"

namespace astrolabe::exporter::otlp_http {

using component::Signal;
using Steady = std::chrono::steady_clock;

namespace {

// Upstream reads at most 64 KiB of a response; we accept more from the client (so an
// oversized body does not turn a delivered request into an error) and look at a prefix.
constexpr size_t kMaxResponseBytes = size_t{4} << 20;
constexpr size_t kBodyExcerptBytes = 256;
constexpr auto kPartialWarningInterval = std::chrono::seconds(1);
constexpr auto kQueueFullLogInterval = std::chrono::seconds(10);

size_t SignalIndex(Signal s) { return static_cast<size_t>(s); }

// What upstream calls the dropped items in its partial-success warning.
std::string_view DroppedKey(Signal s) {
  switch (s) {
    case Signal::kMetrics:
      return "dropped_data_points";
    case Signal::kTraces:
      return "dropped_spans";
    case Signal::kLogs:
      return "dropped_log_records";
  }
  return "dropped_items";
}

bool IsProtobuf(std::string_view content_type) {
  return content_type.starts_with("application/x-protobuf");
}

bool IsJson(std::string_view content_type) { return content_type.starts_with("application/json"); }

// A printable prefix of an error body for logs: control bytes become spaces.
std::string Excerpt(std::string_view body) {
  std::string out(body.substr(0, kBodyExcerptBytes));
  for (char& c : out) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = ' ';
  }
  if (body.size() > kBodyExcerptBytes) out += "...";
  return out;
}

// Permanent errors keep a code that says what went wrong; none of them is retryable.
Status PermanentForHttpStatus(int code, std::string message) {
  switch (code) {
    case 401:
      return Unauthenticated(std::move(message));
    case 403:
      return PermissionDenied(std::move(message));
    case 404:
      return NotFound(std::move(message));
    default:
      if (code >= 400 && code < 500) return InvalidArgument(std::move(message));
      return Internal(std::move(message));
  }
}

bool IsRetryableHttpStatus(int code) {
  return code == 429 || code == 502 || code == 503 || code == 504;
}

}  // namespace

OtlpHttpExporter::OtlpHttpExporter(const component::CreateSettings& settings, const Config& config,
                                   OtlpHttpExporterOptions options)
    : id_(settings.id.ToString()),
      config_(config),
      telemetry_(settings.telemetry),
      log_(GetLogger("exporter/" + id_)),
      seed_(options.seed != 0 ? options.seed : std::random_device{}()) {
  // A persistent queue is created by Start, once its storage is open.
  if (config_.sending_queue.enabled && config_.sending_queue.storage.empty()) {
    SendingQueueOptions q;
    q.capacity = static_cast<size_t>(config_.sending_queue.queue_size);
    q.num_consumers = static_cast<int>(config_.sending_queue.num_consumers);
    q.block_on_overflow = config_.sending_queue.block_on_overflow;
    queue_ = std::make_unique<SendingQueue>(q);
  }
}

OtlpHttpExporter::~OtlpHttpExporter() { (void)Shutdown(component::Deadline()); }

Status OtlpHttpExporter::Start(component::Host& host) {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_ || shutting_down_) return Status::Ok();
  if (telemetry_ == nullptr) telemetry_ = &host.telemetry();
  component::Labels labels = {{"exporter", id_}};
  for (Signal s : {Signal::kMetrics, Signal::kTraces, Signal::kLogs}) {
    std::string signal(component::SignalName(s));
    auto ex = component::ExporterInstruments::Create(*telemetry_, id_, signal);
    Instruments& inst = inst_[SignalIndex(s)];
    inst.sent = ex.sent;
    inst.failed = ex.failed;
    inst.enqueue_failed = telemetry_->GetCounter(
        "otelcol_exporter_enqueue_failed_" + component::SignalItems(signal) + "_total",
        "Number of items that failed to be added to the sending queue.", labels);
  }

  net::HttpClientOptions http;
  http.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(config_.timeout);
  if (http.timeout.count() > 0) http.connect_timeout = std::min(http.connect_timeout, http.timeout);
  http.max_response_bytes = kMaxResponseBytes;
  http.decompress_responses = true;
  http.user_agent = net::DefaultUserAgent();
  http.proxy_url = config_.proxy_url;
  http.tls.ca_file = config_.tls.ca_file;
  http.tls.insecure_skip_verify = config_.tls.insecure_skip_verify;
  http.tls.cert_file = config_.tls.cert_file;
  http.tls.key_file = config_.tls.key_file;
  client_ = std::make_unique<net::HttpClient>(std::move(http));

  if (config_.sending_queue.enabled && !config_.sending_queue.storage.empty()) {
    if (Status s = OpenPersistentQueue(host); !s.ok()) {
      client_.reset();
      return s.Annotate("sending_queue");
    }
  }
  if (queue_) {
    // A request stays stored when shutdown interrupted it (kCancelled from Interrupted).
    queue_->Start([this](ExportRequest& request) {
      return Export(request).code() != StatusCode::kCancelled || store_ == nullptr;
    });
    SendingQueue* q = queue_.get();
    telemetry_->AddCallbackGauge("otelcol_exporter_queue_size",
                                 "Current size of the retry queue (in batches).", labels,
                                 [q] { return static_cast<double>(q->size()); });
    telemetry_->AddCallbackGauge("otelcol_exporter_queue_capacity",
                                 "Fixed capacity of the retry queue (in batches).", labels,
                                 [q] { return static_cast<double>(q->capacity()); });
    gauges_registered_ = true;
  }
  started_ = true;
  return Status::Ok();
}

Status OtlpHttpExporter::Shutdown(component::Deadline deadline) {
  bool was_started;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shut_down_ || shutting_down_) return Status::Ok();
    shutting_down_ = true;
    deadline_ = deadline;
    was_started = started_;
    wake_.notify_all();  // retry sleeps that would outlast the deadline give up now
  }

  // 1. Drain until the deadline. A persistent queue does not drain (as upstream): what is
  //    queued stays stored for the next start; requests being sent finish their current
  //    attempt (until the deadline) and are not retried.
  if (queue_ && store_) {
    queue_->Close();
    queue_->StopTaking();
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_retrying_ = true;
      wake_.notify_all();
    }
    (void)queue_->WaitHandlers(deadline);
  } else if (queue_) {
    queue_->Close();
    if (was_started) (void)queue_->WaitIdle(deadline);
  } else {
    std::unique_lock<std::mutex> lock(mu_);
    wake_.wait_until(lock, deadline, [&] { return sync_in_flight_ == 0; });
  }

  // 2. Cut short what is still running: sleeps end, transfers are cancelled.
  {
    std::lock_guard<std::mutex> lock(mu_);
    aborted_ = true;
    wake_.notify_all();
  }
  if (client_) client_->Shutdown();

  // 3. Join the workers and drop what was never sent (a persistent queue keeps it).
  if (queue_) {
    std::vector<ExportRequest> left = queue_->Stop();
    if (!left.empty() && store_) {
      log_->info("{} requests stay in the persistent sending queue for the next start",
                 left.size());
    } else if (!left.empty()) {
      size_t items = 0;
      for (const ExportRequest& r : left) {
        items += r.items;
        if (Inst(r.signal).failed) Inst(r.signal).failed->Add(static_cast<double>(r.items));
      }
      log_->error(
          "Exporting failed. Dropping data. error=\"exporter shut down with {} requests "
          "still queued\" dropped_items={}",
          left.size(), items);
    }
  }
  if (store_) store_->Close();
  {
    std::unique_lock<std::mutex> lock(mu_);
    wake_.wait(lock, [&] { return sync_in_flight_ == 0; });
    if (gauges_registered_ && telemetry_ != nullptr) {
      telemetry_->RemoveCallbacks({{"exporter", id_}});
      gauges_registered_ = false;
    }
    shut_down_ = true;
  }
  return Status::Ok();
}

const OtlpHttpExporter::Instruments& OtlpHttpExporter::Inst(Signal s) const {
  return inst_[SignalIndex(s)];
}

Status OtlpHttpExporter::ConsumeMetrics(component::MetricsBatch batch) {
  size_t items = batch->DataPointCount();
  return Consume(ExportRequest{Signal::kMetrics, std::move(batch), items});
}

Status OtlpHttpExporter::ConsumeTraces(component::TracesBatch batch) {
  size_t items = batch->SpanCount();
  return Consume(ExportRequest{Signal::kTraces, std::move(batch), items});
}

Status OtlpHttpExporter::ConsumeLogs(component::LogsBatch batch) {
  size_t items = batch->LogRecordCount();
  return Consume(ExportRequest{Signal::kLogs, std::move(batch), items});
}

size_t OtlpHttpExporter::queue_size() const { return queue_ ? queue_->size() : 0; }

Status OtlpHttpExporter::Consume(ExportRequest request) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!started_ || shutting_down_) {
      return Unavailable("otlp_http exporter " + id_ + " is not running");
    }
    if (!queue_) ++sync_in_flight_;
  }
  if (queue_) {
    const Signal signal = request.signal;
    const size_t items = request.items;
    Status s = queue_->Offer(std::move(request));
    if (s.code() == StatusCode::kResourceExhausted) {
      if (Inst(signal).enqueue_failed) {
        Inst(signal).enqueue_failed->Add(static_cast<double>(items));
      }
      LogQueueFull(items);
    }
    return s;
  }
  Status s = Export(request);
  std::lock_guard<std::mutex> lock(mu_);
  --sync_in_flight_;
  wake_.notify_all();
  return s;
}

namespace {

// Encodes the request body in the configured encoding and compression.
Result<std::string> EncodeBody(const ExportRequest& request, const Config& config) {
  const bool json = config.encoding == "json";
  std::string raw = std::visit(
      [json](const auto& batch) -> std::string {
        using B = std::decay_t<decltype(batch)>;
        if constexpr (std::is_same_v<B, component::MetricsBatch>) {
          return json ? wire::EncodeMetricsJson(batch.get())
                      : wire::EncodeMetricsRequest(batch.get());
        } else if constexpr (std::is_same_v<B, component::TracesBatch>) {
          return json ? wire::EncodeTracesJson(batch.get())
                      : wire::EncodeTracesRequest(batch.get());
        } else {
          return json ? wire::EncodeLogsJson(batch.get()) : wire::EncodeLogsRequest(batch.get());
        }
      },
      request.batch);
  const std::string& c = config.compression;
  std::string out;
  if (c == "gzip") {
    RETURN_IF_ERROR(wire::GzipCompress(raw, &out));
  } else if (c == "zstd") {
    RETURN_IF_ERROR(wire::ZstdCompress(raw, &out));
  } else if (c == "zlib" || c == "deflate") {
    RETURN_IF_ERROR(wire::ZlibCompress(raw, &out));  // both are Go's compress/zlib upstream
  } else if (c == "snappy") {
    wire::SnappyCompress(raw, &out);  // block format, as upstream since confighttp.framedSnappy
  } else if (c == "x-snappy-framed") {
    wire::SnappyFramedCompress(raw, &out);
  } else {
    return raw;  // "" or "none"; Validate() refused the rest
  }
  return out;
}

}  // namespace

Status OtlpHttpExporter::Export(ExportRequest& request) {
  const Signal signal = request.signal;
  const std::string url = SignalUrl(config_, signal);
  if (url.empty()) {
    Status s = InvalidArgument("either endpoint or " + std::string(component::SignalName(signal)) +
                               "_endpoint must be specified");
    CountFailed(request, s);
    return s;
  }
  Result<std::string> body = EncodeBody(request, config_);
  if (!body.ok()) {
    Status s = Internal(body.status().Annotate("compressing request").message());
    CountFailed(request, s);
    return s;
  }

  const RetryConfig& retry = config_.retry_on_failure;
  Backoff backoff(retry, seed_.fetch_add(1, std::memory_order_relaxed));
  const Steady::time_point first = Steady::now();
  for (;;) {
    Attempt attempt = SendOnce(url, *body, signal);
    if (attempt.status.ok()) {
      if (Inst(signal).sent) Inst(signal).sent->Add(static_cast<double>(request.items));
      return Status::Ok();
    }
    Status err = attempt.status;
    // A transfer shutdown cancelled, or a retryable failure while shutdown aborts, did not
    // decide the request's fate.
    if (Aborted() && (err.IsRetryable() || err.code() == StatusCode::kCancelled)) {
      return Interrupted(request, err);
    }
    if (!err.IsRetryable() || !retry.enabled) {
      CountFailed(request, err);
      return err;
    }
    std::optional<Duration> next = backoff.Next(Steady::now() - first);
    if (!next) {
      err = err.Annotate("no more retries left");
      CountFailed(request, err);
      return err;
    }
    if (RetryStopped()) return Interrupted(request, err.Annotate("exporter is shutting down"));
    Duration delay = std::max(*next, attempt.throttle.value_or(Duration(0)));
    if (auto dl = ShutdownDeadline(); dl && Steady::now() + delay > *dl) {
      return Interrupted(request, err.Annotate("request will be cancelled before next retry"));
    }
    log_->info(
        "Exporting failed. Will retry the request after interval. error=\"{}\" interval={}ms",
        err.message(), std::chrono::duration_cast<std::chrono::milliseconds>(delay).count());
    if (!Sleep(delay)) {
      return Interrupted(request, err.Annotate("request will be cancelled before next retry"));
    }
  }
}

OtlpHttpExporter::Attempt OtlpHttpExporter::SendOnce(const std::string& url,
                                                     const std::string& body, Signal signal) {
  net::HttpRequest req;
  req.method = "POST";
  req.url = url;
  req.body = body;
  req.headers.Set("Content-Type",
                  config_.encoding == "json" ? "application/json" : "application/x-protobuf");
  if (!config_.compression.empty() && config_.compression != "none") {
    req.headers.Set("Content-Encoding", config_.compression);
  }
  // Configured headers win over ours, as upstream's header round tripper sets them last.
  for (const auto& [name, value] : config_.headers) req.headers.Set(name, value);
  if (auto dl = ShutdownDeadline()) {
    // Draining: no request may outlive the deadline (at least 1 ms: 0 means "default").
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*dl - Steady::now());
    left = std::max(left, std::chrono::milliseconds(1));
    auto configured = std::chrono::duration_cast<std::chrono::milliseconds>(config_.timeout);
    req.timeout = configured.count() > 0 ? std::min(left, configured) : left;
  }
  return Interpret(url, client_->Send(std::move(req)).get(), signal);
}

OtlpHttpExporter::Attempt OtlpHttpExporter::Interpret(const std::string& url,
                                                      Result<net::HttpResponse> response,
                                                      Signal signal) {
  if (!response.ok()) {
    const Status& s = response.status();
    // Connection failures and timeouts may succeed later; anything else from the client
    // (a cancelled transfer, a malformed URL, an oversized response) will not.
    if (s.code() == StatusCode::kUnavailable || s.code() == StatusCode::kDeadlineExceeded) {
      return {s, std::nullopt};
    }
    if (s.IsRetryable()) return {Internal(s.message()), std::nullopt};
    return {s, std::nullopt};
  }
  const net::HttpResponse& r = *response;
  const std::string_view content_type = r.headers.Get("Content-Type").value_or("");
  if (r.status >= 200 && r.status < 300) {
    // Upstream parses the body as the response message when it is protobuf or JSON,
    // whichever encoding it sent, and ignores other content types.
    const bool proto = IsProtobuf(content_type);
    if (proto || IsJson(content_type)) {
      Result<wire::ExportResponse> parsed =
          proto ? wire::DecodeExportResponse(r.body) : wire::DecodeExportResponseJson(r.body);
      if (!parsed.ok()) {
        return {Internal("failed to parse export response from " + url + ": " +
                         parsed.status().message()),
                std::nullopt};
      }
      if (parsed->partial_success && (parsed->partial_success->rejected != 0 ||
                                      !parsed->partial_success->error_message.empty())) {
        WarnPartialSuccess(signal, parsed->partial_success->rejected,
                           parsed->partial_success->error_message);
      }
    }
    return {Status::Ok(), std::nullopt};
  }

  std::string message = "error exporting items, request to " + url +
                        " responded with HTTP Status Code " + std::to_string(r.status);
  if (IsProtobuf(content_type)) {
    if (Result<wire::RpcStatus> st = wire::DecodeRpcStatus(r.body); st.ok()) {
      message += ", Message=" + st->message;
      if (!st->details.empty()) message += ", Details=" + std::to_string(st->details.size());
    }
  } else {
    // A JSON body is read as google.rpc.Status; one that is not (another object, or no
    // message) is shown as it is, like any other body.
    std::optional<wire::RpcStatus> st;
    if (IsJson(content_type)) {
      Result<wire::RpcStatus> parsed = wire::DecodeRpcStatusJson(r.body);
      if (parsed.ok() && !parsed->message.empty()) st = std::move(*parsed);
    }
    if (st) {
      message += ", Message=" + st->message;
      if (!st->details.empty()) message += ", Details=" + std::to_string(st->details.size());
    } else if (!r.body.empty()) {
      message += ", Body=" + Excerpt(r.body);
    }
  }
  if (!IsRetryableHttpStatus(r.status)) return {PermanentForHttpStatus(r.status, message), {}};
  Attempt out{Unavailable(message), std::nullopt};
  if (r.status == 429 || r.status == 503) {
    if (auto value = r.headers.Get("Retry-After")) {
      out.throttle = ParseRetryAfter(*value, Clock::Real().NowUnixNanos());
    }
  }
  return out;
}

bool OtlpHttpExporter::Sleep(Duration delay) {
  const Steady::time_point end = Steady::now() + delay;
  std::unique_lock<std::mutex> lock(mu_);
  // Wakes early (false) on abort, or as soon as shutdown begins with a deadline before
  // the end of this sleep.
  bool interrupted = wake_.wait_until(
      lock, end, [&] { return aborted_ || stop_retrying_ || (shutting_down_ && deadline_ < end); });
  return !interrupted;
}

std::optional<component::Deadline> OtlpHttpExporter::ShutdownDeadline() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!shutting_down_) return std::nullopt;
  return deadline_;
}

bool OtlpHttpExporter::RetryStopped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stop_retrying_;
}

bool OtlpHttpExporter::Aborted() const {
  std::lock_guard<std::mutex> lock(mu_);
  return aborted_;
}

void OtlpHttpExporter::CountFailed(const ExportRequest& request, const Status& status) {
  if (Inst(request.signal).failed) {
    Inst(request.signal).failed->Add(static_cast<double>(request.items));
  }
  log_->error("Exporting failed. Dropping data. error=\"{}\" dropped_items={}", status.message(),
              request.items);
}

Status OtlpHttpExporter::OpenPersistentQueue(component::Host& host) {
  ASSIGN_OR_RETURN(config::ComponentId storage_id,
                   config::ComponentId::Parse(config_.sending_queue.storage));
  ASSIGN_OR_RETURN(component::StorageExtension * ext,
                   component::FindStorageExtension(host, storage_id));
  ASSIGN_OR_RETURN(config::ComponentId own_id, config::ComponentId::Parse(id_));
  std::array<std::unique_ptr<component::StorageClient>, 3> clients;
  for (Signal s : {Signal::kMetrics, Signal::kTraces, Signal::kLogs}) {
    Result<std::unique_ptr<component::StorageClient>> client =
        ext->GetClient(component::Kind::kExporter, own_id, component::SignalName(s));
    if (!client.ok()) return client.status();
    clients[SignalIndex(s)] = std::move(*client);
  }
  auto store = std::make_unique<QueueStore>(std::move(clients), log_);
  ASSIGN_OR_RETURN(std::vector<ExportRequest> recovered, store->Recover());
  SendingQueueOptions q;
  q.capacity = static_cast<size_t>(config_.sending_queue.queue_size);
  q.num_consumers = static_cast<int>(config_.sending_queue.num_consumers);
  q.block_on_overflow = config_.sending_queue.block_on_overflow;
  q.store = store.get();
  auto queue = std::make_unique<SendingQueue>(q);
  queue->Restore(std::move(recovered));
  store_ = std::move(store);
  queue_ = std::move(queue);
  return Status::Ok();
}

Status OtlpHttpExporter::Interrupted(const ExportRequest& request, Status status) {
  if (store_ && request.stored) {
    log_->info(
        "Export interrupted by shutdown; the request stays in the persistent queue. "
        "error=\"{}\" items={}",
        status.message(), request.items);
    return Cancelled(status.message());
  }
  CountFailed(request, status);
  return status;
}

void OtlpHttpExporter::LogQueueFull(size_t items) {
  const int64_t now = Steady::now().time_since_epoch().count();
  uint64_t suppressed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t interval = std::chrono::duration_cast<Duration>(kQueueFullLogInterval).count();
    if (last_full_log_ != 0 && now - last_full_log_ < interval) {
      ++full_since_log_;
      return;
    }
    last_full_log_ = now;
    suppressed = full_since_log_;
    full_since_log_ = 0;
  }
  log_->error(
      "Exporting failed. Rejecting data. error=\"sending queue is full\" rejected_items={} "
      "queue_size={} ({} more rejections since the last message)",
      items, config_.sending_queue.queue_size, suppressed);
}

void OtlpHttpExporter::WarnPartialSuccess(Signal signal, int64_t rejected,
                                          const std::string& message) {
  const int64_t now = Steady::now().time_since_epoch().count();
  {
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t interval = std::chrono::duration_cast<Duration>(kPartialWarningInterval).count();
    if (last_partial_warning_ != 0 && now - last_partial_warning_ < interval) return;
    last_partial_warning_ = now;
  }
  log_->warn("Partial success response message=\"{}\" {}={}", message, DroppedKey(signal),
             rejected);
}

}  // namespace astrolabe::exporter::otlp_http
