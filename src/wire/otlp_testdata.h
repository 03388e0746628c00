#pragma once
// Hand-built OTLP payloads for the wire codec's tests, fuzz seeds and benchmarks. Test-only:
// not part of astrolabe_wire.

#include <cstddef>

#include "pdata/logs.h"
#include "pdata/metrics.h"
#include "pdata/traces.h"

namespace astrolabe::wire::testdata {

// Every metric kind and every field set to a non-default value at least once: gauge (int and
// double points), monotonic cumulative sum with exemplars, delta histogram with sum/min/max,
// exponential histogram with positive and negative buckets and a negative scale, summary,
// metric metadata, nested AnyValue attributes (array, kvlist, bytes, empty), two resources.
pdata::Metrics RichMetrics();
// Spans with events, links, status, flags, trace_state, every kind; a root and a child.
pdata::Traces RichTraces();
// Log records with every field, including event_name and a kvlist body.
pdata::Logs RichLogs();

// A request shaped like a collector scrape of NVIDIA NIM's /metrics: one resource with the
// usual service/host attributes, one scope, gauges, counters and histograms with model and
// engine attributes, `points` data points in total (approximately; at least `points`).
pdata::Metrics NimMetrics(size_t points);

}  // namespace astrolabe::wire::testdata
