#include "receiver/prometheus_remote_write/receiver.h"

#include "common/strings.h"
#include "component/auth.h"
#include "component/partial.h"
#include "component/store.h"
#include "component/telemetry.h"
#include "net/http_server.h"
#include "net/http_server_config.h"
#include "net/shared_http_server.h"
#include "pdata/batch.h"
#include "pdata/metrics.h"
#include "receiver/prometheus_remote_write/direct_write.h"
#include "receiver/prometheus_remote_write/translate.h"
#include "wire/remote_write.h"
#include "wire/snappy.h"

namespace astrolabe::receiver::prometheus_remote_write {

namespace prw = wire::prw;

namespace {

constexpr std::string_view kProtoType = "application/x-protobuf";
constexpr std::string_view kProtoV1 = "prometheus.WriteRequest";
constexpr std::string_view kProtoV2 = "io.prometheus.write.v2.Request";

// The remote-write version a Content-Type names, or an error for 415. An absent header or
// one without proto= means 1.0 (1.0 senders need not send the parameter).
Result<prw::Version> ParseContentType(std::optional<std::string_view> header) {
  if (!header) return prw::Version::k1;
  std::string_view rest = *header;
  size_t semi = rest.find(';');
  std::string media = AsciiLower(TrimSpace(rest.substr(0, semi)));
  if (media != kProtoType) {
    return InvalidArgument("unsupported Content-Type \"" + std::string(*header) +
                           "\": expected application/x-protobuf");
  }
  while (semi != std::string_view::npos) {
    rest = rest.substr(semi + 1);
    semi = rest.find(';');
    std::string_view param = TrimSpace(rest.substr(0, semi));
    size_t eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    if (AsciiLower(TrimSpace(param.substr(0, eq))) != "proto") continue;
    std::string_view value = TrimSpace(param.substr(eq + 1));
    if (value == kProtoV1) return prw::Version::k1;
    if (value == kProtoV2) return prw::Version::k2;
    return InvalidArgument("unsupported proto \"" + std::string(value) +
                           "\" in Content-Type: "
                           "this receiver accepts " +
                           std::string(kProtoV1) + " and " + std::string(kProtoV2));
  }
  return prw::Version::k1;
}

}  // namespace

struct RemoteWriteReceiver::Instruments {
  component::ReceiverInstruments counters;
  component::Telemetry* telemetry = nullptr;
  std::string id;
  // astrolabe_receiver_prometheus_remote_write_bad_requests_total{receiver, reason}.
  void Bad(const std::string& reason) {
    telemetry
        ->GetCounter("astrolabe_receiver_prometheus_remote_write_bad_requests_total",
                     "Remote-write requests refused (wholly or in part) before the pipeline, "
                     "by reason.",
                     {{"receiver", id}, {"reason", reason}})
        ->Add();
  }
  // astrolabe_receiver_refused_items_total{receiver, transport, signal, reason}: samples and
  // histograms refused for a limit (the otlp receiver counts its items under the same name).
  void Refused(const std::string& reason, size_t items) {
    if (items == 0) return;
    telemetry
        ->GetCounter(
            "astrolabe_receiver_refused_items_total",
            "Items (data points, spans, log records) a receiver refused for a limit, "
            "by limit.",
            {{"receiver", id}, {"transport", "http"}, {"signal", "metrics"}, {"reason", reason}})
        ->Add(double(items));
  }
};

RemoteWriteReceiver::RemoteWriteReceiver(const component::CreateSettings& settings,
                                         const Config& config, component::ReceiverConsumers next)
    : settings_(settings),
      config_(config),
      next_(next),
      metadata_(std::make_unique<MetadataCache>()),
      instruments_(std::make_unique<Instruments>()) {
  if (!config_.store.empty()) {
    TranslateLimits limits;
    limits.max_labels_per_series = size_t(config_.max_labels_per_series);
    limits.max_label_name_length = size_t(config_.max_label_name_length);
    limits.max_label_value_length = size_t(config_.max_label_value_length);
    direct_ = std::make_unique<DirectWriter>(limits);
  }
  instruments_->id = settings_.id.ToString();
  instruments_->telemetry = settings_.telemetry;
  instruments_->counters = component::ReceiverInstruments::Create(
      *settings_.telemetry, instruments_->id, "metrics", "http");
}

RemoteWriteReceiver::~RemoteWriteReceiver() { (void)Shutdown(std::chrono::steady_clock::now()); }

Status RemoteWriteReceiver::Start(component::Host& host) {
  if (config_.http.auth) {
    auto found = component::FindAuthenticator(host, config_.http.auth->authenticator);
    if (!found.ok()) return found.status().Annotate(settings_.id.ToString() + "::auth");
    auth_ = *found;
  }
  if (direct_) {
    auto store = component::FindStoreExtension(host, config_.StoreId());
    if (!store.ok()) return store.status().Annotate(settings_.id.ToString() + "::store");
    storage_.store(&(*store)->metrics());
  }
  const std::string owner = "receiver/" + settings_.id.ToString();
  std::vector<net::SharedRoute> routes;
  routes.push_back(
      {"POST", std::string(kWritePath),
       [this](net::ServerRequest& req, net::ServerResponse& resp) { Serve(req, resp); }});
  if (config_.http.cors) {
    routes.push_back({"OPTIONS", std::string(kWritePath),
                      [this](net::ServerRequest& req, net::ServerResponse& resp) {
                        net::ServePreflight(*config_.http.cors, req, resp);
                      }});
  }
  auto lease =
      net::ListenShared(net::ToServerOptions(config_.http, owner), owner, std::move(routes));
  if (!lease.ok()) return lease.status().Annotate(settings_.id.ToString());
  http_ = std::move(*lease);
  return Status::Ok();
}

Status RemoteWriteReceiver::Shutdown(component::Deadline deadline) {
  if (http_) {
    http_->Release(deadline);
    http_.reset();
  }
  storage_.store(nullptr);
  return Status::Ok();
}

std::string RemoteWriteReceiver::address() const { return http_ ? http_->address() : ""; }

void RemoteWriteReceiver::Serve(net::ServerRequest& request, net::ServerResponse& response) {
  net::ApplyResponseHeaders(config_.http, request, response);
  if (auth_ != nullptr) {
    const auto fields = request.header_fields();
    Status allowed = auth_->Authenticate(fields, component::kScopeMetricsIngest);
    if (!allowed.ok()) {
      response.Set(component::AuthHttpStatus(allowed), "application/json",
                   component::AuthErrorJson(allowed));
      if (allowed.code() == StatusCode::kUnauthenticated) {
        response.headers.Set("WWW-Authenticate", "Api-Token realm=\"astrolabe\"");
      }
      return;
    }
  }
  Instruments& inst = *instruments_;
  auto fail = [&](int status, const std::string& reason, std::string message) {
    inst.Bad(reason);
    message += '\n';
    response.Set(status, "text/plain; charset=utf-8", std::move(message));
  };

  if (next_.metrics == nullptr && !direct_) {
    return fail(404, "no_pipeline",
                "the prometheus_remote_write receiver is in no metrics pipeline");
  }
  auto version = ParseContentType(request.header("Content-Type"));
  if (!version.ok()) return fail(415, "content_type", version.status().message());
  if (auto v = request.header("X-Prometheus-Remote-Write-Version")) {
    std::string_view major = TrimSpace(*v);
    major = major.substr(0, major.find('.'));
    if (major != "0" && major != "1" && major != "2") {
      return fail(415, "version",
                  "unsupported X-Prometheus-Remote-Write-Version \"" + std::string(*v) +
                      "\": this receiver speaks 0.1.0 (1.0) and 2.0.0");
    }
  }
  if (auto enc = request.header("Content-Encoding")) {
    std::string e = AsciiLower(TrimSpace(*enc));
    if (!e.empty() && e != "snappy") {
      return fail(
          415, "content_encoding",
          "unsupported Content-Encoding \"" + std::string(*enc) + "\": only snappy is acceptable");
    }
  }
  const bool v2 = *version == prw::Version::k2;
  auto written = [&](size_t samples, size_t histograms, size_t exemplars) {
    if (!v2) return;
    response.headers.Set("X-Prometheus-Remote-Write-Samples-Written", std::to_string(samples));
    response.headers.Set("X-Prometheus-Remote-Write-Histograms-Written",
                         std::to_string(histograms));
    response.headers.Set("X-Prometheus-Remote-Write-Exemplars-Written", std::to_string(exemplars));
  };
  written(0, 0, 0);

  auto body = wire::SnappyDecompress(request.body(), config_.http.max_request_body_size);
  if (!body.ok()) {
    if (body.status().code() == StatusCode::kResourceExhausted) {
      return fail(413, "too_large",
                  "decompressed body exceeds max_request_body_size (" +
                      std::to_string(config_.http.max_request_body_size) + " bytes)");
    }
    return fail(400, "snappy", "snappy: " + body.status().message());
  }
  auto decoded = prw::Decode(*version, *body);
  if (!decoded.ok()) {
    return fail(400, "protobuf",
                std::string(v2 ? kProtoV2 : kProtoV1) + ": " + decoded.status().message());
  }
  const prw::WriteRequest& req = *decoded;
  if (config_.max_series_per_request > 0 &&
      req.timeseries.size() > uint64_t(config_.max_series_per_request)) {
    size_t items = 0;
    for (const auto& ts : req.timeseries) items += ts.samples.size() + ts.histograms.size();
    inst.Refused("series_per_request", items);
    return fail(400, "too_many_series",
                std::to_string(req.timeseries.size()) +
                    " series in one request, more than max_series_per_request (" +
                    std::to_string(config_.max_series_per_request) + ")");
  }
  if (direct_) return ServeDirect(req, v2, response);
  metadata_->Learn(req);
  TranslateLimits limits;
  limits.max_labels_per_series = size_t(config_.max_labels_per_series);
  limits.max_label_name_length = size_t(config_.max_label_name_length);
  limits.max_label_value_length = size_t(config_.max_label_value_length);
  TranslateResult result = Translate(req, metadata_.get(), limits);
  const size_t points = result.samples + result.histograms;
  for (const auto& [limit, items] : result.limited) inst.Refused(limit, items);

  if (!result.metrics.empty()) {
    Status status = next_.metrics->ConsumeMetrics(pdata::MetricsBatch(std::move(result.metrics)));
    (status.ok() ? inst.counters.accepted : inst.counters.refused)->Add(double(points));
    if (!status.ok()) {
      written(0, 0, 0);
      inst.Bad(status.IsRetryable() ? "pipeline_retryable" : "pipeline_permanent");
      // The store over its max_series keeps the samples of known series and refuses new
      // ones (component/partial.h); permanent, so 400: a sender must not resend the batch.
      if (auto partial = component::RejectedPoints(status);
          partial && partial->reason.find("max_series") != std::string::npos) {
        inst.Refused("active_series", partial->rejected);
      }
      if (status.IsRetryable()) {
        response.headers.Set("Retry-After", "1");
        response.Set(503, "text/plain; charset=utf-8",
                     "the pipeline refused the data, retry later: " + status.message() + "\n");
      } else {
        response.Set(400, "text/plain; charset=utf-8",
                     "the pipeline refused the data: " + status.message() + "\n");
      }
      return;
    }
  }
  written(result.samples, result.histograms, result.exemplars);
  if (result.invalid > 0) {
    return fail(400, "invalid_series",
                std::to_string(result.invalid) + " invalid series not written (the other " +
                    std::to_string(req.timeseries.size() - result.invalid) +
                    " were); first: " + result.first_error);
  }
  response.status = 204;
}

void RemoteWriteReceiver::ServeDirect(const wire::prw::WriteRequest& req, bool v2,
                                      net::ServerResponse& response) {
  Instruments& inst = *instruments_;
  auto text = [&](int status, const std::string& reason, std::string message) {
    inst.Bad(reason);
    response.Set(status, "text/plain; charset=utf-8", std::move(message) + "\n");
  };
  storage::Storage* storage = storage_.load();
  if (storage == nullptr) {
    response.headers.Set("Retry-After", "1");
    return text(503, "store_unavailable", "the metrics store is not running, retry later");
  }
  DirectResult result;
  Status status = direct_->Write(*storage, req, &result);
  const size_t points = req.SampleCount() + req.HistogramCount();
  if (!status.ok()) {
    inst.counters.refused->Add(double(points));
    response.headers.Set("Retry-After", "1");
    return text(503, "store_unavailable",
                "the metrics store refused the data, retry later: " + status.message());
  }
  const size_t written = result.samples + result.histograms;
  for (const auto& [limit, items] : result.limited) inst.Refused(limit, items);
  // As on the pipeline path: the store over its max_series refuses new series.
  if (result.rejected > 0 && result.first_rejection.find("max_series") != std::string::npos) {
    inst.Refused("active_series", result.rejected);
  }
  inst.counters.accepted->Add(double(written));
  if (points > written) inst.counters.refused->Add(double(points - written));
  if (v2) {
    response.headers.Set("X-Prometheus-Remote-Write-Samples-Written",
                         std::to_string(result.samples));
    response.headers.Set("X-Prometheus-Remote-Write-Histograms-Written",
                         std::to_string(result.histograms));
    response.headers.Set("X-Prometheus-Remote-Write-Exemplars-Written", "0");
  }
  if (result.invalid > 0) {
    return text(400, "invalid_series",
                std::to_string(result.invalid) + " invalid series not written (the other " +
                    std::to_string(req.timeseries.size() - result.invalid) +
                    " were); first: " + result.first_error);
  }
  if (result.rejected > 0) {
    return text(400, "store_rejected",
                std::to_string(result.rejected) + " samples refused by the metrics store (the "
                    "rest were written); first: " + result.first_rejection);
  }
  response.status = 204;
}

}  // namespace astrolabe::receiver::prometheus_remote_write

