#include "processor/redaction/redaction.h"

#include <gtest/gtest.h>

#include "component/telemetry.h"
#include "processor/redaction/factory.h"

namespace astrolabe::processor::redaction {
namespace {

using astrolabe::redaction::Mode;
using pdata::AnyValue;
using pdata::FindAttribute;

class Capture : public component::Consumer {
 public:
  Status ConsumeTraces(component::TracesBatch b) override {
    traces.push_back(std::move(b));
    return Status::Ok();
  }
  Status ConsumeLogs(component::LogsBatch b) override {
    logs.push_back(std::move(b));
    return Status::Ok();
  }
  std::vector<component::TracesBatch> traces;
  std::vector<component::LogsBatch> logs;
};

struct Fixture {
  explicit Fixture(Config config = {}) {
    auto d = astrolabe::redaction::Detector::Create(config.DetectorOptions());
    EXPECT_TRUE(d.ok());
    processor =
        std::make_unique<RedactionProcessor>(config, std::move(d).value(), &telemetry, capture);
  }
  double Items(const std::string& kind) {
    return telemetry.GetCounter("astrolabe_redaction_items_total", "", {{"kind", kind}})->value();
  }
  component::Telemetry telemetry;
  Capture capture;
  std::unique_ptr<RedactionProcessor> processor;
};

pdata::Traces OneSpan(pdata::Span span) {
  pdata::Traces t;
  t.resource_spans.emplace_back();
  t.resource_spans[0].resource.attributes = {{"service.name", "bot"}, {"host.ip", "10.1.2.3"}};
  t.resource_spans[0].scope_spans.emplace_back();
  t.resource_spans[0].scope_spans[0].spans.push_back(std::move(span));
  return t;
}

const pdata::Span& Out(const Fixture& f) {
  return f.capture.traces.back()->resource_spans[0].scope_spans[0].spans[0];
}

std::string Str(const pdata::Attributes& a, std::string_view key) {
  const AnyValue* v = FindAttribute(a, key);
  if (v == nullptr) return "<absent>";
  return pdata::AnyValueToString(*v);
}

pdata::Span ChatSpan() {
  pdata::Span s;
  s.name = "chat gpt-4o";
  s.attributes = {
      {"gen_ai.operation.name", "chat"},
      {"gen_ai.request.model", "gpt-4o"},
      {"server.address", "10.0.0.7"},  // not content: stays
      {"gen_ai.input.messages",
       R"([{"role":"user","parts":[{"type":"text","content":"I am bob@example.com, card 4111 1111 1111 1111"}]}])"},
      {"gen_ai.output.messages",
       R"([{"role":"assistant","parts":[{"type":"text","content":"Noted, Bob."}]}])"},
      {"gen_ai.prompt.0.role", "user"},
      {"gen_ai.prompt.0.content", "call me at +1 415 555 2671"},
      {"gen_ai.completion.0.content", "OK"},
      {"input.value", "key sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"},
      {"llm.input_messages.0.message.content", "from 192.168.0.1"},
      {"user.note", "mail carol@example.com"},  // not content unless configured
  };
  return s;
}

TEST(Redaction, RedactsEveryContentShapeAndMarksTheSpan) {
  Fixture f;
  ASSERT_TRUE(f.processor->ConsumeTraces(component::TracesBatch(OneSpan(ChatSpan()))).ok());
  const auto& a = Out(f).attributes;
  EXPECT_EQ(
      Str(a, "gen_ai.input.messages"),
      R"([{"role":"user","parts":[{"type":"text","content":"I am [REDACTED:email], card [REDACTED:card]"}]}])");
  EXPECT_EQ(Str(a, "gen_ai.output.messages"),
            R"([{"role":"assistant","parts":[{"type":"text","content":"Noted, Bob."}]}])");
  EXPECT_EQ(Str(a, "gen_ai.prompt.0.content"), "call me at [REDACTED:phone]");
  EXPECT_EQ(Str(a, "input.value"), "key [REDACTED:api_key]");
  EXPECT_EQ(Str(a, "llm.input_messages.0.message.content"), "from [REDACTED:ip]");
  EXPECT_EQ(Str(a, "server.address"), "10.0.0.7");
  EXPECT_EQ(Str(a, "user.note"), "mail carol@example.com");
  EXPECT_EQ(Str(a, "astrolabe.redaction.count"), "5");
  EXPECT_EQ(Str(a, "astrolabe.redaction.mode"), "redact");
  EXPECT_EQ(f.Items("email"), 1);
  EXPECT_EQ(f.Items("card"), 1);
  EXPECT_EQ(f.Items("phone"), 1);
  EXPECT_EQ(f.Items("api_key"), 1);
  EXPECT_EQ(f.Items("ip"), 1);
  // The resource is not content.
  EXPECT_EQ(Str(f.capture.traces.back()->resource_spans[0].resource.attributes, "host.ip"),
            "10.1.2.3");
}

TEST(Redaction, CleanSpanGetsNoMarks) {
  Fixture f;
  pdata::Span s;
  s.attributes = {{"gen_ai.prompt.0.content", "What is 2+2? Order 123456789012 on 2024-01-15."}};
  ASSERT_TRUE(f.processor->ConsumeTraces(component::TracesBatch(OneSpan(std::move(s)))).ok());
  EXPECT_EQ(Str(Out(f).attributes, "astrolabe.redaction.count"), "<absent>");
  EXPECT_EQ(Str(Out(f).attributes, "gen_ai.prompt.0.content"),
            "What is 2+2? Order 123456789012 on 2024-01-15.");
}

TEST(Redaction, HashMode) {
  Config c;
  c.mode = Mode::kHash;
  Fixture f(c);
  ASSERT_TRUE(f.processor->ConsumeTraces(component::TracesBatch(OneSpan(ChatSpan()))).ok());
  // SHA-256("+1 415 555 2671") begins with these 16 hex digits.
  const std::string v = Str(Out(f).attributes, "gen_ai.prompt.0.content");
  EXPECT_EQ(v.rfind("call me at [HASH:phone:", 0), 0u) << v;
  EXPECT_EQ(v.size(), std::string("call me at [HASH:phone:]").size() + 16);
  EXPECT_EQ(Str(Out(f).attributes, "astrolabe.redaction.mode"), "hash");
}

TEST(Redaction, DropModeRemovesContentAttributes) {
  Config c;
  c.mode = Mode::kDrop;
  Fixture f(c);
  ASSERT_TRUE(f.processor->ConsumeTraces(component::TracesBatch(OneSpan(ChatSpan()))).ok());
  const auto& a = Out(f).attributes;
  for (const char* key : {"gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.prompt.0.role",
                          "gen_ai.prompt.0.content", "gen_ai.completion.0.content", "input.value",
                          "llm.input_messages.0.message.content"}) {
    EXPECT_EQ(Str(a, key), "<absent>") << key;
  }
  EXPECT_EQ(Str(a, "gen_ai.request.model"), "gpt-4o");
  EXPECT_EQ(Str(a, "astrolabe.redaction.count"), "7");
  EXPECT_EQ(Str(a, "astrolabe.redaction.mode"), "drop");
  EXPECT_EQ(f.Items("dropped"), 7);
}

TEST(Redaction, FullModePassesTheBatchUntouched) {
  Config c;
  c.mode = Mode::kFull;
  Fixture f(c);
  component::TracesBatch in(OneSpan(ChatSpan()));
  component::TracesBatch keep = in;
  ASSERT_TRUE(f.processor->ConsumeTraces(in).ok());
  EXPECT_EQ(&f.capture.traces.back().get(), &keep.get());  // same data, not a copy
  EXPECT_FALSE(f.processor->MutatesData());
}

TEST(Redaction, SharedBatchIsClonedNotChanged) {
  Fixture f;
  component::TracesBatch in(OneSpan(ChatSpan()));
  component::TracesBatch other = in;  // another consumer still holds it
  ASSERT_TRUE(f.processor->ConsumeTraces(in).ok());
  EXPECT_EQ(
      Str(other->resource_spans[0].scope_spans[0].spans[0].attributes, "gen_ai.prompt.0.content"),
      "call me at +1 415 555 2671");
  EXPECT_EQ(Str(Out(f).attributes, "gen_ai.prompt.0.content"), "call me at [REDACTED:phone]");
}

TEST(Redaction, SpanEventsAndExtraKeys) {
  Config c;
  c.attributes = {"user.note"};
  Fixture f(c);
  pdata::Span s = ChatSpan();
  s.events.push_back({1, "gen_ai.content.prompt", {{"gen_ai.prompt", "I'm dave@example.org"}}});
  s.events.push_back({2, "gen_ai.user.message", {{"content", "IBAN DE89370400440532013000"}}});
  s.events.push_back({3, "exception", {{"message", "connect 10.0.0.1 failed"}}});  // not GenAI
  ASSERT_TRUE(f.processor->ConsumeTraces(component::TracesBatch(OneSpan(std::move(s)))).ok());
  const auto& out = Out(f);
  EXPECT_EQ(Str(out.events[0].attributes, "gen_ai.prompt"), "I'm [REDACTED:email]");
  EXPECT_EQ(Str(out.events[1].attributes, "content"), "IBAN [REDACTED:iban]");
  EXPECT_EQ(Str(out.events[2].attributes, "message"), "connect 10.0.0.1 failed");
  EXPECT_EQ(Str(out.attributes, "user.note"), "mail [REDACTED:email]");
  EXPECT_EQ(Str(out.attributes, "astrolabe.redaction.count"), "8");
}

pdata::Logs OneLog(pdata::LogRecord r) {
  pdata::Logs l;
  l.resource_logs.emplace_back();
  l.resource_logs[0].scope_logs.emplace_back();
  l.resource_logs[0].scope_logs[0].log_records.push_back(std::move(r));
  return l;
}

pdata::LogRecord ChoiceEvent() {
  // As @opentelemetry/instrumentation-openai sends it: event.name attribute, kvlist body.
  pdata::LogRecord r;
  r.attributes = {{"event.name", "gen_ai.choice"}, {"gen_ai.system", "openai"}};
  r.body = pdata::KeyValueList{
      {"finish_reason", "stop"},
      {"index", 0},
      {"message", pdata::KeyValueList{{"content", "Write to eve@example.com"}}}};
  return r;
}

TEST(Redaction, LogEventBodies) {
  Fixture f;
  ASSERT_TRUE(f.processor->ConsumeLogs(component::LogsBatch(OneLog(ChoiceEvent()))).ok());
  const auto& r = f.capture.logs.back()->resource_logs[0].scope_logs[0].log_records[0];
  EXPECT_EQ(
      pdata::AnyValueToString(r.body),
      R"({"finish_reason":"stop","index":0,"message":{"content":"Write to [REDACTED:email]"}})");
  EXPECT_EQ(Str(r.attributes, "astrolabe.redaction.count"), "1");
}

TEST(Redaction, LogEventBodiesDropped) {
  Config c;
  c.mode = Mode::kDrop;
  Fixture f(c);
  pdata::LogRecord plain;  // an ordinary application log is not GenAI content
  plain.body = "user bob@example.com logged in";
  pdata::Logs logs = OneLog(ChoiceEvent());
  logs.resource_logs[0].scope_logs[0].log_records.push_back(plain);
  ASSERT_TRUE(f.processor->ConsumeLogs(component::LogsBatch(std::move(logs))).ok());
  const auto& recs = f.capture.logs.back()->resource_logs[0].scope_logs[0].log_records;
  EXPECT_EQ(pdata::AnyValueToString(recs[0].body),
            R"({"finish_reason":"stop","index":0,"message":{}})");
  EXPECT_EQ(Str(recs[0].attributes, "astrolabe.redaction.mode"), "drop");
  EXPECT_EQ(pdata::AnyValueToString(recs[1].body), "user bob@example.com logged in");
}

TEST(Redaction, FactoryRejectsMetrics) {
  auto factory = NewFactory();
  Config c;
  component::CreateSettings settings;
  Capture next;
  auto p = factory->CreateProcessor(settings, c, component::Signal::kMetrics, next);
  EXPECT_FALSE(p.ok());
  EXPECT_TRUE(factory->CreateProcessor(settings, c, component::Signal::kLogs, next).ok());
}

}  // namespace
}  // namespace astrolabe::processor::redaction
