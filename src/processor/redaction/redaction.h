#pragma once
// The redaction processor: finds personal data and secrets in the prompt and completion
// content of GenAI spans and log events and, by mode, replaces each item with
// "[REDACTED:<kind>]" or "[HASH:<kind>:<16 hex>]", removes the content (drop), or leaves
// it (full). See README.md for what counts as content and docs/redaction.md for users.
//
// Per span (and per span event, per log record) it touches:
//   - content attributes: gen_ai.input.messages, gen_ai.output.messages,
//     gen_ai.system_instructions, gen_ai.prompt, gen_ai.completion,
//     gen_ai.tool.call.arguments, gen_ai.tool.call.result, every gen_ai.prompt.* and
//     gen_ai.completion.* (legacy OpenLLMetry), input.value, output.value,
//     llm.input_messages.*, llm.output_messages.*, llm.prompts* (OpenInference), Kong's
//     ai.*.payload.*, and the config's `attributes`; strings inside arrays and kvlists too;
//   - on span events and log records named gen_ai.* (event_name or the event.name
//     attribute): also `content`, `message`, `tool_calls` attributes and the log body.
// A record where something was replaced or dropped gets astrolabe.redaction.count (int)
// and astrolabe.redaction.mode. Counter: astrolabe_redaction_items_total{kind}.
//
// Thread-safety: Consume* may run on any number of threads; each call uses its own
// scratch space; the detector is immutable.

#include <memory>
#include <string>
#include <vector>

#include "component/component.h"
#include "component/telemetry.h"
#include "processor/redaction/config.h"
#include "redaction/detector.h"

namespace astrolabe::processor::redaction {

class RedactionProcessor final : public component::Processor {
 public:
  // `telemetry` may be null (tests). REQUIRES: config.Validate() is OK; `next` outlives
  // the processor.
  RedactionProcessor(const Config& config, std::unique_ptr<astrolabe::redaction::Detector> detector,
                     component::Telemetry* telemetry, component::Consumer& next);

  Status Start(component::Host&) override { return Status::Ok(); }
  Status Shutdown(component::Deadline) override { return Status::Ok(); }

  Status ConsumeTraces(component::TracesBatch batch) override;
  Status ConsumeLogs(component::LogsBatch batch) override;
  bool MutatesData() const override { return mode_ != astrolabe::redaction::Mode::kFull; }

  // Per-record work, public for tests and the benchmark.
  struct Work;
  // Rewrites the content of one span (attributes and events); returns the items
  // replaced or dropped.
  size_t ProcessSpan(pdata::Span& span, Work& work) const;
  size_t ProcessLog(pdata::LogRecord& record, Work& work) const;
  // Rewrites every string in `value`; returns the items replaced.
  size_t RedactValue(pdata::AnyValue& value, Work& work) const;

 private:
  // One of the config's `attributes` (the built-in keys are IsBuiltinContentKey's).
  bool IsExtraContentKey(std::string_view key) const;
  size_t ProcessAttributes(pdata::Attributes& attrs, bool event, Work& work) const;
  void Mark(pdata::Attributes& attrs, size_t count) const;
  void Count(const Work& work) const;

  astrolabe::redaction::Mode mode_;
  std::vector<std::string> extra_keys_;
  std::unique_ptr<astrolabe::redaction::Detector> detector_;
  std::vector<component::Counter*> counters_;  // per rule, then "dropped"; empty without telemetry
  component::Consumer& next_;
};

struct RedactionProcessor::Work {
  std::vector<astrolabe::redaction::Match> matches;
  std::string scratch;
  std::vector<uint64_t> counts;  // per rule, then dropped
};

}  // namespace astrolabe::processor::redaction
