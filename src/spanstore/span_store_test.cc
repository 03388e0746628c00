#include "spanstore/span_store.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "spanstore/format.h"
#include "spanstore/test_util.h"
#include "wire/otlp_proto.h"

// Designated initializers name only the fields a test sets; g++ 12 warns about the rest.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace astrolabe::spanstore {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kHour = 3600ull * 1000000000ull;
constexpr uint64_t kT0 = 1763800000ull * 1000000000ull / kHour * kHour;  // an hour boundary

class SpanStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() /
            ("spanstore_test_" + std::to_string(getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<SpanStore> OpenStore(Options options = {}) {
    auto s = SpanStore::Open(dir_, std::move(options));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }

  std::vector<std::string> Segments() const {
    std::vector<std::string> out;
    for (const auto& de : fs::directory_iterator(dir_)) {
      if (de.path().extension() == ".seg") out.push_back(de.path().string());
    }
    std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
      return a.substr(a.size() - 12) < b.substr(b.size() - 12);  // by sequence number
    });
    return out;
  }

  std::string dir_;
};

pdata::Span MakeSpan(uint8_t trace, uint8_t id, uint64_t start, uint64_t dur,
                     std::string name = "op") {
  pdata::Span s;
  s.trace_id.bytes[0] = trace;
  s.trace_id.bytes[15] = 1;
  s.span_id.bytes[0] = id;
  s.name = std::move(name);
  s.kind = pdata::SpanKind::kServer;
  s.start_time_unix_nano = start;
  s.end_time_unix_nano = start + dur;
  return s;
}

pdata::Traces OneResource(std::string service, std::vector<pdata::Span> spans) {
  pdata::ResourceSpans rs;
  rs.resource.attributes = {{"service.name", std::move(service)}, {"host.name", "h1"}};
  rs.schema_url = "https://opentelemetry.io/schemas/1.26.0";
  rs.scope_spans.emplace_back();
  rs.scope_spans[0].scope.name = "scope";
  rs.scope_spans[0].scope.version = "1";
  rs.scope_spans[0].scope.attributes = {{"scope.attr", "s"}};
  rs.scope_spans[0].spans = std::move(spans);
  pdata::Traces t;
  t.resource_spans.push_back(std::move(rs));
  return t;
}

std::vector<std::string> Names(const SpanSearchResult& r) {
  std::vector<std::string> out;
  for (const auto& s : r.spans) out.push_back(s.name);
  return out;
}

// A full disk (the process' RLIMIT_FSIZE, SIGXFSZ ignored: write() fails with EFBIG): the
// Append fails naming the file, is rolled back, and once there is room Appends work again
// without reopening; after a reopen exactly the successful Appends are there, no torn tail.
TEST_F(SpanStoreTest, AFailedWriteIsRolledBackAndAppendsResumeWhenSpaceReturns) {
  auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  struct rlimit saved {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  {
    auto store = OpenStore();
    ASSERT_TRUE(store->Append(OneResource("svc", {MakeSpan(1, 1, kT0 + 1000, 10)})).ok());
    uint64_t size = 0;
    for (const auto& seg : Segments()) size = std::max<uint64_t>(size, fs::file_size(seg));
    struct rlimit full = saved;
    full.rlim_cur = size + 20;  // a short write, then EFBIG
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &full), 0);
    std::vector<pdata::Span> big;
    for (uint8_t i = 0; i < 50; ++i) big.push_back(MakeSpan(2, i + 1, kT0 + 2000, 10, "big"));
    Status st = store->Append(OneResource("svc", big));
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &saved), 0);
    EXPECT_EQ(st.code(), StatusCode::kResourceExhausted) << st.ToString();
    EXPECT_NE(st.message().find("File too large"), std::string::npos) << st.ToString();
    ASSERT_TRUE(store->Append(OneResource("svc", {MakeSpan(3, 1, kT0 + 3000, 10)})).ok());
    auto missing = store->GetTrace(MakeSpan(2, 1, 0, 0).trace_id);
    EXPECT_TRUE(!missing.ok() || missing->spans.empty());
  }
  ::signal(SIGXFSZ, old_handler);
  auto store = OpenStore();
  EXPECT_EQ(store->stats().torn_tails, 0u);
  EXPECT_EQ(store->stats().corrupt_segments, 0u);
  EXPECT_EQ(store->stats().spans, 2u);
  auto t3 = store->GetTrace(MakeSpan(3, 1, 0, 0).trace_id);
  ASSERT_TRUE(t3.ok()) << t3.status().ToString();
  EXPECT_EQ(t3->spans.size(), 1u);
}

TEST_F(SpanStoreTest, AppendThenGetTraceReturnsEverySpanIntact) {
  auto store = OpenStore();
  std::mt19937_64 rng(1);
  pdata::Traces traces = testing::MakeGenAiTraces(rng, 20);
  ASSERT_TRUE(store->Append(traces).ok());
  EXPECT_EQ(store->stats().spans, 80u);
  // Every span comes back equal, with its resource and scope.
  for (const auto& rs : traces.resource_spans) {
    for (const auto& ss : rs.scope_spans) {
      for (const auto& span : ss.spans) {
        auto trace = store->GetTrace(span.trace_id);
        ASSERT_TRUE(trace.ok()) << trace.status().ToString();
        ASSERT_EQ(trace->spans.size(), 4u);
        bool seen = false;
        for (const StoredSpan& s : trace->spans) {
          if (s.span.span_id != span.span_id) continue;
          seen = true;
          EXPECT_EQ(s.span, span);
          EXPECT_EQ(s.resource, rs.resource);
          EXPECT_EQ(s.scope, ss.scope);
        }
        EXPECT_TRUE(seen);
      }
    }
  }
  // Spans of a trace are returned oldest first.
  auto trace = store->GetTrace(traces.resource_spans[0].scope_spans[0].spans[0].trace_id);
  ASSERT_TRUE(trace.ok());
  for (size_t i = 1; i < trace->spans.size(); ++i) {
    EXPECT_LE(trace->spans[i - 1].span.start_time_unix_nano,
              trace->spans[i].span.start_time_unix_nano);
  }
  pdata::TraceId unknown;
  unknown.bytes[3] = 0x77;
  auto none = store->GetTrace(unknown);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->spans.empty());
}

// Rows of one resource and scope share its bytes within a block: every row but the first of
// a block refers back to one that holds them. Small blocks put references at block edges.
TEST_F(SpanStoreTest, RowsSharingAContextReadBackWithIt) {
  std::mt19937_64 rng(2);
  pdata::Traces traces = testing::MakeGenAiTraces(rng, 16);
  // A second scope under the first resource, and a third resource equal to the first in all
  // but one attribute, so that contexts alternate within a request.
  pdata::ScopeSpans extra = traces.resource_spans[0].scope_spans[0];
  extra.scope.name = "@traceloop/instrumentation-langchain";
  traces.resource_spans[0].scope_spans.push_back(extra);
  pdata::ResourceSpans twin = traces.resource_spans[0];
  twin.resource.attributes.back().value = pdata::AnyValue(std::string("other-pod"));
  traces.resource_spans.push_back(twin);
  size_t spans = 0;
  for (const auto& rs : traces.resource_spans) {
    for (const auto& ss : rs.scope_spans) spans += ss.spans.size();
  }
  // What the contexts take when every row repeats its own.
  uint64_t context_bytes = 0;
  for (const auto& rs : traces.resource_spans) {
    for (const auto& ss : rs.scope_spans) {
      pdata::Traces context;
      context.resource_spans.push_back(rs);
      context.resource_spans[0].scope_spans = {ss};
      context.resource_spans[0].scope_spans[0].spans.clear();
      context_bytes += 2 * ss.spans.size() * wire::EncodeTracesRequest(context).size();
    }
  }
  std::map<uint32_t, uint64_t> raw_bytes;
  // 1 KiB blocks hold about one row each (nothing to share); 256 KiB blocks hold hundreds.
  for (uint32_t block_bytes : {1024u, 256u << 10}) {
    SCOPED_TRACE("block_bytes " + std::to_string(block_bytes));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto check = [&](SpanStore& store) {
      ASSERT_EQ(store.stats().spans, 2 * spans);
      for (const auto& rs : traces.resource_spans) {
        for (const auto& ss : rs.scope_spans) {
          for (const auto& span : ss.spans) {
            auto trace = store.GetTrace(span.trace_id);
            ASSERT_TRUE(trace.ok()) << trace.status().ToString();
            int seen = 0;
            for (const StoredSpan& s : trace->spans) {
              if (s.span.span_id != span.span_id || s.scope != ss.scope ||
                  s.resource != rs.resource) {
                continue;
              }
              ++seen;
              EXPECT_EQ(s.span, span);
            }
            EXPECT_EQ(seen, 2);  // once per Append
          }
        }
      }
    };
    {
      auto store = OpenStore(Options{.block_bytes = block_bytes});
      ASSERT_TRUE(store->Append(traces).ok());
      ASSERT_TRUE(store->Append(traces).ok());  // the same contexts again, a request later
      raw_bytes[block_bytes] = store->stats().raw_bytes;
      check(*store);
    }
    auto reopened = OpenStore(Options{.block_bytes = block_bytes});
    check(*reopened);
  }
  EXPECT_LT(raw_bytes[256u << 10] + context_bytes * 8 / 10, raw_bytes[1024])
      << "contexts repeated in large blocks";
}

TEST_F(SpanStoreTest, GenAiFieldsAreIndexedAndReturned) {
  auto store = OpenStore();
  pdata::Span s = MakeSpan(1, 1, kT0 + 10, 1000, "chat gpt-4o");
  s.attributes = {{"gen_ai.request.model", "gpt-4o"},
                  {"gen_ai.provider.name", "openai"},
                  {"gen_ai.operation.name", "chat"},
                  {"gen_ai.usage.input_tokens", 25},
                  {"gen_ai.usage.output_tokens", 12},
                  {"gen_ai.response.finish_reasons",
                   pdata::ArrayValue{pdata::AnyValue("stop"), pdata::AnyValue("length")}}};
  pdata::Span plain = MakeSpan(1, 2, kT0 + 20, 1000, "db.query");
  ASSERT_TRUE(store->Append(OneResource("bot", {s, plain})).ok());

  auto r = store->Search({.model = "gpt-4o"});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->spans.size(), 1u);
  const SpanSummary& got = r->spans[0];
  EXPECT_EQ(got.service, "bot");
  EXPECT_EQ(got.genai.model, "gpt-4o");
  EXPECT_EQ(got.genai.provider, "openai");
  EXPECT_EQ(got.genai.operation, "chat");
  EXPECT_EQ(got.genai.input_tokens, 25);
  EXPECT_EQ(got.genai.output_tokens, 12);
  EXPECT_EQ(got.genai.finish_reason, "stop,length");
  EXPECT_TRUE(std::isnan(got.genai.cost));
  EXPECT_EQ(got.kind, pdata::SpanKind::kServer);
  EXPECT_EQ(got.duration_nanos(), 1000u);

  EXPECT_EQ(store->Search({.provider = "openai"})->spans.size(), 1u);
  EXPECT_EQ(store->Search({.operation = "chat"})->spans.size(), 1u);
  EXPECT_EQ(store->Search({.finish_reason = "length"})->spans.size(), 1u);
  EXPECT_EQ(store->Search({.finish_reason = "len"})->spans.size(), 0u);
  EXPECT_EQ(store->Search({.min_input_tokens = 25})->spans.size(), 1u);
  EXPECT_EQ(store->Search({.min_input_tokens = 26})->spans.size(), 0u);
  EXPECT_EQ(store->Search({.min_output_tokens = 1})->spans.size(), 1u);
  EXPECT_EQ(store->Search({.min_cost = 0.0})->spans.size(), 0u) << "unknown cost never matches";
  EXPECT_EQ(store->Search({.model = "gpt-5"})->spans.size(), 0u);

  auto trace = store->GetTrace(s.trace_id);
  ASSERT_TRUE(trace.ok());
  ASSERT_EQ(trace->spans.size(), 2u);
  EXPECT_EQ(trace->spans[0].genai.model, "gpt-4o");
  EXPECT_EQ(trace->spans[1].genai.model, "");
}

TEST_F(SpanStoreTest, CustomIndexHookFillsCost) {
  Options o;
  o.index_hook = [](const pdata::Resource& r, const pdata::InstrumentationScope& sc,
                    const pdata::Span& span, GenAiFields* f) {
    DefaultSpanIndexHook(r, sc, span, f);
    if (f->input_tokens >= 0) f->cost = 0.001 * static_cast<double>(f->input_tokens);
  };
  auto store = OpenStore(std::move(o));
  pdata::Span a = MakeSpan(1, 1, kT0, 10);
  a.attributes = {{"gen_ai.usage.input_tokens", 2000}};
  pdata::Span b = MakeSpan(1, 2, kT0 + 1, 10);
  b.attributes = {{"gen_ai.usage.input_tokens", 100}};
  ASSERT_TRUE(store->Append(OneResource("svc", {a, b})).ok());
  auto r = store->Search({.min_cost = 1.0});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->spans.size(), 1u);
  EXPECT_DOUBLE_EQ(r->spans[0].genai.cost, 2.0);
}

// The index holds a span's four GenAI strings as one tuple id and its token counts in 56
// bits: every combination of filters answers as before, after a reopen too, and a count the
// index cannot hold is stored as not known rather than cut.
TEST_F(SpanStoreTest, GenAiTuplesAndTokenBoundsSurviveReopen) {
  Options o;
  o.index_hook = [](const pdata::Resource& r, const pdata::InstrumentationScope& sc,
                    const pdata::Span& span, GenAiFields* f) {
    DefaultSpanIndexHook(r, sc, span, f);
    if (span.name == "huge") {
      f->input_tokens = internal::kMaxTokens;
      f->output_tokens = internal::kMaxTokens + 1;
    } else if (span.name == "max") {
      f->output_tokens = std::numeric_limits<int64_t>::max();
    }
  };
  struct Call {
    const char *model, *provider, *operation, *finish;
  };
  const Call calls[] = {{"m1", "p1", "chat", "stop"},        {"m1", "p1", "chat", "length"},
                        {"m2", "p2", "embeddings", ""},      {"m1", "p2", "chat", "stop"},
                        {"m1", "p1", "chat", "stop,length"}, {"", "", "", ""}};
  std::vector<pdata::Span> spans;
  uint8_t id = 1;
  for (const Call& c : calls) {
    pdata::Span s = MakeSpan(1, id, kT0 + id, 10, "call");
    if (*c.model) s.attributes.push_back({"gen_ai.request.model", c.model});
    if (*c.provider) s.attributes.push_back({"gen_ai.provider.name", c.provider});
    if (*c.operation) s.attributes.push_back({"gen_ai.operation.name", c.operation});
    if (*c.finish) s.attributes.push_back({"gen_ai.response.finish_reasons", c.finish});
    s.attributes.push_back({"gen_ai.usage.input_tokens", int64_t{id} * 10});
    spans.push_back(std::move(s));
    ++id;
  }
  spans.push_back(MakeSpan(1, id++, kT0 + 20, 10, "huge"));
  spans.push_back(MakeSpan(1, id++, kT0 + 21, 10, "max"));

  auto check = [&](SpanStore& store) {
    auto count = [&](SpanQuery q) {
      auto r = store.Search(q);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      size_t scanned = 0;
      auto n = store.ScanGenAi(q, [&](const GenAiRow&) { ++scanned; });
      EXPECT_TRUE(n.ok());
      // Every match here is a GenAI call, so the scan sees what the search finds.
      EXPECT_EQ(scanned, r.ok() ? r->spans.size() : 0u) << q.model << q.provider << q.operation;
      return r.ok() ? r->spans.size() : 0u;
    };
    EXPECT_EQ(count({.model = "m1"}), 4u);
    EXPECT_EQ(count({.provider = "p2"}), 2u);
    EXPECT_EQ(count({.model = "m1", .provider = "p2"}), 1u);
    EXPECT_EQ(count({.model = "m1", .finish_reason = "stop"}), 3u);
    EXPECT_EQ(count({.model = "m1", .finish_reason = "length"}), 2u);
    EXPECT_EQ(count({.operation = "embeddings"}), 1u);
    EXPECT_EQ(count({.model = "m2", .operation = "chat"}), 0u);
    EXPECT_EQ(count({.model = "m3"}), 0u);
    EXPECT_EQ(count({.model = "m1", .min_input_tokens = 40}), 2u);

    auto r = store.Search({.model = "m2"});
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->spans.size(), 1u);
    EXPECT_EQ(r->spans[0].genai.provider, "p2");
    EXPECT_EQ(r->spans[0].genai.operation, "embeddings");
    EXPECT_EQ(r->spans[0].genai.finish_reason, "");
    EXPECT_EQ(r->spans[0].genai.input_tokens, 30);

    auto plain = store.Search({.span_name = "call", .min_input_tokens = 60});
    ASSERT_TRUE(plain.ok());
    ASSERT_EQ(plain->spans.size(), 1u);
    EXPECT_EQ(plain->spans[0].genai.model, "");
    EXPECT_EQ(plain->spans[0].genai.input_tokens, 60);

    auto huge = store.Search({.span_name = "huge"});
    ASSERT_TRUE(huge.ok());
    ASSERT_EQ(huge->spans.size(), 1u);
    EXPECT_EQ(huge->spans[0].genai.input_tokens, internal::kMaxTokens);
    EXPECT_EQ(huge->spans[0].genai.output_tokens, -1) << "past the index's 56 bits";
    auto max = store.Search({.span_name = "max"});
    ASSERT_TRUE(max.ok());
    ASSERT_EQ(max->spans.size(), 1u);
    EXPECT_EQ(max->spans[0].genai.output_tokens, -1);
    EXPECT_EQ(count({.min_output_tokens = 0}), 0u);
  };
  {
    auto store = OpenStore(o);
    ASSERT_TRUE(store->Append(OneResource("svc", spans)).ok());
    check(*store);
  }
  auto store = OpenStore(o);
  EXPECT_EQ(store->stats().spans, spans.size());
  check(*store);
}

// ScanGenAi visits exactly the GenAI spans Search finds with the same filters (paged to the
// end), with the same indexed fields, and skips the workflow spans that carry none.
TEST_F(SpanStoreTest, ScanGenAiVisitsWhatSearchFinds) {
  Options o;
  o.index_hook = [](const pdata::Resource& r, const pdata::InstrumentationScope& sc,
                    const pdata::Span& span, GenAiFields* f) {
    DefaultSpanIndexHook(r, sc, span, f);
    if (f->input_tokens >= 0) f->cost = 1e-6 * static_cast<double>(f->input_tokens);
  };
  auto store = OpenStore(std::move(o));
  std::mt19937_64 rng(11);
  ASSERT_TRUE(
      store->Append(testing::MakeGenAiTraces(rng, 300, {.time_spread = 3 * kHour})).ok());
  auto search_all = [&](SpanQuery q) {
    std::map<std::string, SpanSummary> out;
    q.limit = 10000;
    auto r = store->Search(q);
    EXPECT_TRUE(r.ok());
    for (const SpanSummary& s : r->spans) {
      if (!s.genai.model.empty()) out[s.span_id.ToHex()] = s;
    }
    return out;
  };
  const uint64_t base = testing::GenAiTraceShape{}.base_time;
  std::vector<SpanQuery> queries = {
      {},
      {.model = "gpt-4o-mini"},
      {.start_unix_nano = base + kHour, .end_unix_nano = base + 2 * kHour},
      {.service = "summarizer", .finish_reason = "length"},
      {.min_duration_nanos = 2'000'000'000, .min_input_tokens = 1000, .min_cost = 0.0015},
      {.provider = "never-seen"},
  };
  for (size_t i = 0; i < queries.size(); ++i) {
    auto want = search_all(queries[i]);
    std::map<std::string, GenAiRow> got;
    std::map<std::string, std::string> strings;
    auto scanned = store->ScanGenAi(queries[i], [&](const GenAiRow& row) {
      got[row.span_id->ToHex()] = row;
      strings[row.span_id->ToHex()] = std::string(row.model) + "|" + std::string(row.provider) +
                                      "|" + std::string(row.service) + "|" +
                                      std::string(row.finish_reason);
    });
    ASSERT_TRUE(scanned.ok()) << i;
    ASSERT_EQ(got.size(), want.size()) << "query " << i;
    if (i == 0) {
      EXPECT_EQ(got.size(), 900u);
    }
    for (const auto& [id, s] : want) {
      ASSERT_EQ(got.count(id), 1u) << id;
      const GenAiRow& row = got[id];
      EXPECT_EQ(strings[id], s.genai.model + "|" + s.genai.provider + "|" + s.service + "|" +
                                 s.genai.finish_reason);
      EXPECT_EQ(row.input_tokens, s.genai.input_tokens);
      EXPECT_EQ(row.output_tokens, s.genai.output_tokens);
      EXPECT_DOUBLE_EQ(row.cost, s.genai.cost);
      EXPECT_EQ(row.duration_nanos(), s.duration_nanos());
      EXPECT_EQ(*row.trace_id, s.trace_id);
    }
  }
  EXPECT_EQ(store->ScanGenAi({.attributes = {{"a", "b"}}}, [](const GenAiRow&) {})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store->ScanGenAi({.cursor = "c1.1.1.1.1"}, [](const GenAiRow&) {}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(SpanStoreTest, SearchFiltersAndOrdersNewestFirst) {
  auto store = OpenStore();
  pdata::Span err = MakeSpan(1, 1, kT0 + 5 * kHour / 10, 5'000'000, "checkout");
  err.status.code = pdata::SpanStatus::Code::kError;
  err.attributes = {{"http.route", "/pay"}, {"retry", 3}};
  pdata::Span slow = MakeSpan(2, 2, kT0 + 15 * kHour / 10, 900'000'000, "checkout");
  slow.attributes = {{"http.route", "/cart"}};
  pdata::Span fast = MakeSpan(3, 3, kT0 + 25 * kHour / 10, 1'000, "render");
  ASSERT_TRUE(store->Append(OneResource("shop", {err, slow})).ok());
  ASSERT_TRUE(store->Append(OneResource("web", {fast})).ok());
  EXPECT_EQ(store->stats().partitions, 3u);

  EXPECT_EQ(Names(*store->Search({})),
            (std::vector<std::string>{"render", "checkout", "checkout"}));
  EXPECT_EQ(store->Search({})->spans[1].trace_id, slow.trace_id);
  EXPECT_EQ(Names(*store->Search({.service = "web"})), std::vector<std::string>{"render"});
  EXPECT_EQ(store->Search({.span_name = "checkout"})->spans.size(), 2u);
  EXPECT_EQ(store->Search({.status = pdata::SpanStatus::Code::kError})->spans.size(), 1u);
  EXPECT_EQ(store->Search({.status = pdata::SpanStatus::Code::kOk})->spans.size(), 0u);
  EXPECT_EQ(store->Search({.min_duration_nanos = 5'000'000})->spans.size(), 2u);
  EXPECT_EQ(store->Search({.max_duration_nanos = 5'000'000})->spans.size(), 2u);
  EXPECT_EQ(store->Search({.min_duration_nanos = 5'000'001, .max_duration_nanos = 900'000'000})
                ->spans.size(),
            1u);
  // Time range: [start, end) on the span start.
  EXPECT_EQ(store->Search({.start_unix_nano = kT0 + 15 * kHour / 10})->spans.size(), 2u);
  EXPECT_EQ(
      store->Search({.start_unix_nano = kT0, .end_unix_nano = kT0 + 15 * kHour / 10})->spans.size(),
      1u);
  EXPECT_EQ(store->Search({.start_unix_nano = kT0 + 3 * kHour})->spans.size(), 0u);
  // Attributes: span, then resource, then scope; compared as text.
  EXPECT_EQ(Names(*store->Search({.attributes = {{"http.route", "/cart"}}})),
            std::vector<std::string>{"checkout"});
  EXPECT_EQ(store->Search({.attributes = {{"retry", "3"}}})->spans.size(), 1u);
  EXPECT_EQ(store->Search({.attributes = {{"host.name", "h1"}}})->spans.size(), 3u);
  EXPECT_EQ(store->Search({.attributes = {{"scope.attr", "s"}}})->spans.size(), 3u);
  EXPECT_EQ(store->Search({.attributes = {{"host.name", "h1"}, {"retry", "4"}}})->spans.size(), 0u);
  EXPECT_EQ(
      store->Search({.service = "shop", .attributes = {{"http.route", "/pay"}}})->spans.size(), 1u);
}

TEST_F(SpanStoreTest, ServicesAndSpanNamesPerHour) {
  using V = std::vector<std::string>;
  auto store = OpenStore(Options{.retention_time = std::chrono::hours(1),
                                 .retention_interval = std::chrono::seconds(0)});
  ASSERT_TRUE(store
                  ->Append(OneResource("shop", {MakeSpan(1, 1, kT0 + 10, 1, "checkout"),
                                                MakeSpan(1, 2, kT0 + 20, 1, "cart")}))
                  .ok());
  ASSERT_TRUE(store
                  ->Append(OneResource("web", {MakeSpan(2, 1, kT0 + 2 * kHour, 1, "render"),
                                               MakeSpan(2, 2, kT0 + 2 * kHour, 1, "checkout")}))
                  .ok());
  ASSERT_TRUE(store->Append(OneResource("", {MakeSpan(3, 1, kT0 + 2 * kHour, 1, "anon")})).ok());
  pdata::Logs logs;  // a log's service is not a span's
  logs.resource_logs.emplace_back();
  logs.resource_logs[0].resource.attributes = {{"service.name", "logger"}};
  logs.resource_logs[0].scope_logs.emplace_back();
  logs.resource_logs[0].scope_logs[0].log_records.emplace_back().time_unix_nano = kT0 + 5;
  ASSERT_TRUE(store->Append(logs).ok());

  EXPECT_EQ(store->Services(), (V{"shop", "web"}));
  EXPECT_EQ(store->Services(kT0 + kHour, UINT64_MAX), V{"web"});
  EXPECT_EQ(store->Services(kT0, kT0 + kHour), V{"shop"});
  // Hour-granular: a range inside shop's hour lists it although no span starts within it.
  EXPECT_EQ(store->Services(kT0 + 30, kT0 + 40), V{"shop"});
  EXPECT_EQ(store->SpanNames("shop"), (V{"cart", "checkout"}));
  EXPECT_EQ(store->SpanNames("web"), (V{"checkout", "render"}));
  EXPECT_EQ(store->SpanNames("web", 0, kT0 + kHour), V{});
  EXPECT_EQ(store->SpanNames("nope"), V{});
  store.reset();
  store = OpenStore(Options{.retention_time = std::chrono::hours(1),
                            .retention_interval = std::chrono::seconds(0)});
  EXPECT_EQ(store->Services(), (V{"shop", "web"}));  // rebuilt at Open
  ASSERT_TRUE(store->EnforceRetention(kT0 + 2 * kHour + 1).ok());
  EXPECT_EQ(store->Services(), V{"web"});  // shop's hour is gone
  EXPECT_EQ(store->SpanNames("shop"), V{});
}

TEST_F(SpanStoreTest, AttributeFiltersMatchEveryValueTypeByItsText) {
  auto store = OpenStore();
  pdata::Span a = MakeSpan(1, 1, kT0, 1, "int");
  a.attributes = {{"v", 42}, {"user", "user-42"}};
  pdata::Span b = MakeSpan(1, 2, kT0 + 1, 1, "string");
  b.attributes = {{"v", "42"}, {"user", "user-4"}};
  pdata::Span c = MakeSpan(1, 3, kT0 + 2, 1, "bool");
  c.attributes = {{"v", true}, {"b64", pdata::Bytes{"hi!"}}};
  pdata::Span d = MakeSpan(1, 4, kT0 + 3, 1, "array");
  d.attributes = {{"v", pdata::ArrayValue{pdata::AnyValue("x"), pdata::AnyValue(1)}}};
  ASSERT_TRUE(store->Append(OneResource("svc", {a, b, c, d})).ok());
  EXPECT_EQ(Names(*store->Search({.attributes = {{"v", "42"}}})),
            (std::vector<std::string>{"string", "int"}));
  EXPECT_EQ(Names(*store->Search({.attributes = {{"v", "true"}}})),
            std::vector<std::string>{"bool"});
  EXPECT_EQ(Names(*store->Search({.attributes = {{"b64", "aGkh"}}})),
            std::vector<std::string>{"bool"});
  EXPECT_EQ(Names(*store->Search({.attributes = {{"v", R"(["x",1])"}}})),
            std::vector<std::string>{"array"});
  // A plain string value: rows without its bytes are skipped before decoding; a row holding
  // them as a prefix of another value still does not match.
  EXPECT_EQ(Names(*store->Search({.attributes = {{"user", "user-4"}}})),
            std::vector<std::string>{"string"});
}

TEST_F(SpanStoreTest, CursorPaginationVisitsEverySpanOnce) {
  auto store = OpenStore();
  std::vector<pdata::Span> spans;
  for (int i = 0; i < 250; ++i) {
    // Several share a start time: the tie-break must still be total.
    spans.push_back(MakeSpan(static_cast<uint8_t>(i % 7), static_cast<uint8_t>(i),
                             kT0 + static_cast<uint64_t>(i / 3) * kHour / 40, 10,
                             "s" + std::to_string(i)));
  }
  for (size_t i = 0; i < spans.size(); i += 50) {
    ASSERT_TRUE(store
                    ->Append(OneResource("svc", {spans.begin() + static_cast<long>(i),
                                                 spans.begin() + static_cast<long>(i + 50)}))
                    .ok());
  }
  for (bool with_attr : {false, true}) {
    SpanQuery q{.limit = 17};
    if (with_attr) q.attributes = {{"host.name", "h1"}};
    std::set<std::string> seen;
    uint64_t last_start = UINT64_MAX;
    int pages = 0;
    while (true) {
      auto r = store->Search(q);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      ++pages;
      for (const auto& s : r->spans) {
        EXPECT_TRUE(seen.insert(s.name).second) << "twice: " << s.name;
        EXPECT_LE(s.start_time_unix_nano, last_start);
        last_start = s.start_time_unix_nano;
      }
      if (r->next_cursor.empty()) break;
      EXPECT_EQ(r->spans.size(), 17u);
      q.cursor = r->next_cursor;
    }
    EXPECT_EQ(seen.size(), 250u);
    EXPECT_EQ(pages, 15);  // ceil(250 / 17)
  }
  EXPECT_EQ(store->Search({.limit = 0}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->Search({.limit = 10001}).status().code(), StatusCode::kInvalidArgument);
  auto bad = store->Search({.cursor = "garbage"});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("cursor"), std::string::npos);
}

TEST_F(SpanStoreTest, LogsAreLinkedToTheirTrace) {
  auto store = OpenStore();
  std::mt19937_64 rng(2);
  pdata::Traces traces = testing::MakeGenAiTraces(rng, 5);
  pdata::Logs logs = testing::MakeMessageLogs(traces);
  // And a log with no trace: stored, not linked.
  pdata::LogRecord orphan;
  orphan.observed_time_unix_nano = kT0;
  orphan.body = "no trace";
  logs.resource_logs[0].scope_logs[0].log_records.push_back(orphan);
  ASSERT_TRUE(store->Append(traces).ok());
  AppendStats st;
  ASSERT_TRUE(store->Append(logs, &st).ok());
  EXPECT_EQ(st.accepted, 16u);
  EXPECT_EQ(store->stats().logs, 16u);
  const pdata::Span& first = traces.resource_spans[0].scope_spans[0].spans[0];
  auto trace = store->GetTrace(first.trace_id);
  ASSERT_TRUE(trace.ok());
  EXPECT_EQ(trace->spans.size(), 4u);
  ASSERT_EQ(trace->logs.size(), 3u);  // one per LLM call
  for (const StoredLog& l : trace->logs) {
    EXPECT_EQ(l.record.trace_id, first.trace_id);
    EXPECT_EQ(l.record.body.kvlist_value()[0].value.string_value(), "How do I reset my password?");
    EXPECT_EQ(l.scope.name, "@opentelemetry/instrumentation-openai");
    EXPECT_EQ(pdata::FindAttribute(l.resource.attributes, "service.name")->string_value(),
              pdata::FindAttribute(traces.resource_spans[0].resource.attributes, "service.name")
                  ->string_value());
  }
  // Logs are not spans: a search does not return them.
  EXPECT_EQ(store->Search({.limit = 1000})->spans.size(), 20u);
}

TEST_F(SpanStoreTest, ReopenServesEverything) {
  std::mt19937_64 rng(3);
  pdata::Traces traces = testing::MakeGenAiTraces(rng, 50, {.time_spread = 3 * kHour});
  pdata::Logs logs = testing::MakeMessageLogs(traces);
  {
    auto store = OpenStore();
    ASSERT_TRUE(store->Append(traces).ok());
    ASSERT_TRUE(store->Append(logs).ok());
  }
  auto store = OpenStore();
  Stats s = store->stats();
  EXPECT_EQ(s.spans, 200u);
  EXPECT_EQ(s.logs, 150u);
  EXPECT_EQ(s.torn_tails, 0u);
  EXPECT_EQ(s.corrupt_segments, 0u);
  const pdata::Span& span = traces.resource_spans[1].scope_spans[0].spans[2];
  auto trace = store->GetTrace(span.trace_id);
  ASSERT_TRUE(trace.ok());
  EXPECT_EQ(trace->spans.size(), 4u);
  EXPECT_EQ(trace->logs.size(), 3u);
  // New writes go to new segment files, and the two runs' rows are all searchable.
  ASSERT_TRUE(store->Append(OneResource("late", {MakeSpan(9, 9, kT0, 1)})).ok());
  EXPECT_EQ(store->Search({.limit = 1000})->spans.size(), 201u);
  EXPECT_EQ(store->Search({.service = "late"})->spans.size(), 1u);
}

TEST_F(SpanStoreTest, SecondOpenOfTheSameDirectoryFails) {
  auto store = OpenStore();
  auto again = SpanStore::Open(dir_);
  EXPECT_EQ(again.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(again.status().message().find("in use"), std::string::npos);
}

TEST_F(SpanStoreTest, TornTailIsTruncatedAndTheRestServed) {
  {
    auto store = OpenStore();
    ASSERT_TRUE(store->Append(OneResource("a", {MakeSpan(1, 1, kT0, 1, "one")})).ok());
    ASSERT_TRUE(store->Append(OneResource("a", {MakeSpan(1, 2, kT0 + 1, 1, "two")})).ok());
  }
  auto segs = Segments();
  ASSERT_EQ(segs.size(), 1u);
  uint64_t good = fs::file_size(segs[0]);
  {
    // The start of a third block, as a crash in write() would leave it: a copy of the first
    // block's header and two bytes of its payload.
    std::string file;
    std::ifstream in(segs[0], std::ios::binary);
    file.assign(std::istreambuf_iterator<char>(in), {});
    std::ofstream out(segs[0], std::ios::binary | std::ios::app);
    out << file.substr(internal::kFileHeaderSize, internal::kBlockHeaderSize + 2);
  }
  auto store = OpenStore();
  EXPECT_EQ(store->stats().torn_tails, 1u);
  EXPECT_EQ(fs::file_size(segs[0]), good);
  EXPECT_EQ(Names(*store->Search({})), (std::vector<std::string>{"two", "one"}));
}

TEST_F(SpanStoreTest, CorruptSegmentIsMovedAsideAndTheRestServed) {
  for (int run = 0; run < 2; ++run) {  // two runs: two segment files
    auto store = OpenStore(Options{.block_bytes = 64});
    std::vector<pdata::Span> spans;
    for (int i = 0; i < 5; ++i) {
      spans.push_back(MakeSpan(static_cast<uint8_t>(run + 1), static_cast<uint8_t>(i), kT0 + i, 1,
                               "run" + std::to_string(run)));
    }
    ASSERT_TRUE(store->Append(OneResource("a", spans)).ok());
  }
  auto segs = Segments();
  ASSERT_EQ(segs.size(), 2u);
  {
    // Damage the first block's payload of the first file; more blocks follow it.
    int fd = ::open(segs[0].c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    char b;
    off_t at = internal::kFileHeaderSize + internal::kBlockHeaderSize + 3;
    ASSERT_EQ(::pread(fd, &b, 1, at), 1);
    b ^= 0x40;
    ASSERT_EQ(::pwrite(fd, &b, 1, at), 1);
    ::close(fd);
  }
  auto store = OpenStore();
  EXPECT_EQ(store->stats().corrupt_segments, 1u);
  EXPECT_TRUE(fs::exists(fs::path(dir_) / "corrupt" / fs::path(segs[0]).filename()));
  EXPECT_FALSE(fs::exists(segs[0]));
  auto r = store->Search({});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Names(*r), std::vector<std::string>(5, "run1"));
}

TEST_F(SpanStoreTest, OversizedRowsAreRefusedAndTheOthersStored) {
  auto store = OpenStore(Options{.max_row_bytes = 4096});
  pdata::Span big = MakeSpan(1, 2, kT0 + 1, 1, "big");
  big.attributes = {{"gen_ai.input.messages", std::string(5000, 'x')}};
  AppendStats st;
  Status s = store->Append(
      OneResource("a", {MakeSpan(1, 1, kT0, 1, "small"), big, MakeSpan(1, 3, kT0 + 2, 1, "ok")}),
      &st);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("resource_spans[0].scope_spans[0].spans[1]"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("max_row_bytes 4096"), std::string::npos) << s.message();
  EXPECT_EQ(st.accepted, 2u);
  EXPECT_EQ(st.rejected, 1u);
  EXPECT_EQ(store->stats().rejected_rows, 1u);
  EXPECT_EQ(Names(*store->Search({})), (std::vector<std::string>{"ok", "small"}));
  EXPECT_EQ(SpanStore::Open(dir_ + "x", Options{.max_row_bytes = 0}).status().code(),
            StatusCode::kInvalidArgument);
  // The index holds a block's offset in 32 bits.
  auto wide = SpanStore::Open(dir_ + "x", Options{.max_segment_bytes = 4ull << 30});
  EXPECT_EQ(wide.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wide.status().message().find("max_segment_bytes"), std::string::npos);
}

TEST_F(SpanStoreTest, RetentionByTimeDropsWholePartitions) {
  auto store = OpenStore(Options{.retention_time = std::chrono::hours(2),
                                 .retention_interval = std::chrono::seconds(0)});
  for (int h = 0; h < 5; ++h) {
    ASSERT_TRUE(
        store
            ->Append(OneResource("a", {MakeSpan(static_cast<uint8_t>(h + 1), 1,
                                                kT0 + h * kHour + 10, 1, "h" + std::to_string(h))}))
            .ok());
  }
  EXPECT_EQ(store->stats().partitions, 5u);
  // Now = the end of hour 4: hours ending more than 2 h ago (0, 1, 2) go... hour 2 ends at
  // kT0 + 3h, exactly 2 h before: kept.
  ASSERT_TRUE(store->EnforceRetention(kT0 + 5 * kHour).ok());
  EXPECT_EQ(Names(*store->Search({})), (std::vector<std::string>{"h4", "h3", "h2"}));
  EXPECT_EQ(store->stats().partitions_dropped, 2u);
  pdata::TraceId gone;
  gone.bytes[0] = 1;
  gone.bytes[15] = 1;
  EXPECT_TRUE(store->GetTrace(gone)->spans.empty());
  EXPECT_EQ(Segments().size(), 3u);
  store.reset();
  EXPECT_EQ(OpenStore()->stats().spans, 3u);
}

TEST_F(SpanStoreTest, RetentionBySizeKeepsTheNewestPartition) {
  auto store = OpenStore();
  std::mt19937_64 rng(4);
  for (int h = 0; h < 4; ++h) {
    ASSERT_TRUE(store
                    ->Append(testing::MakeGenAiTraces(
                        rng, 50, {.base_time = kT0 + h * kHour, .time_spread = kHour}))
                    .ok());
  }
  Stats before = store->stats();
  ASSERT_EQ(before.partitions, 4u);
  store.reset();
  // A limit of about two partitions' bytes.
  store = OpenStore(Options{.retention_bytes = before.disk_bytes / 2 + 1000,
                            .retention_interval = std::chrono::seconds(0)});
  ASSERT_TRUE(store->EnforceRetention(kT0).ok());
  Stats after = store->stats();
  EXPECT_EQ(after.partitions, 2u);
  EXPECT_LE(after.disk_bytes, before.disk_bytes / 2 + 1000);
  EXPECT_GE(store->Search({.limit = 1})->spans[0].start_time_unix_nano, kT0 + 3 * kHour);
  // The newest partition stays even when it alone is over the limit.
  store.reset();
  store = OpenStore(Options{.retention_bytes = 1, .retention_interval = std::chrono::seconds(0)});
  ASSERT_TRUE(store->EnforceRetention(kT0).ok());
  EXPECT_EQ(store->stats().partitions, 1u);
}

TEST_F(SpanStoreTest, ConcurrentAppendsAndSearches) {
  auto store = OpenStore(Options{.block_bytes = 4096});
  constexpr int kThreads = 4, kPerThread = 40;
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    while (!stop) {
      auto r = store->Search({.attributes = {{"gen_ai.operation.name", "chat"}}, .limit = 50});
      ASSERT_TRUE(r.ok()) << r.status().ToString();
    }
  });
  std::vector<std::thread> writers;
  std::vector<pdata::Traces> sent(kThreads * kPerThread);
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      std::mt19937_64 rng(100 + t);
      for (int i = 0; i < kPerThread; ++i) {
        pdata::Traces tr = testing::MakeGenAiTraces(rng, 2);
        ASSERT_TRUE(store->Append(tr).ok());
        sent[static_cast<size_t>(t * kPerThread + i)] = std::move(tr);
      }
    });
  }
  for (auto& w : writers) w.join();
  stop = true;
  reader.join();
  EXPECT_EQ(store->stats().spans, uint64_t(kThreads * kPerThread * 8));
  for (const auto& tr : sent) {
    pdata::TraceId id;
    for (const auto& rs : tr.resource_spans) {
      if (!rs.scope_spans[0].spans.empty()) id = rs.scope_spans[0].spans[0].trace_id;
    }
    auto got = store->GetTrace(id);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->spans.size(), 4u);
  }
}

TEST_F(SpanStoreTest, IntervalModeSyncsInTheBackground) {
  {
    auto store = OpenStore(
        Options{.sync = SyncMode::kInterval, .sync_interval = std::chrono::milliseconds(20)});
    ASSERT_TRUE(store->Append(OneResource("a", {MakeSpan(1, 1, kT0, 1, "x")})).ok());
    EXPECT_EQ(store->stats().fsyncs, 0u);
    for (int i = 0; i < 200 && store->stats().fsyncs == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_GE(store->stats().fsyncs, 1u) << "the background sync never ran";
  }
  EXPECT_EQ(OpenStore()->stats().spans, 1u);
}

TEST_F(SpanStoreTest, ClosedStoreRefusesWrites) {
  auto store = OpenStore();
  ASSERT_TRUE(store->Close().ok());
  EXPECT_FALSE(store->Append(OneResource("a", {MakeSpan(1, 1, kT0, 1)})).ok());
  EXPECT_EQ(store->Close().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace astrolabe::spanstore
