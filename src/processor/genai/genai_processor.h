#pragma once
// The genai processor: runs src/genai's Normalizer over every span (traces) or log record
// (logs) of a batch, in place (the batch is cloned first only when shared), then passes the
// batch on. See README.md for what it writes and docs/genai-conventions.md for the mapping.
//
// Own metrics (labels processor=<id>):
//   astrolabe_processor_genai_spans_total{dialect}      LLM-call spans normalised
//   astrolabe_processor_genai_log_records_total{dialect} GenAI message events normalised
//   astrolabe_processor_genai_cost_applied_total         spans given astrolabe.genai.cost
//   astrolabe_processor_genai_unknown_model_total        spans with tokens but no price
//   astrolabe_processor_genai_malformed_total            attribute values that could not be used
//   astrolabe_processor_genai_oversize_total             messages too long to write
//
// Thread-safety: ConsumeTraces/ConsumeLogs may run concurrently; the Normalizer is
// immutable and the counters are atomic.

#include <memory>

#include "component/component.h"
#include "component/factory.h"
#include "component/telemetry.h"
#include "genai/normalize.h"
#include "processor/genai/config.h"

namespace astrolabe::processor::genai {

class GenAiProcessor final : public component::Processor {
 public:
  // REQUIRES: `normalizer` built from a validated Config; `next` outlives the processor.
  GenAiProcessor(const component::CreateSettings& settings, astrolabe::genai::Normalizer normalizer,
                 component::Consumer& next);

  Status Start(component::Host&) override { return Status::Ok(); }
  Status Shutdown(component::Deadline) override { return Status::Ok(); }
  Status ConsumeTraces(component::TracesBatch batch) override;
  Status ConsumeLogs(component::LogsBatch batch) override;
  bool MutatesData() const override { return true; }

 private:
  void Count(const astrolabe::genai::Outcome& o, bool span);

  const astrolabe::genai::Normalizer normalizer_;
  component::Consumer& next_;
  std::unique_ptr<component::Telemetry> own_telemetry_;  // when settings had none
  component::Counter* spans_[3] = {};                    // by Dialect
  component::Counter* logs_[3] = {};
  component::Counter* cost_applied_ = nullptr;
  component::Counter* unknown_model_ = nullptr;
  component::Counter* malformed_ = nullptr;
  component::Counter* oversize_ = nullptr;
};

// The Normalizer a config describes: dialects, options and the price book (inline prices,
// then prices_file, then the built-in table when default_prices). REQUIRES: config.Validate().
Result<astrolabe::genai::Normalizer> BuildNormalizer(const Config& config);

}  // namespace astrolabe::processor::genai
