// The span and log shapes of both dialects, attribute by attribute
// (../shared/reference/genai-signals.md §3.1–3.3).

#include "demo/genai_spans.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>

namespace astrolabe::demo {
namespace {

using pdata::AnyValue;

LlmCall Chat() {
  LlmCall c;
  c.request_model = "meta/llama-3.1-8b-instruct";
  c.input = {{"system", "You are terse."}, {"user", "Say \"hi\"\nplease"}};
  c.max_tokens = 256;
  c.temperature = 0.7;
  c.top_p = 0.9;
  c.server_address = "127.0.0.1";
  c.server_port = 8100;
  c.start_unix_nano = 1'000'000'000;
  c.end_unix_nano = 3'500'000'000;
  c.response_id = "chatcmpl-00ff";
  c.response_model = "meta/llama-3.1-8b-instruct";
  c.output = "Hi.";
  c.finish_reason = "stop";
  c.input_tokens = 33;
  c.output_tokens = 61;
  return c;
}

LlmCall Embeddings() {
  LlmCall c;
  c.operation = Operation::kEmbeddings;
  c.request_model = "text-embedding-3-small";
  c.input = {{"user", "How do I reset my password?"}};
  c.server_address = "127.0.0.1";
  c.server_port = 8100;
  c.response_model = "text-embedding-3-small";
  c.input_tokens = 9;
  c.embedding_dimensions = 384;
  return c;
}

// Attribute key → its text, and the set of keys, for compact checks.
std::map<std::string, std::string> Attrs(const pdata::Attributes& attributes) {
  std::map<std::string, std::string> out;
  for (const auto& kv : attributes) {
    EXPECT_TRUE(out.emplace(kv.key, pdata::AnyValueToString(kv.value)).second)
        << "duplicate key " << kv.key;
  }
  return out;
}

int64_t IntAttr(const pdata::Attributes& attributes, std::string_view key) {
  const AnyValue* v = pdata::FindAttribute(attributes, key);
  return v != nullptr && v->type() == AnyValue::Type::kInt ? v->int_value() : -1;
}

pdata::TraceId Trace() {
  pdata::TraceId t;
  t.bytes[0] = 0x5b;
  return t;
}
pdata::SpanId Id(uint8_t b) {
  pdata::SpanId s;
  s.bytes[7] = b;
  return s;
}

bool ParsesAsJson(const std::string& text) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  return parser.parse(text).get(root) == simdjson::SUCCESS;
}

TEST(LegacyDialect, ChatSpanIsOpenLlmetryPython) {
  pdata::Span s = LlmSpan(Dialect::kLegacy, Chat(), Trace(), Id(2), Id(1));
  EXPECT_EQ(s.name, "openai.chat");
  EXPECT_EQ(s.kind, pdata::SpanKind::kClient);
  EXPECT_EQ(s.trace_id, Trace());
  EXPECT_EQ(s.span_id, Id(2));
  EXPECT_EQ(s.parent_span_id, Id(1));
  EXPECT_EQ(s.start_time_unix_nano, 1'000'000'000u);
  EXPECT_EQ(s.end_time_unix_nano, 3'500'000'000u);
  EXPECT_EQ(s.status.code, pdata::SpanStatus::Code::kUnset);
  auto a = Attrs(s.attributes);
  EXPECT_EQ(a["llm.request.type"], "chat");
  EXPECT_EQ(a["gen_ai.system"], "openai");
  EXPECT_EQ(a["gen_ai.openai.api_base"], "http://127.0.0.1:8100/v1/");
  EXPECT_EQ(a["gen_ai.request.model"], "meta/llama-3.1-8b-instruct");
  EXPECT_EQ(IntAttr(s.attributes, "gen_ai.request.max_tokens"), 256);
  EXPECT_EQ(a["gen_ai.request.temperature"], "0.7");
  EXPECT_EQ(a["gen_ai.request.top_p"], "0.9");
  EXPECT_EQ(a["gen_ai.prompt.0.role"], "system");
  EXPECT_EQ(a["gen_ai.prompt.0.content"], "You are terse.");
  EXPECT_EQ(a["gen_ai.prompt.1.role"], "user");
  EXPECT_EQ(a["gen_ai.prompt.1.content"], "Say \"hi\"\nplease");
  EXPECT_EQ(a["gen_ai.response.model"], "meta/llama-3.1-8b-instruct");
  EXPECT_EQ(a["gen_ai.response.id"], "chatcmpl-00ff");
  EXPECT_EQ(IntAttr(s.attributes, "gen_ai.usage.prompt_tokens"), 33);
  EXPECT_EQ(IntAttr(s.attributes, "gen_ai.usage.completion_tokens"), 61);
  EXPECT_EQ(IntAttr(s.attributes, "llm.usage.total_tokens"), 94);
  EXPECT_EQ(a["gen_ai.completion.0.finish_reason"], "stop");
  EXPECT_EQ(a["gen_ai.completion.0.role"], "assistant");
  EXPECT_EQ(a["gen_ai.completion.0.content"], "Hi.");
  // Nothing of the current conventions.
  for (const char* key : {"gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.input.messages",
                          "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens"}) {
    EXPECT_EQ(a.count(key), 0u) << key;
  }
}

TEST(LegacyDialect, EmbeddingsSpan) {
  pdata::Span s = LlmSpan(Dialect::kLegacy, Embeddings(), Trace(), Id(3), Id(1));
  EXPECT_EQ(s.name, "openai.embeddings");
  auto a = Attrs(s.attributes);
  EXPECT_EQ(a["llm.request.type"], "embedding");
  EXPECT_EQ(a["gen_ai.prompt.0.content"], "How do I reset my password?");
  EXPECT_EQ(IntAttr(s.attributes, "gen_ai.usage.prompt_tokens"), 9);
  EXPECT_EQ(a.count("gen_ai.usage.completion_tokens"), 0u);
  EXPECT_EQ(a.count("gen_ai.request.max_tokens"), 0u);
}

TEST(LegacyDialect, FailureHasStatusErrorTypeAndExceptionEvent) {
  LlmCall c = Chat();
  c.http_status = 500;
  c.error_message = "Internal server error";
  pdata::Span s = LlmSpan(Dialect::kLegacy, c, Trace(), Id(2), Id(1));
  EXPECT_EQ(s.status.code, pdata::SpanStatus::Code::kError);
  EXPECT_EQ(s.status.message, "Error code: 500 - Internal server error");
  auto a = Attrs(s.attributes);
  EXPECT_EQ(a["error.type"], "InternalServerError");
  EXPECT_EQ(a.count("gen_ai.usage.prompt_tokens"), 0u);
  EXPECT_EQ(a.count("gen_ai.completion.0.content"), 0u);
  EXPECT_EQ(a["gen_ai.prompt.1.role"], "user");  // the prompt was sent all the same
  ASSERT_EQ(s.events.size(), 1u);
  EXPECT_EQ(s.events[0].name, "exception");
  auto e = Attrs(s.events[0].attributes);
  EXPECT_EQ(e["exception.type"], "openai.InternalServerError");
}

TEST(CurrentDialect, ChatSpanFollowsGenAiConventions) {
  pdata::Span s = LlmSpan(Dialect::kCurrent, Chat(), Trace(), Id(2), Id(1));
  EXPECT_EQ(s.name, "chat meta/llama-3.1-8b-instruct");
  EXPECT_EQ(s.kind, pdata::SpanKind::kClient);
  EXPECT_EQ(s.status.code, pdata::SpanStatus::Code::kUnset);
  auto a = Attrs(s.attributes);
  EXPECT_EQ(a["gen_ai.operation.name"], "chat");
  EXPECT_EQ(a["gen_ai.provider.name"], "openai");
  EXPECT_EQ(a["gen_ai.request.model"], "meta/llama-3.1-8b-instruct");
  EXPECT_EQ(a["server.address"], "127.0.0.1");
  EXPECT_EQ(IntAttr(s.attributes, "server.port"), 8100);
  EXPECT_EQ(IntAttr(s.attributes, "gen_ai.usage.input_tokens"), 33);
  EXPECT_EQ(IntAttr(s.attributes, "gen_ai.usage.output_tokens"), 61);
  EXPECT_EQ(a["gen_ai.response.id"], "chatcmpl-00ff");
  const AnyValue* reasons = pdata::FindAttribute(s.attributes, "gen_ai.response.finish_reasons");
  ASSERT_NE(reasons, nullptr);
  ASSERT_EQ(reasons->type(), AnyValue::Type::kArray);
  EXPECT_EQ(pdata::AnyValueToString(*reasons), R"(["stop"])");
  EXPECT_EQ(a["gen_ai.input.messages"],
            R"([{"role":"system","parts":[{"type":"text","content":"You are terse."}]},)"
            R"({"role":"user","parts":[{"type":"text","content":"Say \"hi\"\nplease"}]}])");
  EXPECT_EQ(a["gen_ai.output.messages"],
            R"([{"role":"assistant","parts":[{"type":"text","content":"Hi."}],)"
            R"("finish_reason":"stop"}])");
  EXPECT_TRUE(ParsesAsJson(a["gen_ai.input.messages"]));
  EXPECT_TRUE(ParsesAsJson(a["gen_ai.output.messages"]));
  for (const char* key : {"gen_ai.system", "llm.request.type", "gen_ai.prompt.0.content",
                          "gen_ai.usage.prompt_tokens", "gen_ai.completion.0.content"}) {
    EXPECT_EQ(a.count(key), 0u) << key;
  }
}

TEST(CurrentDialect, EmbeddingsSpan) {
  pdata::Span s = LlmSpan(Dialect::kCurrent, Embeddings(), Trace(), Id(3), Id(1));
  EXPECT_EQ(s.name, "embeddings text-embedding-3-small");
  auto a = Attrs(s.attributes);
  EXPECT_EQ(a["gen_ai.operation.name"], "embeddings");
  EXPECT_EQ(IntAttr(s.attributes, "gen_ai.usage.input_tokens"), 9);
  EXPECT_EQ(IntAttr(s.attributes, "gen_ai.embeddings.dimension.count"), 384);
  EXPECT_EQ(a.count("gen_ai.usage.output_tokens"), 0u);
  EXPECT_EQ(a.count("gen_ai.input.messages"), 0u);
}

TEST(CurrentDialect, FailuresNameTheSdkException) {
  for (auto [status, type] : std::vector<std::pair<int, std::string>>{{400, "BadRequestError"},
                                                                      {404, "NotFoundError"},
                                                                      {429, "RateLimitError"},
                                                                      {500, "InternalServerError"},
                                                                      {502, "InternalServerError"},
                                                                      {0, "APIConnectionError"}}) {
    LlmCall c = Chat();
    c.http_status = status;
    c.error_message = "boom";
    pdata::Span s = LlmSpan(Dialect::kCurrent, c, Trace(), Id(2), Id(1));
    EXPECT_EQ(s.status.code, pdata::SpanStatus::Code::kError) << status;
    auto a = Attrs(s.attributes);
    EXPECT_EQ(a["error.type"], type) << status;
    EXPECT_EQ(a.count("gen_ai.usage.input_tokens"), 0u);
    EXPECT_EQ(a.count("gen_ai.output.messages"), 0u);
    EXPECT_TRUE(s.events.empty());
  }
}

TEST(MessageLogs, PerMessageEventsAsTheContribInstrumentationSendsThem) {
  auto logs = MessageLogRecords(MessageLogs::kPerMessage, Chat(), Trace(), Id(2));
  ASSERT_EQ(logs.size(), 3u);  // system, user, choice
  EXPECT_EQ(Attrs(logs[0].attributes)["event.name"], "gen_ai.system.message");
  EXPECT_EQ(Attrs(logs[1].attributes)["event.name"], "gen_ai.user.message");
  EXPECT_EQ(Attrs(logs[2].attributes)["event.name"], "gen_ai.choice");
  EXPECT_EQ(pdata::AnyValueToString(logs[1].body), R"({"content":"Say \"hi\"\nplease"})");
  EXPECT_EQ(pdata::AnyValueToString(logs[2].body),
            R"({"finish_reason":"stop","index":0,"message":{"content":"Hi."}})");
  for (const auto& r : logs) {
    EXPECT_EQ(r.trace_id, Trace());
    EXPECT_EQ(r.span_id, Id(2));
    EXPECT_EQ(r.severity_number, pdata::SeverityNumber::kInfo);
    EXPECT_TRUE(r.event_name.empty());
  }
  EXPECT_EQ(logs[0].time_unix_nano, 1'000'000'000u);
  EXPECT_EQ(logs[2].time_unix_nano, 3'500'000'000u);
  EXPECT_TRUE(MessageLogRecords(MessageLogs::kPerMessage, Embeddings(), Trace(), Id(2)).empty());
  EXPECT_TRUE(MessageLogRecords(MessageLogs::kNone, Chat(), Trace(), Id(2)).empty());
}

TEST(MessageLogs, OperationDetailsEventWithStructuredMessages) {
  auto logs = MessageLogRecords(MessageLogs::kOperationDetails, Chat(), Trace(), Id(2));
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_EQ(logs[0].event_name, "gen_ai.client.inference.operation.details");
  auto a = Attrs(logs[0].attributes);
  EXPECT_EQ(a["gen_ai.input.messages"],
            R"([{"parts":[{"content":"You are terse.","type":"text"}],"role":"system"},)"
            R"({"parts":[{"content":"Say \"hi\"\nplease","type":"text"}],"role":"user"}])");
  EXPECT_EQ(a["gen_ai.output.messages"],
            R"([{"finish_reason":"stop","parts":[{"content":"Hi.","type":"text"}],)"
            R"("role":"assistant"}])");
  EXPECT_EQ(IntAttr(logs[0].attributes, "gen_ai.usage.output_tokens"), 61);
  LlmCall failed = Chat();
  failed.http_status = 429;
  auto f = MessageLogRecords(MessageLogs::kOperationDetails, failed, Trace(), Id(2));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(Attrs(f[0].attributes)["error.type"], "RateLimitError");
  EXPECT_EQ(f[0].severity_number, pdata::SeverityNumber::kWarn);
}

TEST(WorkflowSpans, BothDialectsAndTheEndpoint) {
  pdata::Span legacy = WorkflowSpan(Dialect::kLegacy, "answer_ticket", Trace(), Id(1), Id(9), 5, 9);
  EXPECT_EQ(legacy.name, "answer_ticket.workflow");
  EXPECT_EQ(legacy.kind, pdata::SpanKind::kInternal);
  EXPECT_EQ(legacy.parent_span_id, Id(9));
  EXPECT_EQ(Attrs(legacy.attributes)["traceloop.span.kind"], "workflow");
  EXPECT_EQ(Attrs(legacy.attributes)["traceloop.workflow.name"], "answer_ticket");
  pdata::Span current =
      WorkflowSpan(Dialect::kCurrent, "review_diff", Trace(), Id(1), Id(9), 5, 9, "boom");
  EXPECT_EQ(current.name, "invoke_agent review_diff");
  EXPECT_EQ(Attrs(current.attributes)["gen_ai.operation.name"], "invoke_agent");
  EXPECT_EQ(current.status.code, pdata::SpanStatus::Code::kError);
  pdata::Span root = EndpointSpan("/api/code/ask", 502, Trace(), Id(9), 1, 10);
  EXPECT_EQ(root.name, "POST /api/code/ask");
  EXPECT_EQ(root.kind, pdata::SpanKind::kServer);
  EXPECT_TRUE(root.parent_span_id.empty());
  EXPECT_EQ(root.status.code, pdata::SpanStatus::Code::kError);
  EXPECT_EQ(IntAttr(root.attributes, "http.response.status_code"), 502);
}

}  // namespace
}  // namespace astrolabe::demo
