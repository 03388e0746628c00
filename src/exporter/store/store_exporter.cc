#include "exporter/store/store_exporter.h"

#include "component/host.h"
#include "component/store.h"
#include "component/telemetry.h"

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
  auto inst = component::ExporterInstruments::Create(*telemetry_, id_, "metrics");
  sent_ = inst.sent;
  failed_ = inst.failed;
  storage_.store(&store->metrics());
  return Status::Ok();
}

Status StoreExporter::Shutdown(component::Deadline) {
  storage_.store(nullptr);
  return Status::Ok();
}

Status StoreExporter::ConsumeMetrics(component::MetricsBatch batch) {
  storage::Storage* storage = storage_.load();
  if (storage == nullptr) return Unavailable("store exporter \"" + id_ + "\" is not running");
  WriteStats stats;
  Status s = writer_.Write(*storage, batch.get(), &stats);
  if (sent_ != nullptr) {
    sent_->Add(double(stats.points - stats.rejected));
    failed_->Add(double(stats.rejected));
  }
  return s;
}

}  // namespace astrolabe::exporter::store
