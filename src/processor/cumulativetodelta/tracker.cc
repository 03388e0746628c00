#include "processor/cumulativetodelta/tracker.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

namespace astrolabe::processor::cumulativetodelta {

std::string_view InitialValueName(InitialValue v) {
  switch (v) {
    case InitialValue::kAuto:
      return "auto";
    case InitialValue::kKeep:
      return "keep";
    case InitialValue::kDrop:
      return "drop";
  }
  return "";
}

std::optional<InitialValue> ParseInitialValue(std::string_view text) {
  for (InitialValue v : {InitialValue::kAuto, InitialValue::kKeep, InitialValue::kDrop}) {
    if (text == InitialValueName(v)) return v;
  }
  return std::nullopt;
}

size_t StreamKeyHash::operator()(const StreamKey& key) const {
  // boost::hash_combine's mixing; the attribute hashes are already well distributed.
  size_t h = std::hash<std::string>()(key.name);
  auto mix = [&h](size_t v) { h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); };
  mix(static_cast<size_t>(key.type));
  mix(key.is_int);
  mix(key.resource_hash);
  mix(std::hash<std::string>()(key.scope_name));
  mix(std::hash<std::string>()(key.scope_version));
  mix(key.is_monotonic);
  mix(std::hash<std::string>()(key.unit));
  mix(key.attributes_hash);
  mix(key.start_time_unix_nano);
  return h;
}

namespace {

// Sum deltas. A value below the previous one is a reset: no output, but the caller still
// moves the reference to the new value (upstream does the same).
std::optional<PointValue> SumDelta(double value, double previous) {
  if (value < previous) return std::nullopt;
  return PointValue(value - previous);
}

std::optional<PointValue> SumDelta(int64_t value, int64_t previous) {
  if (value < previous) return std::nullopt;
  // Two's-complement subtraction: exact whenever the delta fits (always, for counters
  // that started at zero), and wrapping like upstream's Go int64 instead of overflowing.
  return PointValue(
      static_cast<int64_t>(static_cast<uint64_t>(value) - static_cast<uint64_t>(previous)));
}

// Explicit-bucket histograms. `value` has had a NaN sum replaced by the previous sum.
std::optional<PointValue> HistogramDelta(const HistogramValue& value,
                                         const HistogramValue& previous) {
  if (value.bucket_counts.size() != previous.bucket_counts.size() ||
      value.explicit_bounds != previous.explicit_bounds) {
    return std::nullopt;  // a new bucket layout: nothing to subtract from
  }
  HistogramValue delta = value;
  // A count that went down means the producer restarted; its cumulative value is then
  // the best delta there is, so it is emitted as is (upstream's choice, kept).
  if (value.count >= previous.count) {
    delta.count -= previous.count;
    delta.sum -= previous.sum;
    for (size_t i = 0; i < delta.bucket_counts.size(); ++i) {
      // Buckets are not required to be monotonic even when the count is; wrap as the
      // unsigned arithmetic upstream does rather than invent a value.
      delta.bucket_counts[i] -= previous.bucket_counts[i];
    }
  }
  return PointValue(std::move(delta));
}

// Buckets of `b` keyed by absolute index, after reducing them to `scale` (<= b's scale):
// every 2^(from-scale) adjacent buckets merge into one.
std::map<int64_t, uint64_t> Downscale(const pdata::ExponentialHistogramDataPoint::Buckets& b,
                                      int32_t from, int32_t scale) {
  std::map<int64_t, uint64_t> out;
  const int64_t shift = static_cast<int64_t>(from) - scale;  // >= 0; wide for hostile scales
  for (size_t i = 0; i < b.bucket_counts.size(); ++i) {
    if (b.bucket_counts[i] == 0) continue;
    int64_t index = static_cast<int64_t>(b.offset) + static_cast<int64_t>(i);
    // >> on a negative int64 is an arithmetic shift in C++20: floor division by 2^shift.
    int64_t reduced = shift >= 63 ? (index < 0 ? -1 : 0) : (index >> shift);
    out[reduced] += b.bucket_counts[i];
  }
  return out;
}

// Moves into *zero_count the buckets whose whole range lies within the zero bucket
// [-threshold, threshold]: bucket i spans (base^i, base^(i+1)], base = 2^(2^-scale).
void MergeIntoZero(std::map<int64_t, uint64_t>& buckets, int32_t scale, double threshold,
                   uint64_t* zero_count) {
  // Beyond ±2048 the exponent saturates a double anyway; clamping keeps -scale defined.
  const int exponent =
      static_cast<int>(std::clamp<int64_t>(-static_cast<int64_t>(scale), -2048, 2048));
  for (auto it = buckets.begin(); it != buckets.end();) {
    double upper = std::exp2(std::ldexp(static_cast<double>(it->first + 1), exponent));
    if (upper <= threshold) {
      *zero_count += it->second;
      it = buckets.erase(it);
    } else {
      ++it;
    }
  }
}

// Subtracts `previous` from `current` in place; false when a bucket of `previous` has no
// room in `current` (it lies outside current's range or holds more): a reset.
bool SubtractBuckets(pdata::ExponentialHistogramDataPoint::Buckets& current,
                     const std::map<int64_t, uint64_t>& previous) {
  for (const auto& [index, count] : previous) {
    int64_t pos = index - static_cast<int64_t>(current.offset);
    if (pos < 0 || pos >= static_cast<int64_t>(current.bucket_counts.size())) return false;
    uint64_t& slot = current.bucket_counts[static_cast<size_t>(pos)];
    if (slot < count) return false;
    slot -= count;
  }
  return true;
}

// Exponential histograms: the previous point is brought to the current point's layout
// (lower or equal scale, wider or equal zero bucket) and subtracted bucket by bucket.
// nullopt means a reset; the caller then keeps the previous point as the reference.
std::optional<PointValue> ExponentialDelta(const ExponentialHistogramValue& value,
                                           const ExponentialHistogramValue& previous) {
  if (value.count < previous.count || value.zero_threshold < previous.zero_threshold ||
      value.scale > previous.scale) {
    return std::nullopt;
  }
  auto positive = Downscale(previous.positive, previous.scale, value.scale);
  auto negative = Downscale(previous.negative, previous.scale, value.scale);
  uint64_t previous_zero = previous.zero_count;
  if (value.zero_threshold > previous.zero_threshold) {
    MergeIntoZero(positive, value.scale, value.zero_threshold, &previous_zero);
    MergeIntoZero(negative, value.scale, value.zero_threshold, &previous_zero);
  }
  ExponentialHistogramValue delta = value;
  if (delta.zero_count < previous_zero) return std::nullopt;
  delta.zero_count -= previous_zero;
  if (!SubtractBuckets(delta.positive, positive)) return std::nullopt;
  if (!SubtractBuckets(delta.negative, negative)) return std::nullopt;
  delta.count -= previous.count;
  delta.sum -= previous.sum;
  return PointValue(std::move(delta));
}

}  // namespace

Tracker::Tracker(TrackerOptions options) : options_(options) {}

size_t Tracker::PointKeyHash::operator()(const PointKey& k) const {
  uint64_t h = k.metric * 0x9e3779b97f4a7c15ULL;
  h ^= k.attributes_hash + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h ^= k.start_time_unix_nano + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h ^= static_cast<uint64_t>(k.is_int) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

uint64_t Tracker::Intern(const StreamKey& key) {
  StreamKey metric = key;
  metric.is_int = false;
  metric.attributes_hash = 0;
  metric.start_time_unix_nano = 0;
  auto [it, inserted] = metrics_.try_emplace(std::move(metric));
  if (inserted) {
    it->second.id = next_metric_++;
    metric_keys_.emplace(it->second.id, it->first);
  }
  return it->second.id;
}

std::optional<DeltaPoint> Tracker::Convert(const StreamKey& key, const CumulativePoint& point) {
  return Convert(Intern(key), key, point);
}

std::optional<DeltaPoint> Tracker::Convert(uint64_t metric, const StreamKey& key,
                                           const CumulativePoint& point) {
  auto [it, inserted] = states_.try_emplace(
      PointKey{metric, key.attributes_hash, key.start_time_unix_nano, key.is_int});
  State& state = it->second;
  if (inserted) {
    if (auto m = metric_keys_.find(metric); m != metric_keys_.end()) {
      ++metrics_.find(m->second)->second.streams;
    }
    state.previous = point;
    switch (options_.initial_value) {
      case InitialValue::kAuto: {
        // Only a start time set by the producer, after we started watching and distinct
        // from the point's own time, proves the whole value accrued in this stream.
        const uint64_t start = key.start_time_unix_nano;
        if (start < options_.created_unix_nano || start == point.time_unix_nano) {
          return std::nullopt;
        }
        return DeltaPoint{start, point.value};
      }
      case InitialValue::kKeep:
        return DeltaPoint{0, point.value};
      case InitialValue::kDrop:
        return std::nullopt;
    }
    return std::nullopt;
  }

  const CumulativePoint& previous = state.previous;
  std::optional<PointValue> delta;
  CumulativePoint next = point;  // what becomes the reference
  bool update_reference = true;
  if (const auto* d = std::get_if<double>(&point.value)) {
    if (const auto* p = std::get_if<double>(&previous.value)) delta = SumDelta(*d, *p);
  } else if (const auto* i = std::get_if<int64_t>(&point.value)) {
    if (const auto* p = std::get_if<int64_t>(&previous.value)) delta = SumDelta(*i, *p);
  } else if (std::holds_alternative<HistogramValue>(point.value)) {
    if (const auto* p = std::get_if<HistogramValue>(&previous.value)) {
      auto& stored = std::get<HistogramValue>(next.value);
      if (std::isnan(stored.sum)) stored.sum = p->sum;
      delta = HistogramDelta(stored, *p);
    }
  } else if (std::holds_alternative<ExponentialHistogramValue>(point.value)) {
    if (const auto* p = std::get_if<ExponentialHistogramValue>(&previous.value)) {
      auto& stored = std::get<ExponentialHistogramValue>(next.value);
      if (std::isnan(stored.sum)) stored.sum = p->sum;
      delta = ExponentialDelta(stored, *p);
      update_reference = delta.has_value();
    }
  }
  std::optional<DeltaPoint> out;
  if (delta) out = DeltaPoint{previous.time_unix_nano, std::move(*delta)};
  if (update_reference) state.previous = std::move(next);
  return out;
}

void Tracker::Sweep(uint64_t stale_before) {
  std::erase_if(states_, [&](const auto& entry) {
    if (entry.second.previous.time_unix_nano >= stale_before) return false;
    if (auto m = metric_keys_.find(entry.first.metric); m != metric_keys_.end()) {
      --metrics_.find(m->second)->second.streams;
    }
    return true;
  });
  // Metrics without streams are forgotten (their ids are never handed out again).
  std::erase_if(metrics_, [&](const auto& entry) {
    if (entry.second.streams > 0) return false;
    metric_keys_.erase(entry.second.id);
    return true;
  });
}

}  // namespace astrolabe::processor::cumulativetodelta
