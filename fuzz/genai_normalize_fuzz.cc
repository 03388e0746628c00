// Fuzzes the GenAI normaliser (src/genai/normalize.h) and its JSON reader/writer over spans and
// log records with arbitrary attributes. The first byte picks how the rest becomes input:
//   0: OTLP/JSON traces (our decoder), every span normalised with the built-in prices;
//   1: OTLP/protobuf traces, likewise; 2: OTLP/protobuf logs, every record normalised;
//   3: a generated span: keys from the dialects' vocabulary (so the fuzzer reaches the mapping
//      code without guessing names) or raw, values of every AnyValue type, plus span events;
//   4: a price file (PriceTable::FromYaml) and the price of a generated call.
// Checks: nothing crashes; every gen_ai.input.messages / gen_ai.output.messages the normaliser
// writes parses back as messages; a second pass over a normalised span adds nothing; a span
// normalised with spares (pdata::Traces::spares, holding used key-values) equals one normalised
// without.
// Seeds: fuzz/corpus/genai_normalize/ (the note's sample span, the captured npm clients'
// requests, generated spans).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "genai/key_index.h"
#include "genai/messages.h"
#include "genai/normalize.h"
#include "genai/prices.h"
#include "pdata/spares.h"
#include "wire/otlp_json.h"
#include "wire/otlp_proto.h"

namespace {

using namespace astrolabe;
using genai::Normalizer;

const Normalizer& TheNormalizer() {
  static const Normalizer* n = [] {
    genai::PriceBook book;
    book.Add(std::shared_ptr<const genai::PriceTable>(&genai::PriceTable::BuiltIn(),
                                                      [](const genai::PriceTable*) {}));
    genai::NormalizerOptions options;
    options.max_message_bytes = 64 * 1024;
    return new Normalizer(options, std::move(book));
  }();
  return *n;
}

const Normalizer& DroppingNormalizer() {
  static const Normalizer* n = [] {
    genai::NormalizerOptions options;
    options.keep_original_attributes = false;
    return new Normalizer(options, {});
  }();
  return *n;
}

// a == b, except that doubles compare by their bits (NaN equals itself).
bool Same(const pdata::AnyValue& a, const pdata::AnyValue& b);
bool Same(const pdata::Attributes& a, const pdata::Attributes& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].key != b[i].key || !Same(a[i].value, b[i].value)) return false;
  }
  return true;
}
bool Same(const pdata::AnyValue& a, const pdata::AnyValue& b) {
  using T = pdata::AnyValue::Type;
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case T::kDouble: {
      double x = a.double_value(), y = b.double_value();
      return std::memcmp(&x, &y, sizeof x) == 0;
    }
    case T::kArray: {
      const pdata::ArrayValue &x = a.array_value(), &y = b.array_value();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!Same(x[i], y[i])) return false;
      }
      return true;
    }
    case T::kKvList:
      return Same(a.kvlist_value(), b.kvlist_value());
    default:
      return a == b;
  }
}

// Spares as a decoder leaves them: key-values with long keys and values with buffers, handed
// back after use.
void FillSpares(pdata::TracesSpares* spares) {
  pdata::Attributes used = {{"astrolabe.genai.cost.currency.used", std::string(40, 'u')},
                            {"gen_ai.usage.output_tokens", pdata::ArrayValue{1, 2.5, "x"}},
                            {"k", 7}};
  spares->TakeBack(used, 0);
}

void NormalizeTwice(pdata::Span& span) {
  pdata::Span original = span;
  pdata::Span with_spares = span;
  pdata::TracesSpares spares;
  FillSpares(&spares);
  genai::Outcome o = TheNormalizer().NormalizeSpan(span);
  TheNormalizer().NormalizeSpan(with_spares, &spares);
  if (!Same(with_spares.attributes, span.attributes)) std::abort();
  if (!o.recognised) {
    // An unrecognised span is never changed (compared by size: NaN values are unequal).
    if (span.attributes.size() != original.attributes.size()) std::abort();
    return;
  }
  // What we wrote must parse back (the input did not have these keys).
  for (std::string_view key : {"gen_ai.input.messages", "gen_ai.output.messages"}) {
    if (pdata::FindAttribute(original.attributes, key) != nullptr) continue;
    const pdata::AnyValue* v = pdata::FindAttribute(span.attributes, key);
    if (v == nullptr) continue;
    std::vector<genai::Message> back;
    if (!genai::ParseMessagesJson(v->string_value(), &back, 1u << 30)) std::abort();
  }
  size_t n = span.attributes.size();
  TheNormalizer().NormalizeSpan(span);
  if (span.attributes.size() != n) std::abort();
  DroppingNormalizer().NormalizeSpan(original);
}

// Bytes → values, without running out of input in the middle of a value.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool empty() const { return pos_ >= data_.size(); }
  uint8_t Byte() { return empty() ? 0 : static_cast<uint8_t>(data_[pos_++]); }
  std::string Text() {
    size_t n = Byte() % 48;
    std::string out(data_.substr(pos_, n));
    pos_ += out.size();
    return out;
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

// Keys a span may carry: every key the normaliser knows (genai::kKnownKeys), and indexed
// message and function keys of the dialects it reads.
constexpr std::string_view kIndexedKeys[] = {
    "gen_ai.prompt.0.role",
    "gen_ai.prompt.1.content",
    "gen_ai.prompt.10.role",
    "gen_ai.prompt.3.tool_call_id",
    "gen_ai.completion.0.finish_reason",
    "gen_ai.completion.0.content",
    "gen_ai.completion.0.tool_calls.0.arguments",
    "gen_ai.completion.0.tool_calls.1.name",
    "llm.request.functions.0.parameters",
    "llm.request.functions.0.name",
    "llm.input_messages.0.message.role",
    "llm.input_messages.0.message.content",
    "llm.input_messages.1.message.contents.0.message_content.text",
    "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments",
};

std::string Key(uint8_t byte) {
  constexpr size_t kKnown = std::size(genai::kKnownKeys);
  size_t i = byte % (kKnown + std::size(kIndexedKeys));
  return std::string(i < kKnown ? genai::kKnownKeys[i] : kIndexedKeys[i - kKnown]);
}
constexpr std::string_view kStrings[] = {
    "chat",
    "LLM",
    "EMBEDDING",
    "CHAIN",
    "Azure",
    "OpenAI",
    "gpt-4o",
    "gpt-4o-2024-08-06",
    "meta/llama-3.1-8b-instruct",
    "12",
    "-3",
    "true",
    "https://h:99/x",
    "[{\"role\":\"user\"}]",
    "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}]}",
    "{\"stream\":true,\"max_tokens\":5}",
    "{\"choices\":[{\"message\":{\"content\":\"x\"},\"finish_reason\":\"stop\"}]}",
    "{\"a\":",
};

pdata::AnyValue Value(Reader& r, int depth) {
  switch (r.Byte() % 8) {
    case 0:
      return std::string(kStrings[r.Byte() % std::size(kStrings)]);
    case 1:
      return r.Text();
    case 2:
      return static_cast<int64_t>(static_cast<int8_t>(r.Byte())) * (r.Byte() + 1);
    case 3:
      return static_cast<double>(r.Byte()) / 4.0;
    case 4:
      return r.Byte() % 2 == 0;
    case 5: {
      pdata::ArrayValue arr;
      if (depth < 3) {
        for (int i = r.Byte() % 4; i > 0; --i) arr.push_back(Value(r, depth + 1));
      }
      return arr;
    }
    case 6: {
      pdata::KeyValueList kv;
      if (depth < 3) {
        for (int i = r.Byte() % 4; i > 0; --i) {
          std::string k = r.Byte() % 2 ? std::string(kStrings[r.Byte() % std::size(kStrings)])
                                       : Key(r.Byte());
          static constexpr std::string_view kFields[] = {
              "content", "role",     "message", "tool_calls", "finish_reason",
              "id",      "function", "name",    "arguments"};
          if (r.Byte() % 2) k = std::string(kFields[r.Byte() % std::size(kFields)]);
          kv.push_back({k, Value(r, depth + 1)});
        }
      }
      return kv;
    }
    default:
      return pdata::AnyValue();
  }
}

pdata::Attributes Attributes(Reader& r) {
  pdata::Attributes a;
  for (int i = r.Byte() % 24; i > 0 && !r.empty(); --i) {
    std::string key =
        r.Byte() % 4 == 0 ? r.Text() : Key(r.Byte());
    a.push_back({key, Value(r, 0)});
  }
  return a;
}

void GeneratedSpan(std::string_view data) {
  Reader r(data);
  pdata::Span span;
  span.start_time_unix_nano = static_cast<uint64_t>(r.Byte()) << 54;
  span.attributes = Attributes(r);
  static constexpr std::string_view kEvents[] = {"gen_ai.user.message",
                                                 "gen_ai.system.message",
                                                 "gen_ai.tool.message",
                                                 "gen_ai.choice",
                                                 "gen_ai.content.prompt",
                                                 "gen_ai.content.completion",
                                                 "gen_ai.client.inference.operation.details",
                                                 "exception"};
  for (int i = r.Byte() % 4; i > 0 && !r.empty(); --i) {
    pdata::SpanEvent e;
    e.name = std::string(kEvents[r.Byte() % std::size(kEvents)]);
    e.attributes = Attributes(r);
    span.events.push_back(std::move(e));
  }
  NormalizeTwice(span);
  pdata::LogRecord record;
  record.event_name = span.events.empty() ? "" : span.events[0].name;
  record.attributes = span.attributes;
  record.body = Value(r, 0);
  TheNormalizer().NormalizeLog(record);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 5) {
    case 0:
    case 1: {
      auto traces =
          data[0] % 5 == 0 ? wire::DecodeTracesJson(rest) : wire::DecodeTracesRequest(rest);
      if (!traces.ok()) return 0;
      for (auto& rs : traces->resource_spans) {
        for (auto& ss : rs.scope_spans) {
          for (auto& s : ss.spans) NormalizeTwice(s);
        }
      }
      break;
    }
    case 2: {
      auto logs = wire::DecodeLogsRequest(rest);
      if (!logs.ok()) return 0;
      for (auto& rl : logs->resource_logs) {
        for (auto& sl : rl.scope_logs) {
          for (auto& r : sl.log_records) TheNormalizer().NormalizeLog(r);
        }
      }
      break;
    }
    case 3:
      GeneratedSpan(rest);
      break;
    case 4: {
      auto table = genai::PriceTable::FromYaml(rest, "fuzz.yaml");
      if (!table.ok()) return 0;
      genai::LlmCall call;
      call.request_model = "gpt-4o";
      call.input_tokens = 1000;
      call.output_tokens = 10;
      call.cache_read_input_tokens = 5000;
      for (const genai::PriceEntry& e : table->entries()) {
        call.response_model = e.model;
        if (const genai::PriceEntry* p = table->Find("openai", e.model, UINT64_MAX)) {
          auto cost = genai::ComputeCost(*p, call);
          if (!cost || cost->amount < 0) std::abort();
        }
      }
      break;
    }
  }
  return 0;
}
