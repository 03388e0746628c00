#include "processor/genai/genai_processor.h"

#include <utility>

namespace astrolabe::processor::genai {

using astrolabe::genai::Dialect;
using astrolabe::genai::DialectName;
using astrolabe::genai::Normalizer;
using astrolabe::genai::NormalizerOptions;
using astrolabe::genai::Outcome;
using astrolabe::genai::PriceBook;
using astrolabe::genai::PriceTable;

Result<Normalizer> BuildNormalizer(const Config& config) {
  NormalizerOptions options;
  options.otel = options.openllmetry = options.openinference = false;
  for (const std::string& d : config.dialects) {
    if (d == "otel") options.otel = true;
    if (d == "openllmetry") options.openllmetry = true;
    if (d == "openinference") options.openinference = true;
  }
  options.keep_original_attributes = config.keep_original_attributes;
  options.max_message_bytes = static_cast<size_t>(config.max_message_bytes);

  PriceBook book;
  if (!config.prices.empty()) {
    std::vector<astrolabe::genai::PriceEntry> entries = config.prices;
    for (size_t i = 0; i < entries.size(); ++i) {
      Status s = entries[i].Validate();
      if (!s.ok()) return InvalidArgument("prices[" + std::to_string(i) + "]: " + s.message());
    }
    book.Add(std::make_shared<const PriceTable>(std::move(entries)));
  }
  if (!config.prices_file.empty()) {
    Result<PriceTable> t = PriceTable::FromFile(config.prices_file);
    if (!t.ok()) return InvalidArgument("prices_file: " + t.status().message());
    book.Add(std::make_shared<const PriceTable>(std::move(*t)));
  }
  if (config.default_prices) {
    // The built-in table lives for the process; the book only borrows it.
    book.Add(std::shared_ptr<const PriceTable>(&PriceTable::BuiltIn(), [](const PriceTable*) {}));
  }
  return Normalizer(options, std::move(book));
}

GenAiProcessor::GenAiProcessor(const component::CreateSettings& settings, Normalizer normalizer,
                               component::Consumer& next)
    : normalizer_(std::move(normalizer)), next_(next) {
  component::Telemetry* t = settings.telemetry;
  if (t == nullptr) {
    own_telemetry_ = std::make_unique<component::Telemetry>();
    t = own_telemetry_.get();
  }
  const std::string id = settings.id.ToString();
  for (Dialect d : {Dialect::kOtel, Dialect::kOpenLlmetry, Dialect::kOpenInference}) {
    component::Labels labels = {{"processor", id}, {"dialect", std::string(DialectName(d))}};
    spans_[static_cast<int>(d)] = t->GetCounter("astrolabe_processor_genai_spans_total",
                                                "LLM-call spans normalised, by dialect", labels);
    logs_[static_cast<int>(d)] =
        t->GetCounter("astrolabe_processor_genai_log_records_total",
                      "GenAI message events (log records) normalised, by dialect", labels);
  }
  component::Labels labels = {{"processor", id}};
  cost_applied_ = t->GetCounter("astrolabe_processor_genai_cost_applied_total",
                                "Spans given astrolabe.genai.cost", labels);
  unknown_model_ = t->GetCounter("astrolabe_processor_genai_unknown_model_total",
                                 "Spans with token counts whose model has no price", labels);
  malformed_ = t->GetCounter("astrolabe_processor_genai_malformed_total",
                             "GenAI attribute values of the wrong type or shape (skipped)", labels);
  oversize_ =
      t->GetCounter("astrolabe_processor_genai_oversize_total",
                    "Messages attributes not written for exceeding max_message_bytes", labels);
}

void GenAiProcessor::Count(const Outcome& o, bool span) {
  if (o.malformed > 0) malformed_->Add(static_cast<double>(o.malformed));
  if (!o.recognised) return;
  (span ? spans_ : logs_)[static_cast<int>(o.dialect)]->Add();
  if (o.cost_applied) cost_applied_->Add();
  if (o.unknown_model) unknown_model_->Add();
  if (o.oversize) oversize_->Add();
}

Status GenAiProcessor::ConsumeTraces(component::TracesBatch batch) {
  pdata::Traces& traces = batch.Mutable();
  for (pdata::ResourceSpans& rs : traces.resource_spans) {
    for (pdata::ScopeSpans& ss : rs.scope_spans) {
      for (pdata::Span& span : ss.spans) {
        Count(normalizer_.NormalizeSpan(span, traces.spares.get()), true);
      }
    }
  }
  return next_.ConsumeTraces(std::move(batch));
}

Status GenAiProcessor::ConsumeLogs(component::LogsBatch batch) {
  pdata::Logs& logs = batch.Mutable();
  for (pdata::ResourceLogs& rl : logs.resource_logs) {
    for (pdata::ScopeLogs& sl : rl.scope_logs) {
      for (pdata::LogRecord& r : sl.log_records) Count(normalizer_.NormalizeLog(r), false);
    }
  }
  return next_.ConsumeLogs(std::move(batch));
}

}  // namespace astrolabe::processor::genai
