#include "app/builtin_components.h"

#include "exporter/debug/factory.h"
#include "exporter/otlp_http/factory.h"
#include "exporter/store/factory.h"
#include "extension/api/factory.h"
#include "extension/file_storage/factory.h"
#include "extension/health_check/factory.h"
#include "extension/store/factory.h"
#include "extension/token_auth/factory.h"
#include "processor/batch/factory.h"
#include "processor/cumulativetodelta/factory.h"
#include "processor/genai/factory.h"
#include "processor/genaimetrics/factory.h"
#include "processor/memory_limiter/factory.h"
#include "processor/redaction/factory.h"
#include "receiver/otlp/factory.h"
#include "receiver/kubernetes/factory.h"
#include "receiver/prometheus/factory.h"
#include "receiver/prometheus_remote_write/factory.h"

namespace astrolabe::app {

void RegisterBuiltinComponents(component::Registry& registry) {
  using component::Kind;

  // Extensions.
  registry.Add(extension::health_check::NewFactory());
  registry.Add(extension::file_storage::NewFactory());
  registry.Add(extension::store::NewFactory());
  registry.Add(extension::token_auth::NewFactory());
  registry.Add(extension::api::NewFactory());

  // Receivers.
  registry.Add(receiver::otlp::NewFactory());
  registry.Add(receiver::prometheus::NewFactory());
  registry.Add(receiver::kubernetes::NewFactory());
  registry.Add(receiver::prometheus_remote_write::NewFactory());

  // Processors.
  registry.Add(processor::batch::NewFactory());
  registry.Add(processor::cumulativetodelta::NewFactory());
  registry.Add(processor::genai::NewFactory());
  registry.Add(processor::genaimetrics::NewFactory());
  registry.Add(processor::memory_limiter::NewFactory());
  registry.Add(processor::redaction::NewFactory());

  // Exporters.
  registry.Add(exporter::debug::NewFactory());
  registry.Add(exporter::otlp_http::NewFactory());
  registry.Add(exporter::store::NewFactory());

  // Deprecated type names the upstream collector still accepts (v0.144 renamed them).
  registry.AddAlias(Kind::kExporter, "otlphttp", "otlp_http");
  registry.AddAlias(Kind::kExporter, "otlp", "otlp_grpc");
  // The contrib receiver's type name.
  registry.AddAlias(Kind::kReceiver, "prometheusremotewrite", "prometheus_remote_write");
}

}  // namespace astrolabe::app
