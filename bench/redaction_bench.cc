// Redaction detectors and the redaction processor (figures in bench/README.md, "redaction").
//   BM_FindClean         chat-like text with no item in it (the common case): MB/s of Find
//   BM_FindDense         the same text with an e-mail, phone, card, IP or key every ~300 bytes
//   BM_FindCleanUserRules the clean text with two user RE2 rules added (one more pass)
//   BM_RedactSpans       100 spans with legacy + current content attributes through the
//                        processor's ProcessSpan (clone of the template not timed)

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "processor/redaction/config.h"
#include "processor/redaction/redaction.h"
#include "redaction/detector.h"

namespace {

using astrolabe::redaction::Detector;
using astrolabe::redaction::DetectorOptions;
using astrolabe::redaction::Match;

const char* kSentences[] = {
    "The quarterly report shows revenue of $1,299.99 per seat, up 12.5% from 2024-01-15. ",
    "Please summarise the attached document in three bullet points for the support team. ",
    "Version 3.11.4 fixed the crash in module ORD-2024-0001234 at 10:30:00 UTC yesterday. ",
    "{\"role\":\"assistant\",\"content\":\"Sure! Here is the answer you asked for.\\n\"} ",
    "Tokens used: 1532 prompt, 287 completion; latency 1.28 s; model gpt-4o-mini. ",
    "Je voudrais réserver une table pour quatre personnes à 20 h, s'il vous plaît. ",
};
const char* kItems[] = {
    "jane.doe@example.com ",
    "+1 (415) 555-2671 ",
    "4111 1111 1111 1111 ",
    "10.20.30.40 ",
    "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z ",
    "DE89 3704 0044 0532 0130 00 ",
};

std::string Text(size_t bytes, bool dense) {
  std::string t;
  size_t i = 0;
  while (t.size() < bytes) {
    t += kSentences[i % 6];
    if (dense && i % 4 == 3) t += kItems[(i / 4) % 6];
    ++i;
  }
  return t;
}

void RunFind(benchmark::State& state, const std::string& text, const DetectorOptions& options) {
  auto d = Detector::Create(options);
  std::vector<Match> m;
  size_t found = 0;
  for (auto _ : state) {
    m.clear();
    (*d)->Find(text, m);
    found = m.size();
    benchmark::DoNotOptimize(m.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(text.size()));
  state.counters["items"] = double(found);
}

void BM_FindClean(benchmark::State& state) { RunFind(state, Text(64 << 10, false), {}); }
void BM_FindDense(benchmark::State& state) { RunFind(state, Text(64 << 10, true), {}); }
void BM_FindCleanUserRules(benchmark::State& state) {
  DetectorOptions o;
  o.rules = {{"employee_id", R"(EMP-\d{6})"}, {"ticket", R"(TCK-[A-Z]{2}\d{4,})"}};
  RunFind(state, Text(64 << 10, false), o);
}

void BM_RedactSpans(benchmark::State& state) {
  namespace r = astrolabe::processor::redaction;
  r::Config config;
  auto d = Detector::Create(config.DetectorOptions());
  struct Nop : astrolabe::component::Consumer {
  } next;
  r::RedactionProcessor p(config, std::move(d).value(), nullptr, next);
  std::vector<astrolabe::pdata::Span> spans(100);
  size_t bytes = 0;
  for (size_t i = 0; i < spans.size(); ++i) {
    const std::string prompt = Text(600, i % 5 == 0);
    const std::string answer = Text(1200, false);
    spans[i].attributes = {
        {"gen_ai.operation.name", "chat"},       {"gen_ai.request.model", "gpt-4o-mini"},
        {"gen_ai.prompt.0.role", "user"},        {"gen_ai.prompt.0.content", prompt},
        {"gen_ai.completion.0.content", answer}, {"gen_ai.usage.input_tokens", 153},
        {"gen_ai.usage.output_tokens", 287}};
    bytes += prompt.size() + answer.size();
  }
  r::RedactionProcessor::Work work;
  work.counts.assign(8, 0);
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<astrolabe::pdata::Span> copy = spans;
    state.ResumeTiming();
    for (auto& s : copy) p.ProcessSpan(s, work);
    benchmark::DoNotOptimize(copy.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(bytes));
  state.SetItemsProcessed(int64_t(state.iterations()) * 100);
}

BENCHMARK(BM_FindClean);
BENCHMARK(BM_FindDense);
BENCHMARK(BM_FindCleanUserRules);
BENCHMARK(BM_RedactSpans);

}  // namespace

BENCHMARK_MAIN();
