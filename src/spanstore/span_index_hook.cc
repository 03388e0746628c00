#include "spanstore/span_index_hook.h"

#include <charconv>
#include <cmath>
#include <string_view>

#include "pdata/key_set.h"

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

constexpr pdata::KeySet<kKeyCount> kKeys(
    {"gen_ai.request.model", "gen_ai.response.model", "gen_ai.provider.name", "gen_ai.system",
     "gen_ai.operation.name", "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens",
     "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens",
     "gen_ai.response.finish_reasons", "astrolabe.genai.cost", "gen_ai.usage.cost"});

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
  const pdata::AnyValue* found[kKeyCount];
  kKeys.FindFirst(span.attributes, found);
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
