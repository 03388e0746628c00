#pragma once
// Partial rejection: how a consumer says "I kept part of this batch". Some data of a batch
// can be refused for good (a name that cannot be translated, an out-of-order sample) while
// the rest is stored; the sender must not retry (that would duplicate what was kept), and
// an OTLP receiver answers 200 with `partial_success{rejected_data_points, error_message}`.
//
// Such a refusal is a permanent error (kInvalidArgument, so every caller that does not know
// this helper still drops the batch and does not retry) whose message carries the counts:
//
//   "partially rejected: 3 of 120 data points: metric \"x\": delta temporality ..."
//
// RejectedPoints() finds the counts again, also after callers annotated the message.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace astrolabe::component {

// REQUIRES: 0 < rejected <= total; `items` is "data points", "spans" or "log records".
Status PartialRejection(uint64_t rejected, uint64_t total, std::string_view reason,
                        std::string_view items = "data points");

struct RejectedCount {
  uint64_t rejected = 0;
  uint64_t total = 0;
  std::string reason;
};
// The counts of a PartialRejection status, or nullopt for any other status.
std::optional<RejectedCount> RejectedPoints(const Status& status);

}  // namespace astrolabe::component
