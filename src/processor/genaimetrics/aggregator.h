#pragma once
// Aggregator: LLM-call spans in, the GenAI client metrics of the OpenTelemetry semantic
// conventions out (docs/genai-metrics.md):
//
//   gen_ai.client.token.usage        histogram {token}, gen_ai.token.type = input | output
//   gen_ai.client.operation.duration histogram s (error.type on failures)
//   astrolabe.genai.cost             monotonic sum (the span's astrolabe.genai.cost)
//   astrolabe.genai.requests         monotonic sum (error.type on failures)
//
// each with gen_ai.operation.name, gen_ai.provider.name, gen_ai.request.model and
// service.name as point attributes (those the span has), and a resource of the span's
// service.name / service.namespace / service.instance.id. Histograms use the convention's
// explicit bucket boundaries. A span counts when it has a string gen_ai.operation.name (the
// `genai` processor writes it for every dialect).
//
// Delta temporality: Take() returns what was added since the previous Take(), with
// start = that Take's time, and forgets it.
//
// Thread-compatible: the processor serialises Add and Take with its mutex.

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "pdata/metrics.h"
#include "pdata/traces.h"

namespace astrolabe::processor::genaimetrics {

// The convention's bucket advice (semantic-conventions gen-ai-metrics).
extern const std::vector<double> kTokenBuckets;
extern const std::vector<double> kDurationBuckets;

class Aggregator {
 public:
  // Adds the spans of one resource; returns how many counted. The resource's part of the
  // series key is built once, and a span of one of the last few series this call met finds
  // it by comparing four attribute values, without building its key.
  size_t Add(const pdata::Resource& resource, std::span<const pdata::Span> spans);
  // Adds one span of `resource`; returns whether it counted.
  bool Add(const pdata::Resource& resource, const pdata::Span& span) {
    return Add(resource, std::span<const pdata::Span>(&span, 1)) == 1;
  }
  // The metrics since the last Take (start_unix_nano) up to now_unix_nano; empty Metrics
  // when nothing was added. Resets the aggregator.
  pdata::Metrics Take(uint64_t start_unix_nano, uint64_t now_unix_nano);
  bool empty() const { return calls_.empty(); }
  // Distinct call series (by error.type too) since the last Take.
  size_t series() const { return calls_.size(); }

 private:
  struct Hist {
    std::vector<uint64_t> counts;
    uint64_t count = 0;
    double sum = 0;
    double min = 0, max = 0;
    void Observe(const std::vector<double>& bounds, double v);
  };
  // Calls by operation, provider, model, service and error.type: duration and requests.
  struct Calls {
    pdata::Attributes resource;
    pdata::Attributes attributes;
    Hist duration;
    int64_t requests = 0;
  };
  // Usage by the same but error.type (the convention keeps it off token usage): tokens
  // and cost.
  struct Usage {
    pdata::Attributes resource;
    pdata::Attributes attributes;
    Hist input_tokens, output_tokens;
    double cost = 0;
    bool has_cost = false;
  };
  // Keys: encoded resource, '|', encoded attributes; maps ordered so Take groups by resource.
  std::map<std::string, Calls, std::less<>> calls_;
  std::map<std::string, Usage, std::less<>> usage_;
  std::string key_;  // Add's scratch buffer
};

}  // namespace astrolabe::processor::genaimetrics
