#include "spanstore/span_index_hook.h"

#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <string_view>

namespace astrolabe::spanstore {
namespace {

// The attributes the hook reads.
enum Key : size_t {
  kRequestModel,
  kResponseModel,
  kProviderName,
  kSystem,
  kOperationName,
  kInputTokens,
  kPromptTokens,
  kOutputTokens,
  kCompletionTokens,
  kFinishReasons,
  kAstrolabeCost,
  kUsageCost,
  kKeyCount
};

constexpr std::string_view kKeyNames[kKeyCount] = {
    "gen_ai.request.model",           "gen_ai.response.model",
    "gen_ai.provider.name",           "gen_ai.system",
    "gen_ai.operation.name",          "gen_ai.usage.input_tokens",
    "gen_ai.usage.prompt_tokens",     "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens", "gen_ai.response.finish_reasons",
    "astrolabe.genai.cost",           "gen_ai.usage.cost"};

// The keys by length (at most three share one; -1 ends a list): an attribute is compared only
// with the keys of its own length.
constexpr size_t kMaxKeyLength = 32;
consteval bool KeyLengthsFit() {
  for (std::string_view k : kKeyNames) {
    if (k.size() < 8 || k.size() >= kMaxKeyLength) return false;
  }
  return true;
}
static_assert(KeyLengthsFit());
constexpr auto kKeysByLength = [] {
  std::array<std::array<int8_t, 3>, kMaxKeyLength> t{};
  for (auto& row : t) row.fill(-1);
  for (size_t k = 0; k < kKeyCount; ++k) {
    auto& row = t[kKeyNames[k].size()];
    size_t i = 0;
    while (row[i] >= 0) ++i;  // a fourth key of one length fails to compile (out of bounds)
    row[i] = static_cast<int8_t>(k);
  }
  return t;
}();

// The last eight bytes of a key (every key is longer), as the machine loads them: compared
// first, they tell the keys of one length apart at one integer comparison each.
constexpr uint64_t Tail8(std::string_view k) {
  uint64_t x = 0;
  for (size_t i = 0; i < 8; ++i) {
    const uint64_t byte = static_cast<unsigned char>(k[k.size() - 8 + i]);
    x |= byte << (std::endian::native == std::endian::little ? 8 * i : 8 * (7 - i));
  }
  return x;
}
constexpr auto kKeyTails = [] {
  std::array<uint64_t, kKeyCount> t{};
  for (size_t k = 0; k < kKeyCount; ++k) t[k] = Tail8(kKeyNames[k]);
  return t;
}();

// The first value of each key, found in one pass over the attributes instead of one scan per
// key (pdata::FindAttribute's answer: the first of repeated keys).
void FindKeys(const pdata::Attributes& attrs, const pdata::AnyValue* (&found)[kKeyCount]) {
  for (const pdata::KeyValue& kv : attrs) {
    const std::string_view key = kv.key;
    if (key.size() >= kMaxKeyLength || kKeysByLength[key.size()][0] < 0) continue;
    uint64_t tail;
    std::memcpy(&tail, key.data() + key.size() - 8, 8);  // a key of a listed length is >= 13
    for (int8_t k : kKeysByLength[key.size()]) {
      if (k < 0) break;
      if (tail == kKeyTails[k] && key == kKeyNames[k]) {
        if (found[k] == nullptr) found[k] = &kv.value;
        break;
      }
    }
  }
}

const std::string* StringValue(const pdata::AnyValue* v) {
  if (v == nullptr || v->type() != pdata::AnyValue::Type::kString || v->string_value().empty()) {
    return nullptr;
  }
  return &v->string_value();
}

int64_t TokenValue(const pdata::AnyValue* v) {
  if (v == nullptr) return -1;
  switch (v->type()) {
    case pdata::AnyValue::Type::kInt:
      return v->int_value() >= 0 ? v->int_value() : -1;
    case pdata::AnyValue::Type::kDouble: {
      double d = v->double_value();
      // Only whole, representable counts: a SDK that sends 12.0 means 12.
      if (d >= 0 && d < 9.0e15 && std::floor(d) == d) return static_cast<int64_t>(d);
      return -1;
    }
    case pdata::AnyValue::Type::kString: {
      const std::string& s = v->string_value();
      int64_t n = -1;
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
      return (ec == std::errc() && p == s.data() + s.size() && n >= 0) ? n : -1;
    }
    default:
      return -1;
  }
}

}  // namespace

void DefaultSpanIndexHook(const pdata::Resource& /*resource*/,
                          const pdata::InstrumentationScope& /*scope*/, const pdata::Span& span,
                          GenAiFields* fields) {
  const pdata::AnyValue* found[kKeyCount] = {};
  FindKeys(span.attributes, found);
  if (const std::string* s = StringValue(found[kRequestModel])) {
    fields->model = *s;
  } else if (const std::string* r = StringValue(found[kResponseModel])) {
    fields->model = *r;
  }
  if (const std::string* s = StringValue(found[kProviderName])) {
    fields->provider = *s;
  } else if (const std::string* r = StringValue(found[kSystem])) {
    fields->provider = *r;
  }
  if (const std::string* s = StringValue(found[kOperationName])) fields->operation = *s;
  fields->input_tokens = TokenValue(found[kInputTokens]);
  if (fields->input_tokens < 0) fields->input_tokens = TokenValue(found[kPromptTokens]);
  fields->output_tokens = TokenValue(found[kOutputTokens]);
  if (fields->output_tokens < 0) fields->output_tokens = TokenValue(found[kCompletionTokens]);
  if (const pdata::AnyValue* v = found[kFinishReasons]) {
    if (v->type() == pdata::AnyValue::Type::kArray) {
      std::string joined;
      for (const pdata::AnyValue& e : v->array_value()) {
        if (e.type() != pdata::AnyValue::Type::kString || e.string_value().empty()) continue;
        if (!joined.empty()) joined += ',';
        joined += e.string_value();
      }
      fields->finish_reason = std::move(joined);
    } else if (v->type() == pdata::AnyValue::Type::kString) {
      fields->finish_reason = v->string_value();
    }
  }
  // The genai processor's price (src/genai) first, then OpenLIT's key.
  for (Key key : {kAstrolabeCost, kUsageCost}) {
    const pdata::AnyValue* v = found[key];
    if (v == nullptr) continue;
    if (v->type() == pdata::AnyValue::Type::kDouble && std::isfinite(v->double_value())) {
      fields->cost = v->double_value();
      break;
    }
    if (v->type() == pdata::AnyValue::Type::kInt) {
      fields->cost = static_cast<double>(v->int_value());
      break;
    }
  }
}

}  // namespace astrolabe::spanstore
