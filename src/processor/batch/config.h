#pragma once
// Config of the batch processor; keys, defaults and messages as upstream's (core
// processor/batchprocessor/config.go, factory.go):
//
//   processors:
//     batch:
//       send_batch_size: 8192          # items that trigger a send; 0 = send every batch at once
//       send_batch_max_size: 0         # split batches larger than this; 0 = no maximum
//       timeout: 200ms                 # send what is pending this long after the last send;
//                                      # 0 = send every batch at once
//       metadata_keys: [x-tenant]      # one pending batch per distinct client-metadata value
//       metadata_cardinality_limit: 1000  # at most this many distinct values; 0 = no limit
//
// Items are metric data points, spans or log records.

#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"
#include "component/factory.h"

namespace astrolabe::processor::batch {

struct Config : component::ComponentConfig {
  Duration timeout = std::chrono::milliseconds(200);
  // uint32 upstream: a negative or too large value is a decode error at its position,
  // worded as upstream's ("cannot parse value as 'uint32': -1 overflows uint").
  int64_t send_batch_size = 8192;
  int64_t send_batch_max_size = 0;
  std::vector<std::string> metadata_keys;
  int64_t metadata_cardinality_limit = 1000;

  void Visit(config::Visitor& v) override;
  // Upstream's messages, in upstream's order:
  //   `send_batch_max_size must be greater or equal to send_batch_size`
  //   `duplicate entry in metadata_keys: "x-tenant" (case-insensitive)`
  //   `timeout must be greater or equal to 0`
  Status Validate() const override;
};

}  // namespace astrolabe::processor::batch
