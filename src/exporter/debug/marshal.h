#pragma once
// The debug exporter's two text renderings of a batch, as upstream's
// exporter/debugexporter prints them:
//
//   - Normal: about one line per data point, span or log record.
//       ResourceMetrics #0 [schema] key=value ...
//       ScopeMetrics #0 name@version [schema] key=value ...
//       system.cpu.time{state=user,cpu=0} 123.456
//   - Detailed: every field, several lines per item ("ResourceMetrics #0",
//     "Resource attributes:", "     -> key: Str(value)", "Descriptor:", ...).
//
// Both return text ending in a newline for each line, or "" for empty data. The output
// format is for people and, as upstream warns, may change between releases.

#include <string>

#include "pdata/logs.h"
#include "pdata/metrics.h"
#include "pdata/traces.h"

namespace astrolabe::exporter::debug {

std::string MarshalNormal(const pdata::Metrics& md);
std::string MarshalNormal(const pdata::Traces& td);
std::string MarshalNormal(const pdata::Logs& ld);

std::string MarshalDetailed(const pdata::Metrics& md);
std::string MarshalDetailed(const pdata::Traces& td);
std::string MarshalDetailed(const pdata::Logs& ld);

}  // namespace astrolabe::exporter::debug
