#pragma once
// The otlp_http exporter's factory: type "otlp_http" (upstream's `otlphttp` is registered
// as a deprecated alias by the app), metrics, traces and logs (not profiles). Reported as
// beta while this implementation is young. CreateExporter validates the config first.
//
// One exporter instance per id serves every signal (component::ExporterFactory).
// Registered in src/app/builtin_components.cc with
//   registry.Add(exporter::otlp_http::NewFactory());

#include <memory>

#include "component/factory.h"

namespace astrolabe::exporter::otlp_http {

std::unique_ptr<component::ExporterFactory> NewFactory();

}  // namespace astrolabe::exporter::otlp_http
