#include "exporter/store/store_exporter.h"

#include "component/host.h"
#include "component/partial.h"
#include "component/store.h"
#include "component/telemetry.h"
#include "spanstore/span_store.h"

namespace astrolabe::exporter::store {
namespace {

TranslateOptions OptionsOf(const Config& c) {
  TranslateOptions o;
  o.promote_scope_metadata = c.promote_scope_metadata;
  o.promote_resource_attributes = c.promote_resource_attributes;
  o.keep_identifying_resource_attributes = c.keep_identifying_resource_attributes;
  o.disable_target_info = c.disable_target_info;
  return o;
}

}  // namespace

StoreExporter::StoreExporter(const component::CreateSettings& settings, const Config& config)
    : id_(settings.id.ToString()),
      config_(config),
      telemetry_(settings.telemetry),
      writer_(OptionsOf(config)) {}

Status StoreExporter::Start(component::Host& host) {
  ASSIGN_OR_RETURN(component::StoreExtension * store,
                   component::FindStoreExtension(host, config_.StoreId()));
  if (telemetry_ == nullptr) telemetry_ = &host.telemetry();
  metrics_counters_ = component::ExporterInstruments::Create(*telemetry_, id_, "metrics");
  span_counters_ = component::ExporterInstruments::Create(*telemetry_, id_, "traces");
  log_counters_ = component::ExporterInstruments::Create(*telemetry_, id_, "logs");
  storage_.store(&store->metrics());
  spans_.store(&store->spans());
  return Status::Ok();
}

Status StoreExporter::Shutdown(component::Deadline) {
  storage_.store(nullptr);
  spans_.store(nullptr);
  return Status::Ok();
}

namespace {

// One Append of spans or logs, with its counters and the error mapping of the header.
template <typename Data>
Status AppendRecords(spanstore::SpanStore* store, const std::string& id, const Data& data,
                     uint64_t records, std::string_view items,
                     const component::ExporterInstruments& counters) {
  if (store == nullptr) return Unavailable("store exporter \"" + id + "\" is not running");
  spanstore::AppendStats stats;
  Status s = store->Append(data, &stats);
  if (counters.sent != nullptr) {
    counters.sent->Add(double(stats.accepted));
    counters.failed->Add(double(records - stats.accepted));
  }
  if (s.ok()) return s;
  if (s.code() == StatusCode::kInvalidArgument && stats.rejected > 0) {
    return component::PartialRejection(stats.rejected, records, s.message(), items);
  }
  return Unavailable("span store: " + s.message());
}

}  // namespace

Status StoreExporter::ConsumeTraces(component::TracesBatch batch) {
  return AppendRecords(spans_.load(), id_, *batch, batch->SpanCount(), "spans", span_counters_);
}

Status StoreExporter::ConsumeLogs(component::LogsBatch batch) {
  return AppendRecords(spans_.load(), id_, *batch, batch->LogRecordCount(), "log records",
                       log_counters_);
}

Status StoreExporter::ConsumeMetrics(component::MetricsBatch batch) {
  storage::Storage* storage = storage_.load();
  if (storage == nullptr) return Unavailable("store exporter \"" + id_ + "\" is not running");
  WriteStats stats;
  Status s = writer_.Write(*storage, batch.get(), &stats);
  if (metrics_counters_.sent != nullptr) {
    metrics_counters_.sent->Add(double(stats.points - stats.rejected));
    metrics_counters_.failed->Add(double(stats.rejected));
  }
  return s;
}

}  // namespace astrolabe::exporter::store
