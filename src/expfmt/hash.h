#pragma once
// The 64-bit series hash the parser reports with every sample, exposed so that callers can hash
// their own label sets the same way (e.g. to look a series up in a cache keyed by parser hashes).
//
// The hash is independent of label order: it is defined over the *set* of label pairs (as if
// sorted by name) plus the series name, computed as a sum of per-pair mixes so that no sorting is
// needed. It is fast and well distributed, not collision-resistant against an adversary; use it
// for caches and grouping, and compare the labels when a collision would matter.
// Pure functions; thread-safe.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "expfmt/format.h"

namespace astrolabe::expfmt {

// Hashes raw bytes.
uint64_t HashBytes(const void* data, size_t size, uint64_t seed);

// The contribution of one label pair to a set hash.
uint64_t LabelPairHash(std::string_view name, std::string_view value);

// Combines a name and the sum of LabelPairHash() over a set of `count` pairs.
uint64_t CombineSetHash(std::string_view name, uint64_t pair_hash_sum, size_t count);

// The series hash: CombineSetHash(name, sum of LabelPairHash(labels), labels.size()).
uint64_t SeriesHash(std::string_view name, std::span<const Label> labels);

}  // namespace astrolabe::expfmt
