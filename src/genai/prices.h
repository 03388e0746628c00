#pragma once
// The price table: what an LLM call costs, from its token counts. Format and defaults are
// documented in docs/genai-cost.md; in short, a YAML document
//
//   prices:
//     - model: gpt-4o                  # matched case-insensitively; see PriceTable::Find
//       provider: openai               # optional; an entry of the span's provider wins
//       match: ["gpt-4o-20*"]          # optional globs (* and ?) for dated names
//       from: 2024-10-01               # optional; the entry in force at the span's start applies
//       input: 2.50                    # per 1M input tokens (uncached)
//       output: 10.00                  # per 1M output tokens
//       cached_input: 1.25             # optional, per 1M cache-read input tokens (else input)
//       cache_creation_input: 3.75     # optional, per 1M cache-write input tokens (else input)
//       reasoning: 10.00               # optional, per 1M reasoning tokens (else output)
//       currency: USD                  # default USD
//
// Immutable after loading; thread-safe to share.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "config/visitor.h"
#include "genai/llm_call.h"

namespace astrolabe::genai {

// One row. Optional prices are negative when unset (the YAML leaves them out).
struct PriceEntry {
  std::string model;
  std::string provider;
  std::vector<std::string> match;
  std::string from;  // YYYY-MM-DD or RFC 3339; "" = always
  double input = -1;
  double output = -1;
  double cached_input = -1;
  double cache_creation_input = -1;
  double reasoning = -1;
  std::string currency = "USD";

  int64_t from_unix_nanos = 0;  // parsed from `from` by Validate()

  void Visit(config::Visitor& v);
  // Fills from_unix_nanos. Errors name the entry: `model gpt-4o: from: bad date "x"`,
  // `model gpt-4o: input must be a number >= 0`, `an entry has no model`.
  Status Validate();
};

// `prices:` as a config section (the processor's inline key and the file's root).
struct PriceList {
  std::vector<PriceEntry> prices;
  void Visit(config::Visitor& v) { v.List("prices", prices); }
};

struct Cost {
  double amount = 0;
  std::string currency;
};

class PriceTable {
 public:
  PriceTable() = default;
  // REQUIRES: every entry passed Validate().
  explicit PriceTable(std::vector<PriceEntry> entries);

  // Parses a price file (`prices:` list). Errors carry `file`:line:column and the key path.
  static Result<PriceTable> FromYaml(std::string_view text, std::string_view file);
  // Reads and parses a file.
  static Result<PriceTable> FromFile(const std::string& path);
  // The built-in table (default_prices.cc; its date is kBuiltInPricesDate).
  static const PriceTable& BuiltIn();

  // The entry for `model` in force at `unix_nanos`, or nullptr. Names are compared
  // case-insensitively: first the whole name against `model`, then the part after the first
  // '/' (openai/gpt-4o → gpt-4o), then the `match` globs against the whole name. Among the
  // entries whose name matches, one whose provider equals `provider` wins over one without a
  // provider, which wins over one of another provider; among those, the latest `from` not
  // after `unix_nanos`.
  const PriceEntry* Find(std::string_view provider, std::string_view model,
                         uint64_t unix_nanos) const;

  const std::vector<PriceEntry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }

 private:
  // Find's answer by visiting every entry (the definition; Find narrows it down first).
  const PriceEntry* FindLinear(std::string_view provider, std::string_view model,
                               uint64_t unix_nanos) const;
  // The best of the candidate entries `cand` (ascending) by provider and time, as Find ranks.
  const PriceEntry* Best(const uint32_t* cand, size_t n, std::string_view provider,
                         uint64_t unix_nanos) const;

  std::vector<PriceEntry> entries_;
  // Entries by name and by their globs' first byte, so that Find looks at the few entries
  // that can match instead of all of them (price_index in prices.cc). Shared: immutable.
  struct NameIndex;
  std::shared_ptr<const NameIndex> index_;
};

// Price tables in order (user prices, then the built-in table). The response model is looked
// up first in every table, then the request model; the first table with an entry wins.
class PriceBook {
 public:
  void Add(std::shared_ptr<const PriceTable> table) { tables_.push_back(std::move(table)); }
  // The entry for the call: its response model first (what was billed), then its request
  // model; nullptr when neither has a price at the call's time.
  const PriceEntry* Find(const LlmCall& call) const;
  bool empty() const { return tables_.empty(); }

 private:
  std::vector<std::shared_ptr<const PriceTable>> tables_;
};

// tokens × price / 1M. Cache-read and cache-creation tokens are counted inside input_tokens
// (OTel convention) and billed at their own prices, not again as input; when they exceed the
// input count the emitter reported them separately and input is billed whole. Reasoning
// tokens likewise inside output_tokens. nullopt when the call has no token counts.
std::optional<Cost> ComputeCost(const PriceEntry& price, const LlmCall& call);

// Date of the built-in table's prices.
inline constexpr std::string_view kBuiltInPricesDate = "2026-11-23";
// The built-in table as YAML (documented in docs/genai-cost.md).
std::string_view BuiltInPricesYaml();

// Glob match, case-insensitive: '*' any run, '?' one byte.
bool GlobMatch(std::string_view pattern, std::string_view text);

}  // namespace astrolabe::genai
