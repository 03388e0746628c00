#include "processor/genai/genai_processor.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "component/testing/decode_testdata.h"
#include "component/testing/lifecycle.h"
#include "processor/genai/config.h"
#include "processor/genai/factory.h"
#include "wire/otlp_json.h"

namespace astrolabe::processor::genai {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Capture : public component::Consumer {
 public:
  Status ConsumeTraces(component::TracesBatch batch) override {
    traces.push_back(std::move(batch));
    return Status::Ok();
  }
  Status ConsumeLogs(component::LogsBatch batch) override {
    logs.push_back(std::move(batch));
    return Status::Ok();
  }
  std::vector<component::TracesBatch> traces;
  std::vector<component::LogsBatch> logs;
};

TEST(GenAiConfig, DefaultsAndFullConfig) {
  Config defaults;
  EXPECT_TRUE(defaults.Validate().ok());
  EXPECT_EQ(defaults.dialects.size(), 3u);
  EXPECT_TRUE(defaults.keep_original_attributes);
  EXPECT_TRUE(defaults.default_prices);

  config::Diagnostics diag;
  Config config;
  component::test::DecodeTestdata("config_full.yaml", "processors", "genai", &config, diag);
  ASSERT_FALSE(diag.has_errors()) << diag.ToStatus().message();
  EXPECT_EQ(config.dialects, (std::vector<std::string>{"otel", "openinference"}));
  EXPECT_FALSE(config.keep_original_attributes);
  EXPECT_EQ(config.max_message_bytes, 64u * 1024);
  EXPECT_FALSE(config.default_prices);
  EXPECT_EQ(config.prices_file, "testdata/prices.yaml");
  ASSERT_EQ(config.prices.size(), 1u);
  EXPECT_EQ(config.prices[0].currency, "EUR");
  EXPECT_EQ(config.prices[0].reasoning, 0.20);
  EXPECT_TRUE(config.Validate().ok()) << config.Validate().message();
}

TEST(GenAiConfig, TypoAndBadValuesAreNamed) {
  config::Diagnostics diag;
  Config config;
  component::test::DecodeTestdata("config_typo.yaml", "processors", "genai", &config, diag);
  ASSERT_TRUE(diag.has_errors());
  EXPECT_NE(diag.ToStatus().message().find("did you mean prices_file"), std::string::npos)
      << diag.ToStatus().message();

  Config bad;
  bad.dialects = {"otel", "langfuse"};
  EXPECT_NE(bad.Validate().message().find("unknown dialect \"langfuse\""), std::string::npos);
  bad = Config();
  bad.prices_file = "testdata/prices_bad.yaml";
  EXPECT_NE(bad.Validate().message().find("prices_file: testdata/prices_bad.yaml:2"),
            std::string::npos)
      << bad.Validate().message();
  bad.prices_file = "testdata/missing.yaml";
  EXPECT_NE(bad.Validate().message().find("cannot be read"), std::string::npos);
  bad = Config();
  bad.prices.resize(1);
  bad.prices[0].model = "m";
  EXPECT_NE(bad.Validate().message().find("prices[0]: model m: input"), std::string::npos);
  bad = Config();
  bad.max_message_bytes = 10;
  EXPECT_FALSE(bad.Validate().ok());
}

TEST(GenAiFactory, Lifecycle) {
  auto factory = NewFactory();
  EXPECT_EQ(factory->type(), "genai");
  EXPECT_TRUE(factory->Supports(component::Signal::kTraces));
  EXPECT_TRUE(factory->Supports(component::Signal::kLogs));
  EXPECT_FALSE(factory->Supports(component::Signal::kMetrics));
  component::test::RunLifecycleTests(*factory);
}

class GenAiProcessorTest : public ::testing::Test {
 protected:
  std::unique_ptr<component::Processor> Create(const Config& config, component::Signal signal) {
    component::CreateSettings settings;
    settings.id = config::ComponentId{"genai", ""};
    settings.telemetry = &telemetry_;
    auto p = NewFactory()->CreateProcessor(settings, config, signal, sink_);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? std::move(*p) : nullptr;
  }
  double Counter(const std::string& name, component::Labels extra = {}) {
    component::Labels labels = {{"processor", "genai"}};
    labels.insert(labels.end(), extra.begin(), extra.end());
    return telemetry_.GetCounter(name, "", labels)->value();
  }
  component::Telemetry telemetry_;
  Capture sink_;
};

TEST_F(GenAiProcessorTest, NormalisesTheSampleSpanAndCounts) {
  auto p = Create(Config(), component::Signal::kTraces);
  ASSERT_NE(p, nullptr);
  Result<pdata::Traces> t =
      wire::DecodeTracesJson(ReadFile("../../genai/testdata/sample_span_3_5.json"));
  ASSERT_TRUE(t.ok());
  // A second, plain span and an unknown model.
  pdata::Span plain;
  plain.name = "GET /";
  plain.attributes = {{"http.method", "GET"}};
  pdata::Span unknown;
  unknown.attributes = {{"gen_ai.operation.name", "chat"},
                        {"gen_ai.request.model", "mine"},
                        {"gen_ai.usage.input_tokens", "x"},
                        {"gen_ai.usage.output_tokens", 3}};
  auto& spans = t->resource_spans[0].scope_spans[0].spans;
  spans.push_back(plain);
  spans.push_back(unknown);
  component::TracesBatch batch(std::move(*t));
  component::TracesBatch shared = batch;  // the processor must not write through a shared batch
  ASSERT_TRUE(p->ConsumeTraces(batch).ok());
  ASSERT_EQ(sink_.traces.size(), 1u);
  const auto& out = sink_.traces[0].get().resource_spans[0].scope_spans[0].spans;
  ASSERT_EQ(out.size(), 3u);
  const pdata::AnyValue* cost = pdata::FindAttribute(out[0].attributes, "astrolabe.genai.cost");
  ASSERT_NE(cost, nullptr);
  EXPECT_NEAR(cost->double_value(), 0.0006925, 1e-12);
  EXPECT_EQ(out[1].attributes.size(), 1u);
  EXPECT_EQ(pdata::FindAttribute(shared.get().resource_spans[0].scope_spans[0].spans[0].attributes,
                                 "astrolabe.genai.cost"),
            nullptr);
  EXPECT_EQ(Counter("astrolabe_processor_genai_spans_total", {{"dialect", "openllmetry"}}), 1);
  EXPECT_EQ(Counter("astrolabe_processor_genai_spans_total", {{"dialect", "otel"}}), 1);
  EXPECT_EQ(Counter("astrolabe_processor_genai_cost_applied_total"), 1);
  EXPECT_EQ(Counter("astrolabe_processor_genai_unknown_model_total"), 1);
  EXPECT_EQ(Counter("astrolabe_processor_genai_malformed_total"), 1);
  EXPECT_NE(telemetry_.RenderText().find("astrolabe_processor_genai_spans_total"),
            std::string::npos);
}

TEST_F(GenAiProcessorTest, UserPricesWinAndDatesApply) {
  Config config;
  config.prices_file = "testdata/prices.yaml";
  config.prices.resize(1);
  config.prices[0].model = "meta/llama-3.1-8b-instruct";
  config.prices[0].input = 1;
  config.prices[0].output = 2;
  config.prices[0].currency = "EUR";
  auto p = Create(config, component::Signal::kTraces);
  ASSERT_NE(p, nullptr);
  auto span = [](std::string model, uint64_t start_seconds) {
    pdata::Span s;
    s.start_time_unix_nano = start_seconds * 1'000'000'000ull;
    s.attributes = {{"gen_ai.operation.name", "chat"},
                    {"gen_ai.provider.name", "openai"},
                    {"gen_ai.request.model", model},
                    {"gen_ai.usage.input_tokens", 1000},
                    {"gen_ai.usage.output_tokens", 1000}};
    return s;
  };
  pdata::Traces t;
  t.resource_spans.resize(1);
  t.resource_spans[0].scope_spans.resize(1);
  auto& spans = t.resource_spans[0].scope_spans[0].spans;
  spans.push_back(span("meta/llama-3.1-8b-instruct", 1'790'000'000));  // inline: 1 / 2 EUR
  spans.push_back(span("gpt-4o-2024-08-06", 1'770'000'000));           // 2026-02: file 2 / 8
  spans.push_back(span("gpt-4o", 1'790'000'000));  // 2026-09: file from 2026-06 1 / 4
  spans.push_back(span("claude-3-5-haiku-latest", 1'790'000'000));  // built-in 0.8 / 4
  ASSERT_TRUE(p->ConsumeTraces(component::TracesBatch(std::move(t))).ok());
  const auto& out = sink_.traces.at(0).get().resource_spans[0].scope_spans[0].spans;
  auto cost = [&](size_t i) {
    return pdata::FindAttribute(out[i].attributes, "astrolabe.genai.cost")->double_value();
  };
  EXPECT_NEAR(cost(0), 3000 / 1e6, 1e-15);
  EXPECT_EQ(
      pdata::FindAttribute(out[0].attributes, "astrolabe.genai.cost.currency")->string_value(),
      "EUR");
  EXPECT_NEAR(cost(1), 10000 / 1e6, 1e-15);
  EXPECT_NEAR(cost(2), 5000 / 1e6, 1e-15);
  EXPECT_NEAR(cost(3), 4800 / 1e6, 1e-15);
}

TEST_F(GenAiProcessorTest, NoDefaultPricesNoCost) {
  Config config;
  config.default_prices = false;
  auto p = Create(config, component::Signal::kTraces);
  pdata::Traces t;
  t.resource_spans.resize(1);
  t.resource_spans[0].scope_spans.resize(1);
  pdata::Span s;
  s.attributes = {{"gen_ai.request.model", "gpt-4o"}, {"gen_ai.usage.input_tokens", 10}};
  t.resource_spans[0].scope_spans[0].spans.push_back(s);
  ASSERT_TRUE(p->ConsumeTraces(component::TracesBatch(std::move(t))).ok());
  const auto& out = sink_.traces.at(0).get().resource_spans[0].scope_spans[0].spans[0];
  EXPECT_EQ(pdata::FindAttribute(out.attributes, "astrolabe.genai.cost"), nullptr);
  EXPECT_EQ(Counter("astrolabe_processor_genai_unknown_model_total"), 0);  // nothing to price with
}

TEST_F(GenAiProcessorTest, LogsGetMessages) {
  auto p = Create(Config(), component::Signal::kLogs);
  ASSERT_NE(p, nullptr);
  pdata::Logs logs;
  logs.resource_logs.resize(1);
  logs.resource_logs[0].scope_logs.resize(1);
  pdata::LogRecord r;
  r.attributes = {{"event.name", "gen_ai.user.message"}, {"gen_ai.system", "openai"}};
  r.body = pdata::KeyValueList{{"content", "hello"}};
  logs.resource_logs[0].scope_logs[0].log_records.push_back(r);
  pdata::LogRecord plain;
  plain.body = "just a log";
  logs.resource_logs[0].scope_logs[0].log_records.push_back(plain);
  ASSERT_TRUE(p->ConsumeLogs(component::LogsBatch(std::move(logs))).ok());
  const auto& out = sink_.logs.at(0).get().resource_logs[0].scope_logs[0].log_records;
  EXPECT_EQ(pdata::FindAttribute(out[0].attributes, "gen_ai.input.messages")->string_value(),
            R"([{"role":"user","parts":[{"type":"text","content":"hello"}]}])");
  EXPECT_TRUE(out[1].attributes.empty());
  EXPECT_EQ(Counter("astrolabe_processor_genai_log_records_total", {{"dialect", "otel"}}), 1);
}

}  // namespace
}  // namespace astrolabe::processor::genai
