#pragma once
// Ingest limits of the otlp receiver (DESIGN.md §8: every limit explicit), under `limits:`:
//
//   receivers:
//     otlp:
//       limits:
//         max_items_per_request: 1000000      # data points, spans or log records; 0: none
//         max_attributes_per_item: 256        # attributes of one item, and of one resource
//         max_attribute_value_length: 1MiB    # bytes of a string or bytes value, nested too
//
// What a breach gets (the request's body and decompressed size are the HTTP server's and
// the transport's, `max_request_body_size` / `max_recv_msg_size_mib`: 413 / RESOURCE_EXHAUSTED):
//   - more items than max_items_per_request: the whole request is refused, HTTP 413,
//     gRPC RESOURCE_EXHAUSTED (no RetryInfo, so senders do not retry it), naming the limit
//     and both numbers;
//   - an item (or its resource) over an attribute limit: that item is dropped, the rest is
//     ingested and the answer is 200 with partial_success {rejected count, the first
//     reason}; if every item is dropped, 400 / INVALID_ARGUMENT with the reason.
// Every refusal is counted by astrolabe_receiver_refused_items_total{receiver, transport,
// signal, reason} with reason items_per_request, attributes_per_item or
// attribute_value_length (and active_series when the store refuses new series).
// Defaults are generous on purpose: GenAI spans carry prompts and completions as attribute
// values, and Kubernetes resources carry many attributes.
//
// Thread-compatible value type; the functions are pure.

#include <cstdint>
#include <string>

#include "pdata/logs.h"
#include "pdata/metrics.h"
#include "pdata/traces.h"

namespace astrolabe::config {
class Visitor;
}

namespace astrolabe::receiver::otlp {

struct Limits {
  int64_t max_items_per_request = 1'000'000;  // 0: no limit; negative: a config error
  int64_t max_attributes_per_item = 256;
  uint64_t max_attribute_value_length = 1 << 20;
  void Visit(config::Visitor& v);
};

// What EnforceAttributeLimits dropped.
struct Dropped {
  uint64_t items = 0;
  std::string reason;      // the first breach, for the answer: "span \"chat\": attribute ..."
  std::string limit;       // "attributes_per_item" or "attribute_value_length" (the first)
  uint64_t by_count = 0;   // items dropped for max_attributes_per_item
  uint64_t by_length = 0;  // items dropped for max_attribute_value_length
};

// Removes from `data` every item (data point, span, log record) whose attributes, or whose
// resource's attributes, break an attribute limit (0: no limit); drops the scopes, metrics
// and resources this leaves empty (ones that arrived empty stay). Returns what was removed.
Dropped EnforceAttributeLimits(pdata::Metrics& data, const Limits& limits);
Dropped EnforceAttributeLimits(pdata::Traces& data, const Limits& limits);
Dropped EnforceAttributeLimits(pdata::Logs& data, const Limits& limits);

}  // namespace astrolabe::receiver::otlp
