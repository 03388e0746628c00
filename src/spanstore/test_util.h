#pragma once
// Realistic GenAI traces for the span store's tests and benchmark (never in the binary): each
// trace is an agent workflow span with one or more LLM call spans under it, carrying the
// attributes an OpenLLMetry/OpenTelemetry GenAI instrumentation sets (about 20 per LLM span,
// messages included).

#include <cstdint>
#include <random>
#include <string>

#include "pdata/logs.h"
#include "pdata/traces.h"

namespace astrolabe::spanstore::testing {

struct GenAiTraceShape {
  uint64_t base_time = 1'763'800'000'000'000'000ull;  // 2025-11-22T08:26:40Z
  uint64_t time_spread = 3'600'000'000'000ull;        // span starts in [base, base + spread)
  int calls_per_trace = 3;
};

inline pdata::TraceId RandomTraceId(std::mt19937_64& rng) {
  pdata::TraceId id;
  for (auto& b : id.bytes) b = static_cast<uint8_t>(rng());
  id.bytes[0] |= 1;  // never the empty id
  return id;
}

inline pdata::SpanId RandomSpanId(std::mt19937_64& rng) {
  pdata::SpanId id;
  for (auto& b : id.bytes) b = static_cast<uint8_t>(rng());
  id.bytes[0] |= 1;
  return id;
}

// `traces` traces (each 1 + calls_per_trace spans) in one request, one resource per service.
inline pdata::Traces MakeGenAiTraces(std::mt19937_64& rng, int traces,
                                     const GenAiTraceShape& shape = {}) {
  static const char* kServices[] = {"support-bot", "search-api", "summarizer", "agent-runner"};
  static const char* kModels[] = {"meta/llama-3.1-8b-instruct", "gpt-4o-mini",
                                  "mistralai/mixtral-8x7b-instruct-v0.1", "claude-3-5-haiku"};
  static const char* kProviders[] = {"openai", "openai", "azure.ai.openai", "anthropic"};
  static const char* kReasons[] = {"stop", "stop", "stop", "length", "content_filter"};
  static const char* kQuestions[] = {
      "How do I reset my password?", "Summarise this ticket for the on-call engineer.",
      "What is the refund policy for annual plans?", "Translate the release notes to German."};
  pdata::Traces out;
  for (const char* service : kServices) {
    pdata::ResourceSpans rs;
    rs.resource.attributes = {{"service.name", service},
                              {"service.version", "1.4.2"},
                              {"deployment.environment", "production"},
                              {"telemetry.sdk.language", "nodejs"},
                              {"telemetry.sdk.name", "opentelemetry"},
                              {"k8s.pod.name", std::string(service) + "-7d9f8b6c5-x2x4k"}};
    rs.scope_spans.emplace_back();
    rs.scope_spans[0].scope.name = "@traceloop/instrumentation-openai";
    rs.scope_spans[0].scope.version = "0.27.0";
    out.resource_spans.push_back(std::move(rs));
  }
  for (int t = 0; t < traces; ++t) {
    size_t svc = rng() % 4;
    auto& spans = out.resource_spans[svc].scope_spans[0].spans;
    pdata::TraceId trace_id = RandomTraceId(rng);
    uint64_t start = shape.base_time + rng() % shape.time_spread;
    pdata::Span root;
    root.trace_id = trace_id;
    root.span_id = RandomSpanId(rng);
    root.name = "support.workflow";
    root.kind = pdata::SpanKind::kInternal;
    root.start_time_unix_nano = start;
    root.attributes = {{"traceloop.span.kind", "workflow"},
                       {"traceloop.workflow.name", "support"},
                       {"traceloop.entity.name", "support"},
                       {"user.id", "user-" + std::to_string(rng() % 5000)}};
    uint64_t t0 = start + 1'000'000;
    for (int c = 0; c < shape.calls_per_trace; ++c) {
      size_t m = rng() % 4;
      int64_t in = 20 + static_cast<int64_t>(rng() % 2000);
      int64_t outt = 5 + static_cast<int64_t>(rng() % 800);
      uint64_t dur = 50'000'000 + rng() % 4'000'000'000ull;
      const char* reason = kReasons[rng() % 5];
      pdata::Span s;
      s.trace_id = trace_id;
      s.span_id = RandomSpanId(rng);
      s.parent_span_id = root.span_id;
      s.name = std::string("chat ") + kModels[m];
      s.kind = pdata::SpanKind::kClient;
      s.start_time_unix_nano = t0;
      s.end_time_unix_nano = t0 + dur;
      const char* q = kQuestions[rng() % 4];
      s.attributes = {
          {"gen_ai.operation.name", "chat"},
          {"gen_ai.provider.name", kProviders[m]},
          {"gen_ai.request.model", kModels[m]},
          {"gen_ai.response.model", kModels[m]},
          {"gen_ai.request.max_tokens", 1024},
          {"gen_ai.request.temperature", 0.2},
          {"gen_ai.request.top_p", 0.9},
          {"gen_ai.response.id", "chatcmpl-" + std::to_string(rng())},
          {"gen_ai.response.finish_reasons", pdata::ArrayValue{pdata::AnyValue(reason)}},
          {"gen_ai.usage.input_tokens", in},
          {"gen_ai.usage.output_tokens", outt},
          {"gen_ai.usage.total_tokens", in + outt},
          {"server.address", "nim.inference.svc.cluster.local"},
          {"server.port", 8000},
          {"gen_ai.input.messages",
           std::string(R"([{"role":"system","parts":[{"type":"text","content":"You are terse."}]},)"
                       R"({"role":"user","parts":[{"type":"text","content":")") +
               q + "\"}]}]"},
          {"gen_ai.output.messages",
           std::string(R"([{"role":"assistant","finish_reason":")") + reason +
               R"(","parts":[{"type":"text","content":"Open Settings, choose Security, then )"
               R"(Reset password; a link arrives by e-mail within a minute."}]}])"},
          {"llm.is_streaming", false},
          {"traceloop.workflow.name", "support"},
          {"http.response.status_code", 200},
          {"gen_ai.conversation.id", "conv-" + std::to_string(rng() % 100000)},
      };
      if (rng() % 20 == 0) {
        s.status.code = pdata::SpanStatus::Code::kError;
        s.status.message = "upstream returned 429";
      }
      spans.push_back(std::move(s));
      t0 += dur + 1'000'000;
    }
    root.end_time_unix_nano = t0;
    spans.push_back(std::move(root));
  }
  return out;
}

// The GenAI message events of a trace's spans, as log records linked by trace and span id.
inline pdata::Logs MakeMessageLogs(const pdata::Traces& traces) {
  pdata::Logs logs;
  for (const auto& rs : traces.resource_spans) {
    pdata::ResourceLogs rl;
    rl.resource = rs.resource;
    rl.scope_logs.emplace_back();
    rl.scope_logs[0].scope.name = "@opentelemetry/instrumentation-openai";
    for (const auto& ss : rs.scope_spans) {
      for (const auto& s : ss.spans) {
        if (s.kind != pdata::SpanKind::kClient) continue;
        pdata::LogRecord r;
        r.time_unix_nano = s.start_time_unix_nano + 1000;
        r.severity_number = pdata::SeverityNumber::kInfo;
        r.trace_id = s.trace_id;
        r.span_id = s.span_id;
        r.attributes = {{"event.name", "gen_ai.user.message"}, {"gen_ai.system", "openai"}};
        r.body = pdata::KeyValueList{{"content", "How do I reset my password?"}};
        rl.scope_logs[0].log_records.push_back(std::move(r));
      }
    }
    logs.resource_logs.push_back(std::move(rl));
  }
  return logs;
}

}  // namespace astrolabe::spanstore::testing
