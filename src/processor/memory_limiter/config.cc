#include "processor/memory_limiter/config.h"

namespace astrolabe::processor::memory_limiter {
namespace {

// An int64 field that upstream declares uint32: mapstructure's range error, at the key.
void Uint32Field(config::Visitor& v, std::string_view key, int64_t& value) {
  v.Field(key, value);
  if (v.decoding() && (value < 0 || value > 0xFFFFFFFFLL)) {
    v.Error(key, "cannot parse value as 'uint32': " + std::to_string(value) + " overflows uint");
  }
}

}  // namespace

void Config::Visit(config::Visitor& v) {
  v.Field("check_interval", check_interval);
  v.Field("min_gc_interval_when_soft_limited", min_gc_interval_when_soft_limited);
  v.Field("min_gc_interval_when_hard_limited", min_gc_interval_when_hard_limited);
  v.Field("max_gc_interval_when_soft_limited", max_gc_interval_when_soft_limited);
  v.Field("max_gc_interval_when_hard_limited", max_gc_interval_when_hard_limited);
  Uint32Field(v, "limit_mib", limit_mib);
  Uint32Field(v, "spike_limit_mib", spike_limit_mib);
  Uint32Field(v, "limit_percentage", limit_percentage);
  Uint32Field(v, "spike_limit_percentage", spike_limit_percentage);
}

Status Config::Validate() const {
  if (check_interval <= Duration::zero()) {
    return InvalidArgument("'check_interval' must be greater than zero");
  }
  if (min_gc_interval_when_soft_limited < min_gc_interval_when_hard_limited) {
    return InvalidArgument(
        "'min_gc_interval_when_soft_limited' should be larger than "
        "'min_gc_interval_when_hard_limited'");
  }
  if (max_gc_interval_when_soft_limited < Duration::zero()) {
    return InvalidArgument("'max_gc_interval_when_soft_limited' must be non-negative");
  }
  if (max_gc_interval_when_hard_limited < Duration::zero()) {
    return InvalidArgument("'max_gc_interval_when_hard_limited' must be non-negative");
  }
  if (max_gc_interval_when_soft_limited > Duration::zero() &&
      max_gc_interval_when_soft_limited < min_gc_interval_when_soft_limited) {
    return InvalidArgument(
        "'max_gc_interval_when_soft_limited' must be greater than or equal to "
        "'min_gc_interval_when_soft_limited' (or 0 to disable)");
  }
  if (max_gc_interval_when_hard_limited > Duration::zero() &&
      max_gc_interval_when_hard_limited < min_gc_interval_when_hard_limited) {
    return InvalidArgument(
        "'max_gc_interval_when_hard_limited' must be greater than or equal to "
        "'min_gc_interval_when_hard_limited' (or 0 to disable)");
  }
  if (max_gc_interval_when_soft_limited > Duration::zero() &&
      max_gc_interval_when_hard_limited > Duration::zero() &&
      max_gc_interval_when_soft_limited < max_gc_interval_when_hard_limited) {
    return InvalidArgument(
        "'max_gc_interval_when_soft_limited' should be larger than or equal to "
        "'max_gc_interval_when_hard_limited' (when both are set)");
  }
  if (limit_mib == 0 && limit_percentage == 0) {
    return InvalidArgument("'limit_mib' or 'limit_percentage' must be greater than zero");
  }
  if (limit_percentage > 100 || spike_limit_percentage > 100) {
    return InvalidArgument(
        "'limit_percentage' and 'spike_limit_percentage' must be greater than zero and less "
        "than or equal to hundred");
  }
  if (limit_mib > 0 && limit_mib <= spike_limit_mib) {
    return InvalidArgument("'spike_limit_mib' must be smaller than 'limit_mib'");
  }
  if (limit_percentage > 0 && limit_percentage <= spike_limit_percentage) {
    return InvalidArgument("'spike_limit_percentage' must be smaller than 'limit_percentage'");
  }
  return Status::Ok();
}

}  // namespace astrolabe::processor::memory_limiter
