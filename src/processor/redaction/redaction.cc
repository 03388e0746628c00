#include "processor/redaction/redaction.h"

#include <algorithm>

namespace astrolabe::processor::redaction {

using astrolabe::redaction::Mode;

namespace {

constexpr std::string_view kExactContentKeys[] = {
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.prompt",
    "gen_ai.completion",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
    "input.value",
    "output.value",
};
constexpr std::string_view kContentPrefixes[] = {
    "gen_ai.prompt.",       "gen_ai.completion.", "llm.input_messages.",
    "llm.output_messages.", "llm.prompts",
};
// On gen_ai.* events and log records the message fields are plain keys.
constexpr std::string_view kEventContentKeys[] = {"content", "message", "tool_calls"};
// Inside a dropped log body, the fields that carry text.
constexpr std::string_view kBodyContentKeys[] = {"content", "arguments"};

constexpr bool StartsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(0, p.size()) == p;
}

// Whether `key` is one of kExactContentKeys or starts with one of kContentPrefixes or is a
// Kong payload key ("ai." and ".payload." somewhere). This runs on every attribute of every
// span: it dispatches on the first byte and the namespace (most keys of a span — server.*,
// http.*, service keys — end after one comparison) instead of comparing against each
// table entry. redaction_test's ContentKeyTable checks it against the tables.
constexpr bool IsBuiltinContentKey(std::string_view key) {
  if (key.empty()) return false;
  switch (key[0]) {
    case 'g': {
      if (!StartsWith(key, "gen_ai.")) return false;
      const std::string_view r = key.substr(7);
      switch (r.empty() ? '\0' : r[0]) {
        case 'p':
          return r == "prompt" || StartsWith(r, "prompt.");
        case 'c':
          return r == "completion" || StartsWith(r, "completion.");
        case 'i':
          return r == "input.messages";
        case 'o':
          return r == "output.messages";
        case 's':
          return r == "system_instructions";
        case 't':
          return r == "tool.call.arguments" || r == "tool.call.result";
        default:
          return false;
      }
    }
    case 'l': {
      if (!StartsWith(key, "llm.")) return false;
      const std::string_view r = key.substr(4);
      return StartsWith(r, "input_messages.") || StartsWith(r, "output_messages.") ||
             StartsWith(r, "prompts");
    }
    case 'i':
      return key == "input.value";
    case 'o':
      return key == "output.value";
    case 'a':
      // Kong AI Proxy log payloads: ai.<namespace>.payload.request / .response.
      return StartsWith(key, "ai.") && key.find(".payload.") != std::string_view::npos;
    default:
      return false;
  }
}

// The dispatch above answers as the tables do: checked at compile time on the table entries,
// each with a byte more or less, and near misses.
constexpr bool ByTables(std::string_view key) {
  for (std::string_view k : kExactContentKeys) {
    if (key == k) return true;
  }
  for (std::string_view p : kContentPrefixes) {
    if (StartsWith(key, p)) return true;
  }
  return StartsWith(key, "ai.") && key.find(".payload.") != std::string_view::npos;
}
consteval bool AgreesWithTables() {
  auto agree = [](std::string_view k) { return IsBuiltinContentKey(k) == ByTables(k); };
  auto variants = [&](std::string_view k) {
    for (std::string_view more : {"", "x", ".", "_", "0.content"}) {
      if (!agree(std::string(k) + std::string(more))) return false;
    }
    return k.empty() || agree(k.substr(0, k.size() - 1));
  };
  for (std::string_view k : kExactContentKeys) {
    if (!variants(k)) return false;
  }
  for (std::string_view p : kContentPrefixes) {
    if (!variants(p)) return false;
  }
  for (std::string_view k : {"", "a", "g", "l", "i", "o", "ai.", "ai.proxy.payload.request",
                             "ai.payload.x", "ai.proxy.payload", "gen_ai.", "gen_ai.request.model",
                             "llm.", "llm.model_name", "gen_ai.prompt_filter_results"}) {
    if (!variants(k)) return false;
  }
  return true;
}
static_assert(AgreesWithTables());

bool IsGenAiEvent(std::string_view event_name, const pdata::Attributes& attrs) {
  if (StartsWith(event_name, "gen_ai.")) return true;
  const pdata::AnyValue* v = pdata::FindAttribute(attrs, "event.name");
  return v != nullptr && v->type() == pdata::AnyValue::Type::kString &&
         StartsWith(v->string_value(), "gen_ai.");
}

// Removes the text fields of a message body (kvlists, recursively); returns how many.
size_t DropBodyContent(pdata::AnyValue& value) {
  size_t n = 0;
  if (value.type() == pdata::AnyValue::Type::kKvList) {
    auto& kvs = value.kvlist_value();
    const size_t before = kvs.size();
    std::erase_if(kvs, [](const pdata::KeyValue& kv) {
      return std::find(std::begin(kBodyContentKeys), std::end(kBodyContentKeys), kv.key) !=
             std::end(kBodyContentKeys);
    });
    n += before - kvs.size();
    for (auto& kv : kvs) n += DropBodyContent(kv.value);
  } else if (value.type() == pdata::AnyValue::Type::kArray) {
    for (auto& v : value.array_value()) n += DropBodyContent(v);
  }
  return n;
}

// A dropped log body: a text body goes, a structured one loses its text fields.
size_t DropBody(pdata::AnyValue& body) {
  if (body.type() == pdata::AnyValue::Type::kString ||
      body.type() == pdata::AnyValue::Type::kBytes) {
    body = pdata::AnyValue();
    return 1;
  }
  return DropBodyContent(body);
}

}  // namespace

RedactionProcessor::RedactionProcessor(const Config& config,
                                       std::unique_ptr<astrolabe::redaction::Detector> detector,
                                       component::Telemetry* telemetry, component::Consumer& next)
    : mode_(config.mode),
      extra_keys_(config.attributes),
      detector_(std::move(detector)),
      next_(next) {
  if (telemetry != nullptr) {
    const std::string help = "Items the redaction processor replaced, hashed or dropped, by kind.";
    for (size_t r = 0; r < detector_->rule_count(); ++r) {
      counters_.push_back(telemetry->GetCounter(
          "astrolabe_redaction_items_total", help,
          {{"kind", std::string(detector_->RuleName(static_cast<uint32_t>(r)))}}));
    }
    counters_.push_back(
        telemetry->GetCounter("astrolabe_redaction_items_total", help, {{"kind", "dropped"}}));
  }
}

bool RedactionProcessor::IsExtraContentKey(std::string_view key) const {
  for (const std::string& k : extra_keys_) {
    if (key == k) return true;
  }
  return false;
}

size_t RedactionProcessor::RedactValue(pdata::AnyValue& value, Work& work) const {
  switch (value.type()) {
    case pdata::AnyValue::Type::kString: {
      // The string is only read until an item is found: nothing allocates otherwise.
      const std::string& s = value.string_value();
      work.matches.clear();
      detector_->Find(s, work.matches);
      if (work.matches.empty()) return 0;
      detector_->Rewrite(s, work.matches, mode_, &work.scratch);
      for (const auto& m : work.matches) ++work.counts[m.rule];
      const size_t n = work.matches.size();
      value = pdata::AnyValue(std::move(work.scratch));
      work.scratch = std::string();
      return n;
    }
    case pdata::AnyValue::Type::kArray: {
      size_t n = 0;
      for (auto& v : value.array_value()) n += RedactValue(v, work);
      return n;
    }
    case pdata::AnyValue::Type::kKvList: {
      size_t n = 0;
      for (auto& kv : value.kvlist_value()) n += RedactValue(kv.value, work);
      return n;
    }
    default:
      return 0;
  }
}

size_t RedactionProcessor::ProcessAttributes(pdata::Attributes& attrs, bool event,
                                             Work& work) const {
  // The built-in test inline, the call only when the config names keys: this runs for every
  // attribute.
  auto content = [&](const std::string& key) {
    if (IsBuiltinContentKey(key) || (!extra_keys_.empty() && IsExtraContentKey(key))) {
      return true;
    }
    if (!event) return false;
    return std::find(std::begin(kEventContentKeys), std::end(kEventContentKeys), key) !=
           std::end(kEventContentKeys);
  };
  if (mode_ == Mode::kDrop) {
    const size_t before = attrs.size();
    std::erase_if(attrs, [&](const pdata::KeyValue& kv) { return content(kv.key); });
    const size_t dropped = before - attrs.size();
    work.counts.back() += dropped;
    return dropped;
  }
  size_t n = 0;
  for (auto& kv : attrs) {
    if (content(kv.key)) n += RedactValue(kv.value, work);
  }
  return n;
}

void RedactionProcessor::Mark(pdata::Attributes& attrs, size_t count) const {
  if (count == 0) return;
  pdata::PutAttribute(attrs, "astrolabe.redaction.count", static_cast<int64_t>(count));
  pdata::PutAttribute(attrs, "astrolabe.redaction.mode",
                      std::string(astrolabe::redaction::ModeName(mode_)));
}

size_t RedactionProcessor::ProcessSpan(pdata::Span& span, Work& work) const {
  size_t n = ProcessAttributes(span.attributes, /*event=*/false, work);
  for (auto& ev : span.events) {
    n += ProcessAttributes(ev.attributes, IsGenAiEvent(ev.name, ev.attributes), work);
  }
  Mark(span.attributes, n);
  return n;
}

size_t RedactionProcessor::ProcessLog(pdata::LogRecord& record, Work& work) const {
  const bool genai = IsGenAiEvent(record.event_name, record.attributes);
  size_t n = ProcessAttributes(record.attributes, genai, work);
  if (genai) {
    if (mode_ == Mode::kDrop) {
      const size_t dropped = DropBody(record.body);
      work.counts.back() += dropped;
      n += dropped;
    } else {
      n += RedactValue(record.body, work);
    }
  }
  Mark(record.attributes, n);
  return n;
}

void RedactionProcessor::Count(const Work& work) const {
  if (counters_.empty()) return;
  for (size_t r = 0; r < work.counts.size(); ++r) {
    if (work.counts[r] != 0) counters_[r]->Add(static_cast<double>(work.counts[r]));
  }
}

Status RedactionProcessor::ConsumeTraces(component::TracesBatch batch) {
  if (mode_ == Mode::kFull) return next_.ConsumeTraces(std::move(batch));
  Work work;
  work.counts.assign(detector_->rule_count() + 1, 0);
  pdata::Traces& traces = batch.Mutable();
  for (auto& rs : traces.resource_spans) {
    for (auto& ss : rs.scope_spans) {
      for (auto& span : ss.spans) ProcessSpan(span, work);
    }
  }
  Count(work);
  return next_.ConsumeTraces(std::move(batch));
}

Status RedactionProcessor::ConsumeLogs(component::LogsBatch batch) {
  if (mode_ == Mode::kFull) return next_.ConsumeLogs(std::move(batch));
  Work work;
  work.counts.assign(detector_->rule_count() + 1, 0);
  pdata::Logs& logs = batch.Mutable();
  for (auto& rl : logs.resource_logs) {
    for (auto& sl : rl.scope_logs) {
      for (auto& record : sl.log_records) ProcessLog(record, work);
    }
  }
  Count(work);
  return next_.ConsumeLogs(std::move(batch));
}

}  // namespace astrolabe::processor::redaction
