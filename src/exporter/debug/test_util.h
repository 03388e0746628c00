#pragma once
// Test-only helpers of the debug exporter's tests: sample data of every kind and golden
// file comparison. Not part of the library.

#include <gtest/gtest.h>

// Sample data uses designated initializers naming only the fields that matter; g++ 12
// warns about the others under -Wextra.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "pdata/logs.h"
#include "pdata/metrics.h"
#include "pdata/traces.h"

namespace astrolabe::exporter::debug::testutil {

inline constexpr uint64_t kStart = 1581452772'000000321;  // 2020-02-11 20:26:12.000000321
inline constexpr uint64_t kTime = 1581452773'000000789;   // 2020-02-11 20:26:13.000000789

inline pdata::TraceId Tid(const char* hex) {
  pdata::TraceId id;
  pdata::TraceId::FromHex(hex, &id);
  return id;
}
inline pdata::SpanId Sid(const char* hex) {
  pdata::SpanId id;
  pdata::SpanId::FromHex(hex, &id);
  return id;
}

// One metric of every type, shaped like a NIM scrape.
inline pdata::Metrics SampleMetrics() {
  using namespace pdata;
  std::vector<Metric> metrics;

  Metric running;
  running.name = "num_requests_running";
  running.description = "Number of requests currently running on GPU.";
  running.data = Gauge{{NumberDataPoint{.attributes = {{"model_name", "llama3"}},
                                        .start_time_unix_nano = kStart,
                                        .time_unix_nano = kTime,
                                        .value = int64_t{3}}}};
  metrics.push_back(running);

  Metric cache;
  cache.name = "gpu_cache_usage_perc";
  cache.unit = "1";
  cache.metadata = {{"prometheus.type", "gauge"}};
  cache.data = Gauge{{NumberDataPoint{.time_unix_nano = kTime, .value = 0.25}}};
  metrics.push_back(cache);

  Metric success;
  success.name = "request_success_total";
  success.data =
      Sum{.data_points = {NumberDataPoint{
              .attributes = {{"model_name", "llama3"}, {"finished_reason", "stop"}},
              .start_time_unix_nano = kStart,
              .time_unix_nano = kTime,
              .value = 1234.0,
              .exemplars = {Exemplar{.filtered_attributes = {{"user", "alice"}},
                                     .time_unix_nano = kTime - 666,
                                     .value = 1.0,
                                     .span_id = Sid("1112131415161718"),
                                     .trace_id = Tid("0102030405060708090a0b0c0d0e0f10")}}}},
          .aggregation_temporality = AggregationTemporality::kCumulative,
          .is_monotonic = true};
  metrics.push_back(success);

  Metric latency;
  latency.name = "e2e_request_latency_seconds";
  latency.unit = "s";
  latency.data =
      Histogram{.data_points = {HistogramDataPoint{.attributes = {{"model_name", "llama3"}},
                                                   .start_time_unix_nano = kStart,
                                                   .time_unix_nano = kTime,
                                                   .count = 10,
                                                   .sum = 4.5,
                                                   .bucket_counts = {2, 3, 4, 1, 0},
                                                   .explicit_bounds = {0.3, 0.5, 0.8, 1}},
                                HistogramDataPoint{.time_unix_nano = kTime,
                                                   .count = 1,
                                                   .sum = 15,
                                                   .bucket_counts = {0, 1},
                                                   .explicit_bounds = {1},
                                                   .exemplars = {Exemplar{.value = int64_t{15}}},
                                                   .min = 15,
                                                   .max = 15}},
                .aggregation_temporality = AggregationTemporality::kCumulative};
  metrics.push_back(latency);

  Metric exp;
  exp.name = "token_latency";
  ExponentialHistogramDataPoint ep;
  ep.attributes = {{"model_name", "llama3"}};
  ep.start_time_unix_nano = kStart;
  ep.time_unix_nano = kTime;
  ep.count = 5;
  ep.sum = 0.15;
  ep.scale = 1;
  ep.zero_count = 1;
  ep.negative = {.offset = -1, .bucket_counts = {1, 1}};
  ep.positive = {.offset = 1, .bucket_counts = {1, 1}};
  ExponentialHistogramDataPoint ep2;
  ep2.count = 3;
  ep2.sum = 1.25;
  ep2.min = 0;
  ep2.max = 1;
  ep2.scale = -1;
  ep2.zero_count = 1;
  ep2.positive = {.offset = -1, .bucket_counts = {1, 1}};
  exp.data = ExponentialHistogram{.data_points = {ep, ep2},
                                  .aggregation_temporality = AggregationTemporality::kDelta};
  metrics.push_back(exp);

  Metric summary;
  summary.name = "time_to_first_token_seconds";
  summary.data = Summary{{SummaryDataPoint{.attributes = {{"model_name", "llama3"}},
                                           .start_time_unix_nano = kStart,
                                           .time_unix_nano = kTime,
                                           .count = 2,
                                           .sum = 1.5,
                                           .quantile_values = {{0.5, 0.7}, {0.99, 0.8}}}}};
  metrics.push_back(summary);

  Metric empty;
  empty.name = "empty";
  metrics.push_back(empty);

  ResourceMetrics rm;
  rm.resource.attributes = {{"service.name", "nim"}, {"server.port", "8000"}};
  rm.schema_url = "https://opentelemetry.io/schemas/1.25.0";
  ScopeMetrics sm;
  sm.scope = {.name = "astrolabe/prometheus", .version = "0.1.0"};
  sm.metrics = std::move(metrics);
  rm.scope_metrics.push_back(std::move(sm));
  ScopeMetrics bare;
  bare.scope.attributes = {{"scope.kind", "bare"}};
  bare.schema_url = "https://example.com/scope";
  rm.scope_metrics.push_back(std::move(bare));
  Metrics md;
  md.resource_metrics.push_back(std::move(rm));
  md.resource_metrics.emplace_back();
  return md;
}

// A GenAI client span with everything set, and a bare one.
inline pdata::Traces SampleTraces() {
  using namespace pdata;
  Span chat;
  chat.trace_id = Tid("0102030405060708090a0b0c0d0e0f10");
  chat.span_id = Sid("1112131415161718");
  chat.parent_span_id = Sid("2122232425262728");
  chat.trace_state = "ot=th:0";
  chat.name = "chat gpt-4o";
  chat.kind = SpanKind::kClient;
  chat.start_time_unix_nano = kStart;
  chat.end_time_unix_nano = kTime;
  chat.attributes = {{"gen_ai.request.model", "gpt-4o"},
                     {"gen_ai.usage.input_tokens", 12},
                     {"gen_ai.request.temperature", 0.7},
                     {"gen_ai.is_streaming", false},
                     {"gen_ai.response.finish_reasons", ArrayValue{"stop"}}};
  chat.dropped_attributes_count = 1;
  chat.events.push_back(SpanEvent{.time_unix_nano = kTime - 666,
                                  .name = "gen_ai.choice",
                                  .attributes = {{"index", 0}},
                                  .dropped_attributes_count = 2});
  chat.events.push_back(SpanEvent{.time_unix_nano = kTime, .name = "done"});
  chat.links.push_back(SpanLink{.trace_id = Tid("0f0e0d0c0b0a09080706050403020100"),
                                .span_id = Sid("0102030405060708"),
                                .attributes = {{"link.kind", "retry"}}});
  chat.status = {.message = "rate limited", .code = SpanStatus::Code::kError};

  Span bare;
  bare.name = "bare";
  bare.dropped_links_count = 3;

  ResourceSpans rs;
  rs.resource.attributes = {{"service.name", "chatbot"}};
  ScopeSpans ss;
  ss.scope = {.name = "opentelemetry.instrumentation.openai", .version = "0.30.0"};
  ss.spans = {chat, bare};
  rs.scope_spans.push_back(std::move(ss));
  Traces td;
  td.resource_spans.push_back(std::move(rs));
  return td;
}

// A structured log record with ids and an event name, and a bare multi-line one.
inline pdata::Logs SampleLogs() {
  using namespace pdata;
  LogRecord rich;
  rich.time_unix_nano = kTime;
  rich.observed_time_unix_nano = kTime + 1000;
  rich.severity_number = SeverityNumber::kInfo;
  rich.severity_text = "INFO";
  rich.event_name = "gen_ai.user.message";
  rich.body = KeyValueList{{"content", "hi"}, {"role", "user"}, {"n", 1.5}};
  rich.attributes = {{"app", "server"}, {"instance_num", 1}, {"raw", Bytes{"\x01\x02"}}};
  rich.trace_id = Tid("08040201000000000000000000000000");
  rich.span_id = Sid("0102040800000000");
  rich.flags = 1;

  LogRecord bare;
  bare.body = "first line\n  second line";

  ResourceLogs rl;
  rl.resource.attributes = {{"service.name", "chatbot"}};
  rl.schema_url = "https://opentelemetry.io/schemas/1.25.0";
  ScopeLogs sl;
  sl.scope = {.name = "chatbot.logger"};
  sl.log_records = {rich, bare};
  rl.scope_logs.push_back(std::move(sl));
  Logs ld;
  ld.resource_logs.push_back(std::move(rl));
  return ld;
}

// True when the test binary runs with --update-golden (or ASTROLABE_UPDATE_GOLDEN=1):
// golden files are rewritten from the current output instead of compared.
inline bool UpdateGolden() {
  if (const char* env = std::getenv("ASTROLABE_UPDATE_GOLDEN"); env && std::string(env) == "1") {
    return true;
  }
  std::ifstream cmdline("/proc/self/cmdline", std::ios::binary);
  std::string arg;
  while (std::getline(cmdline, arg, '\0')) {
    if (arg == "--update-golden") return true;
  }
  return false;
}

// Compares `actual` with testdata/<name> (tests run from the source folder).
inline void ExpectGolden(const std::string& name, const std::string& actual) {
  std::string path = "testdata/" + name;
  if (UpdateGolden()) {
    std::ofstream(path, std::ios::binary) << actual;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "missing golden file " << path << "; run with --update-golden";
  std::stringstream want;
  want << in.rdbuf();
  EXPECT_EQ(actual, want.str()) << "golden " << path << " differs; rerun with --update-golden "
                                << "if the change is intended";
}

}  // namespace astrolabe::exporter::debug::testutil
