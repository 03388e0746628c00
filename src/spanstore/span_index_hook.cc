#include "spanstore/span_index_hook.h"

#include <charconv>
#include <cmath>
#include <string_view>

namespace astrolabe::spanstore {
namespace {

const std::string* StringAttr(const pdata::Attributes& attrs, std::string_view key) {
  const pdata::AnyValue* v = pdata::FindAttribute(attrs, key);
  if (v == nullptr || v->type() != pdata::AnyValue::Type::kString || v->string_value().empty()) {
    return nullptr;
  }
  return &v->string_value();
}

int64_t TokenAttr(const pdata::Attributes& attrs, std::string_view key) {
  const pdata::AnyValue* v = pdata::FindAttribute(attrs, key);
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
  const pdata::Attributes& a = span.attributes;
  if (const std::string* s = StringAttr(a, "gen_ai.request.model")) {
    fields->model = *s;
  } else if (const std::string* r = StringAttr(a, "gen_ai.response.model")) {
    fields->model = *r;
  }
  if (const std::string* s = StringAttr(a, "gen_ai.provider.name")) {
    fields->provider = *s;
  } else if (const std::string* r = StringAttr(a, "gen_ai.system")) {
    fields->provider = *r;
  }
  if (const std::string* s = StringAttr(a, "gen_ai.operation.name")) fields->operation = *s;
  fields->input_tokens = TokenAttr(a, "gen_ai.usage.input_tokens");
  if (fields->input_tokens < 0) fields->input_tokens = TokenAttr(a, "gen_ai.usage.prompt_tokens");
  fields->output_tokens = TokenAttr(a, "gen_ai.usage.output_tokens");
  if (fields->output_tokens < 0) {
    fields->output_tokens = TokenAttr(a, "gen_ai.usage.completion_tokens");
  }
  if (const pdata::AnyValue* v = pdata::FindAttribute(a, "gen_ai.response.finish_reasons")) {
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
  for (std::string_view key : {"astrolabe.genai.cost", "gen_ai.usage.cost"}) {
    const pdata::AnyValue* v = pdata::FindAttribute(a, key);
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
