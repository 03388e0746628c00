#include "genai/key_index.h"

#include <array>
#include <bit>
#include <cstring>

#include "pdata/spares.h"

namespace astrolabe::genai {

namespace {

// Open addressing over 256 slots (~70 keys: short probe runs). The hash reads the key's last
// (up to) 8 bytes and its length: the known keys differ there, and an unknown key costs one
// multiply and usually one empty slot.
constexpr size_t kSlots = 256;

constexpr uint64_t Tail8(std::string_view k) {
  const size_t n = k.size() < 8 ? k.size() : 8;
  uint64_t x = 0;
  for (size_t i = 0; i < n; ++i) {
    x |= static_cast<uint64_t>(static_cast<unsigned char>(k[k.size() - n + i])) << (8 * i);
  }
  return x;
}

inline uint64_t Load8(const char* p) {
  uint64_t x;
  std::memcpy(&x, p, 8);
  return x;
}

inline uint64_t Tail8Runtime(std::string_view k) {
  if constexpr (std::endian::native == std::endian::little) {
    if (k.size() >= 8) return Load8(k.data() + k.size() - 8);  // the same value as Tail8's
  }
  return Tail8(k);
}

constexpr size_t Slot(uint64_t tail, size_t size) {
  return static_cast<size_t>(((tail ^ size) * 0x9E3779B97F4A7C15ull) >> 56);
}

constexpr std::array<uint8_t, kSlots> MakeTable() {
  std::array<uint8_t, kSlots> t{};
  for (size_t id = 0; id < kKnownKeyCount; ++id) {
    size_t s = Slot(Tail8(kKnownKeys[id]), kKnownKeys[id].size());
    while (t[s] != 0) s = (s + 1) % kSlots;
    t[s] = static_cast<uint8_t>(id + 1);
  }
  return t;
}

constexpr std::array<uint8_t, kSlots> kTable = MakeTable();

// Each known key's Tail8, so that a probe compares one word before it reads the key's text.
constexpr std::array<uint64_t, kKnownKeyCount> MakeTails() {
  std::array<uint64_t, kKnownKeyCount> t{};
  for (size_t id = 0; id < kKnownKeyCount; ++id) t[id] = Tail8(kKnownKeys[id]);
  return t;
}
constexpr std::array<uint64_t, kKnownKeyCount> kTails = MakeTails();

// Every known key has 8 bytes or more: a shorter key is none of them, and a key's Tail8 is
// its last 8 bytes, so a match of tails and sizes leaves only the bytes before them.
consteval bool AllAtLeast8() {
  for (std::string_view k : kKnownKeys) {
    if (k.size() < 8) return false;
  }
  return true;
}
static_assert(AllAtLeast8());

// Whether a and b agree on their bytes before the last 8 (n >= 8): 8-byte words, the last
// one overlapping the tail. An inline loop: the keys are 9 to 45 bytes, where a call to
// memcmp cost more than the compare.
inline bool HeadEqual(const char* a, const char* b, size_t n) {
  for (size_t i = 0; i + 8 < n; i += 8) {
    if (Load8(a + i) != Load8(b + i)) return false;
  }
  return true;
}

// No key twice in the table (K() would then name only the first).
consteval bool Unique() {
  for (size_t i = 0; i < kKnownKeyCount; ++i) {
    for (size_t j = i + 1; j < kKnownKeyCount; ++j) {
      if (kKnownKeys[i] == kKnownKeys[j]) return false;
    }
  }
  return true;
}
static_assert(Unique());

// The index skips the prefix checks for known keys: none may start with an indexed prefix.
consteval bool NoKnownKeyIsIndexed() {
  for (std::string_view k : kKnownKeys) {
    for (std::string_view p : {"gen_ai.prompt.", "gen_ai.completion.", "llm.input_messages.",
                               "llm.output_messages.", "llm.request.functions."}) {
      if (k.substr(0, p.size()) == p) return false;
    }
  }
  return true;
}
static_assert(NoKnownKeyIsIndexed());

inline bool Starts(std::string_view s, size_t at, std::string_view p) {
  return s.size() >= at + p.size() && std::memcmp(s.data() + at, p.data(), p.size()) == 0;
}

}  // namespace

bool LookupKey(std::string_view key, KeyId* id) {
  if (key.size() < 8) return false;
  const uint64_t tail = Tail8Runtime(key);
  size_t s = Slot(tail, key.size());
  while (kTable[s] != 0) {
    const KeyId k = static_cast<KeyId>(kTable[s] - 1);
    const std::string_view known = kKnownKeys[k];
    if (kTails[k] == tail && known.size() == key.size() &&
        HeadEqual(known.data(), key.data(), key.size())) {
      *id = k;
      return true;
    }
    s = (s + 1) % kSlots;
  }
  return false;
}

std::string_view PrefixText(Prefix prefix) {
  switch (prefix) {
    case Prefix::kGenAiPrompt:
      return "gen_ai.prompt.";
    case Prefix::kGenAiCompletion:
      return "gen_ai.completion.";
    case Prefix::kLlmInputMessages:
      return "llm.input_messages.";
    case Prefix::kLlmOutputMessages:
      return "llm.output_messages.";
    case Prefix::kLlmRequestFunctions:
      return "llm.request.functions.";
  }
  return "";
}

KeyIndex::KeyIndex(const pdata::Attributes& attrs) : attrs_(&attrs) {
  auto set = [&](Prefix p) { prefixes_ |= 1u << static_cast<unsigned>(p); };
  for (size_t i = 0; i < attrs.size(); ++i) {
    const std::string_view k = attrs[i].key;
    KeyId id;
    if (LookupKey(k, &id)) {
      if (pos_[id] == 0) pos_[id] = static_cast<uint32_t>(i + 1);
      continue;  // no known key starts with an indexed prefix
    }
    if (k.size() < 14) continue;  // shorter than every prefix
    if (k[0] == 'g') {
      if (!Starts(k, 0, "gen_ai.")) continue;
      if (Starts(k, 7, "prompt.")) set(Prefix::kGenAiPrompt);
      if (Starts(k, 7, "completion.")) set(Prefix::kGenAiCompletion);
    } else if (k[0] == 'l') {
      if (!Starts(k, 0, "llm.")) continue;
      if (Starts(k, 4, "input_messages.")) set(Prefix::kLlmInputMessages);
      if (Starts(k, 4, "output_messages.")) set(Prefix::kLlmOutputMessages);
      if (Starts(k, 4, "request.functions.")) set(Prefix::kLlmRequestFunctions);
    }
  }
}

void KeyIndex::PutIfAbsent(pdata::Attributes& attrs, KeyId id, pdata::AnyValue value,
                           pdata::TracesSpares* spares) {
  if (pos_[id] != 0) return;
  pdata::KeyValue& kv =
      attrs.emplace_back(spares != nullptr ? spares->TakeKeyValue() : pdata::KeyValue());
  kv.key.assign(kKnownKeys[id]);
  kv.value = std::move(value);
  pos_[id] = static_cast<uint32_t>(attrs.size());
}

}  // namespace astrolabe::genai
