#pragma once
// TracesSpares: cleared pdata objects that keep their heap capacity, for a decoder to build
// the next request from instead of allocating afresh (protobuf's Clear-and-reuse, in pdata's
// terms). A request of 1000 GenAI spans is ~25,000 strings and vectors; decoding into spares
// makes most of them reuse a buffer a previous request left behind, and spares the frees.
//
//   TracesSpares spares;
//   spares.Harvest(old_traces);          // old_traces is empty afterwards
//   wire::DecodeTracesRequest(bytes, &new_traces, &spares);   // takes what it needs
//
// Each spare is in the state of a default-constructed object (empty strings and vectors,
// zero scalars) except for capacity, so an object taken from the spares and filled by a
// decoder equals one the decoder built from nothing — with one exception, for speed: a spare
// Span keeps its attributes as they were, so that a decoder writes the new ones over them in
// place (a string value over the old string, anything else after RecycleValue() of the old
// value; truncate the rest) instead of moving ~20 key-values out and back per span. Harvest keeps
// no more than kMaxKeptBytes of string capacity (strings over kMaxKeptString, and the rest past the
// budget, are freed) and no more objects than the one request it harvested held.
//
// Events, links, key-value lists and bytes values are not kept (they are rare in spans); they
// are freed as usual.
//
// Thread-compatible: one thread at a time (the otlp receiver keeps spares per pooled request).

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "pdata/traces.h"

namespace astrolabe::pdata {

class TracesSpares {
 public:
  // String capacity kept across all spares of this object (the scale of one large request).
  static constexpr size_t kMaxKeptBytes = 4 << 20;
  // A single string's capacity above this is freed rather than kept.
  static constexpr size_t kMaxKeptString = 16 << 10;
  // Capacity a string value may keep in place whatever it holds (ReusesInPlace).
  static constexpr size_t kSmallString = 256;

  // Drops the spares left from before (neither the last decode nor the processors after it
  // needed them: keeping them would let objects that processors add without taking them here
  // pile up request after request), then moves everything
  // `traces` holds into the spares, cleared; leaves `traces` empty (its resource_spans vector
  // keeps its capacity). So the spares never hold more than one request's objects.
  void Harvest(Traces& traces);

  // A cleared object from the spares, or a new default one when none is left.
  ResourceSpans TakeResourceSpans() { return Take(resource_spans_); }
  ScopeSpans TakeScopeSpans() { return Take(scope_spans_); }
  // Spans come back in the order Harvest found them (the others in any order): request after
  // request of the same shape, each span then lands on one that had the same attributes, and
  // the decoder writes each attribute over its like (taken last-first, an agent's workflow
  // span fell on an LLM span's twenty attributes and the next LLM span on the workflow's few,
  // two in every trace, and the attributes went back and forth through the spares).
  Span TakeSpan() {
    if (next_span_ == spans_.size()) return Span();
    return Claim(spans_[next_span_++]);  // the moved-from shell stays until Harvest or Clear
  }
  // Decoders take key-values, and so do processors that add attributes (Traces::spares): the
  // attributes a processor added to the last request are the ones the decoder hands back
  // (TakeBack) when it writes the next request over them.
  KeyValue TakeKeyValue() { return Take(key_values_); }
  ArrayValue TakeArray() { return Take(arrays_); }
  std::string TakeString() { return Take(strings_); }
  // Drops every spare.
  void Clear();

  // For a decoder writing over an attribute value a spare Span kept (see TakeSpan): moves the
  // value's string or array buffer into the spares (TakeString/TakeArray hand it back) and
  // resets the value to a default AnyValue.
  void RecycleValue(AnyValue& value) { HarvestValue(value); }
  // Whether a decoder writing a string of `size` bytes over `s`, a string value a spare Span
  // kept, may keep the buffer of `s`: only when that holds not much more than the new value
  // needs (at most 4x + kSmallString, and no more than kMaxKeptString). Otherwise the decoder
  // frees it first, so that what values written in place hold stays proportional to what they
  // carry, whatever requests came before.
  static bool ReusesInPlace(const std::string& s, size_t size) {
    return s.capacity() <= kMaxKeptString && s.capacity() <= 4 * size + kSmallString;
  }

  // Moves attributes[from..] into the spares, cleared, and removes them from `attributes`.
  void TakeBack(Attributes& attributes, size_t from);

  // Spare objects held (for tests and limits).
  size_t size() const {
    return resource_spans_.size() + scope_spans_.size() + (spans_.size() - next_span_) +
           key_values_.size() + arrays_.size() + strings_.size();
  }
  // Bytes of string capacity held beyond the strings' inline buffers.
  size_t kept_bytes() const { return kept_bytes_; }

 private:
  template <typename T>
  T Take(std::vector<T>& v) {
    if (v.empty()) return T();
    T t = Claim(v.back());
    v.pop_back();
    return t;
  }
  // Moves a spare out, no longer counting its capacity as kept.
  template <typename T>
  T Claim(T& spare) {
    kept_bytes_ -= std::min(kept_bytes_, HeapBytes(spare));
    return std::move(spare);
  }
  // The string capacity a cleared object holds outside its inline buffers.
  static size_t HeapBytes(const std::string& s);
  static size_t HeapBytes(const KeyValue& kv) { return HeapBytes(kv.key); }
  static size_t HeapBytes(const Span& s);  // not its attributes, which stay in place
  static size_t HeapBytes(const ScopeSpans& s);
  static size_t HeapBytes(const ResourceSpans& r) { return HeapBytes(r.schema_url); }
  static size_t HeapBytes(const ArrayValue&) { return 0; }
  // Clears `s`, keeping its buffer when the budget allows, else giving the buffer back.
  void ClearString(std::string& s);
  void HarvestAttributes(Attributes& attributes);
  void HarvestValue(AnyValue& value);
  void HarvestSpan(Span& span);

  std::vector<ResourceSpans> resource_spans_;
  std::vector<ScopeSpans> scope_spans_;
  std::vector<Span> spans_;
  size_t next_span_ = 0;  // spans_[next_span_..] are the spare ones
  std::vector<KeyValue> key_values_;
  std::vector<ArrayValue> arrays_;
  std::vector<std::string> strings_;
  size_t kept_bytes_ = 0;
};

}  // namespace astrolabe::pdata
