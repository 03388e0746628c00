#include "genai/prices.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "common/strings.h"
#include "config/decoder.h"
#include "config/diagnostics.h"
#include "config/parse.h"

namespace astrolabe::genai {

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// "YYYY-MM-DD", optionally followed by "THH:MM:SS" and "Z" (UTC; offsets are not accepted),
// from 1970 to 2261 (Unix nanoseconds in an int64_t end in April 2262).
bool ParseDate(std::string_view s, int64_t* unix_nanos) {
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (!Digits(s, 0, 4, &y) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, &mo) ||
      s[7] != '-' || !Digits(s, 8, 2, &d)) {
    return false;
  }
  if (y < 1970 || y > 2261 || mo < 1 || mo > 12 || d < 1 || d > 31) return false;
  std::string_view rest = s.substr(10);
  if (!rest.empty()) {
    if (rest.size() < 9 || (rest[0] != 'T' && rest[0] != ' ') || !Digits(rest, 1, 2, &h) ||
        rest[3] != ':' || !Digits(rest, 4, 2, &mi) || rest[6] != ':' || !Digits(rest, 7, 2, &sec)) {
      return false;
    }
    rest = rest.substr(9);
    if (!(rest.empty() || rest == "Z")) return false;
    if (h > 23 || mi > 59 || sec > 60) return false;
  }
  int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  *unix_nanos = ((days * 86400) + h * 3600 + mi * 60 + sec) * 1'000'000'000LL;
  return true;
}

void OptionalPrice(config::Visitor& v, std::string_view key, double& value) {
  if (v.decoding() || value >= 0) v.Field(key, value);
}

// ASCII case folding, inline: std::tolower is a call per byte (and locale-dependent), and
// this runs for every price entry on every LLM-call span.
inline char AsciiLowerChar(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

bool NameEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLowerChar(a[i]) != AsciiLowerChar(b[i])) return false;
  }
  return true;
}

// How well `e` matches `model`: 0 = not at all.
bool NameMatches(const PriceEntry& e, std::string_view model) {
  if (NameEquals(e.model, model)) return true;
  size_t slash = model.find('/');
  if (slash != std::string_view::npos && NameEquals(e.model, model.substr(slash + 1))) return true;
  for (const std::string& g : e.match) {
    if (GlobMatch(g, model)) return true;
  }
  return false;
}

}  // namespace

void PriceEntry::Visit(config::Visitor& v) {
  v.Field("model", model);
  v.Field("provider", provider);
  v.Field("match", match);
  v.Field("from", from);
  OptionalPrice(v, "input", input);
  OptionalPrice(v, "output", output);
  OptionalPrice(v, "cached_input", cached_input);
  OptionalPrice(v, "cache_creation_input", cache_creation_input);
  OptionalPrice(v, "reasoning", reasoning);
  v.Field("currency", currency);
}

Status PriceEntry::Validate() {
  if (model.empty()) return InvalidArgument("a price entry has no model");
  std::string where = "model " + model + ": ";
  auto check = [&](double p, std::string_view key, bool required) -> Status {
    if (p < 0 && !required) return Status::Ok();
    if (!std::isfinite(p) || p < 0) {
      return InvalidArgument(where + std::string(key) + " must be a number >= 0 (per 1M tokens)");
    }
    return Status::Ok();
  };
  RETURN_IF_ERROR(check(input, "input", true));
  RETURN_IF_ERROR(check(output, "output", true));
  RETURN_IF_ERROR(check(cached_input, "cached_input", false));
  RETURN_IF_ERROR(check(cache_creation_input, "cache_creation_input", false));
  RETURN_IF_ERROR(check(reasoning, "reasoning", false));
  if (currency.empty()) return InvalidArgument(where + "currency must not be empty");
  from_unix_nanos = 0;
  if (!from.empty() && !ParseDate(from, &from_unix_nanos)) {
    return InvalidArgument(where + "from: bad date \"" + from +
                           "\" (want YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, years 1970 to 2261)");
  }
  for (const std::string& g : match) {
    if (g.empty()) return InvalidArgument(where + "match: an empty pattern");
  }
  return Status::Ok();
}

// Case-insensitive (ASCII) hashing and equality of model names, as NameEquals compares them;
// lookups need no lower-cased copy of the name.
struct FoldedHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const {
    uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
    for (char c : s) h = (h ^ static_cast<unsigned char>(AsciiLowerChar(c))) * 0x100000001b3ull;
    return static_cast<size_t>(h);
  }
};
struct FoldedEq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return NameEquals(a, b); }
};

// An entry matches a model when its name equals the model or the model's part after the first
// '/', or when one of its globs matches (NameMatches). The index finds the candidates: entries
// by name, and entries with globs by each glob's first byte (lower-cased); a glob starting
// with '*' or '?' may match any model, so its entry is always a candidate.
struct PriceTable::NameIndex {
  uint64_t id = 0;  // unique per index built, for CandidateCache
  std::unordered_map<std::string, std::vector<uint32_t>, FoldedHash, FoldedEq> by_name;
  std::vector<uint32_t> by_glob_start[256];
  std::vector<uint32_t> wild_globs;
};

namespace {

std::atomic<uint64_t> next_index_id{1};

// The candidates of the last models looked up, per thread: a span stream names few models, and
// their globs cost more than the rest of Find. Keyed by the index's id (never reused, unlike
// an address) and the model's exact bytes; the answer does not depend on provider or time.
struct CandidateCache {
  static constexpr size_t kSlots = 64;
  static constexpr size_t kMaxIds = 8;
  struct Slot {
    uint64_t index_id = 0;  // 0 = empty
    std::string model;
    uint8_t n = 0;
    uint32_t ids[kMaxIds];
  };
  Slot slots[kSlots];

  static size_t SlotOf(uint64_t index_id, std::string_view model) {
    uint64_t h = 0xcbf29ce484222325ull ^ index_id;
    for (char c : model) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
    return static_cast<size_t>(h >> 58);  // 64 slots
  }
};

thread_local CandidateCache candidate_cache;

}  // namespace

PriceTable::PriceTable(std::vector<PriceEntry> entries) : entries_(std::move(entries)) {
  auto index = std::make_shared<NameIndex>();
  index->id = next_index_id.fetch_add(1, std::memory_order_relaxed);
  for (size_t i = 0; i < entries_.size(); ++i) {
    const uint32_t id = static_cast<uint32_t>(i);
    index->by_name[entries_[i].model].push_back(id);
    for (const std::string& g : entries_[i].match) {
      if (g.empty()) continue;  // matches only an empty model, which Find never looks up
      std::vector<uint32_t>& list =
          g[0] == '*' || g[0] == '?'
              ? index->wild_globs
              : index->by_glob_start[static_cast<unsigned char>(AsciiLowerChar(g[0]))];
      if (list.empty() || list.back() != id) list.push_back(id);
    }
  }
  index_ = std::move(index);
}

Result<PriceTable> PriceTable::FromYaml(std::string_view text, std::string_view file) {
  config::Diagnostics diag;
  config::ParseOptions opts;
  opts.file = std::make_shared<const std::string>(file);
  std::optional<config::Node> root = config::ParseYaml(text, opts, diag);
  if (!root) return diag.ToStatus();
  PriceList list;
  config::Decode(*root, "", list, diag);
  if (diag.has_errors()) return diag.ToStatus();
  for (size_t i = 0; i < list.prices.size(); ++i) {
    Status s = list.prices[i].Validate();
    if (!s.ok()) {
      return InvalidArgument(std::string(file) + ": prices[" + std::to_string(i) +
                             "]: " + s.message());
    }
  }
  return PriceTable(std::move(list.prices));
}

Result<PriceTable> PriceTable::FromFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument("price file " + path + ": cannot be read");
  std::ostringstream ss;
  ss << in.rdbuf();
  return FromYaml(ss.str(), path);
}

const PriceTable& PriceTable::BuiltIn() {
  static const PriceTable* table = [] {
    Result<PriceTable> t = FromYaml(BuiltInPricesYaml(), "<built-in prices>");
    // The built-in table is tested (prices_test.cc); an empty table is the safe fallback.
    return new PriceTable(t.ok() ? std::move(*t) : PriceTable());
  }();
  return *table;
}

const PriceEntry* PriceTable::Find(std::string_view provider, std::string_view model,
                                   uint64_t unix_nanos) const {
  if (model.empty()) return nullptr;
  if (index_ == nullptr) return FindLinear(provider, model, unix_nanos);
  // The candidates, in entry order (FindLinear's tie-break is the first of equals).
  constexpr size_t kMax = 64;
  uint32_t cand[kMax];
  size_t n = 0;
  CandidateCache::Slot& slot = candidate_cache.slots[CandidateCache::SlotOf(index_->id, model)];
  if (slot.index_id == index_->id && slot.model == model) {
    n = slot.n;
    std::copy(slot.ids, slot.ids + n, cand);
    return Best(cand, n, provider, unix_nanos);
  }
  bool overflow = false;
  auto add = [&](uint32_t id) {
    if (n == kMax) {
      overflow = true;
      return;
    }
    cand[n++] = id;
  };
  auto by_name = [&](std::string_view name) {
    auto it = index_->by_name.find(name);
    if (it == index_->by_name.end()) return;
    for (uint32_t id : it->second) add(id);
  };
  by_name(model);
  const size_t slash = model.find('/');
  if (slash != std::string_view::npos) by_name(model.substr(slash + 1));
  auto globs = [&](const std::vector<uint32_t>& ids) {
    for (uint32_t id : ids) {
      for (const std::string& g : entries_[id].match) {
        if (GlobMatch(g, model)) {
          add(id);
          break;
        }
      }
    }
  };
  globs(index_->by_glob_start[static_cast<unsigned char>(AsciiLowerChar(model[0]))]);
  globs(index_->wild_globs);
  if (overflow) return FindLinear(provider, model, unix_nanos);
  std::sort(cand, cand + n);
  n = static_cast<size_t>(std::unique(cand, cand + n) - cand);
  if (n <= CandidateCache::kMaxIds) {
    slot.index_id = index_->id;
    slot.model.assign(model);
    slot.n = static_cast<uint8_t>(n);
    std::copy(cand, cand + n, slot.ids);
  }
  return Best(cand, n, provider, unix_nanos);
}

namespace {

// The ranking of the entries whose name matches a model, in entry order: only entries in
// effect at the time; the provider's own before provider-less ones before other providers';
// among equals, the latest `from`, then the first.
struct BestEntry {
  BestEntry(std::string_view p, uint64_t t) : provider(p), unix_nanos(t) {}
  void Consider(const PriceEntry& e) {
    if (e.from_unix_nanos > 0 && static_cast<uint64_t>(e.from_unix_nanos) > unix_nanos) return;
    int rank = e.provider.empty() ? 1 : (NameEquals(e.provider, provider) ? 2 : 0);
    if (rank > best_rank || (rank == best_rank && e.from_unix_nanos > entry->from_unix_nanos)) {
      entry = &e;
      best_rank = rank;
    }
  }
  std::string_view provider;
  uint64_t unix_nanos;
  const PriceEntry* entry = nullptr;
  int best_rank = -1;
};

}  // namespace

const PriceEntry* PriceTable::Best(const uint32_t* cand, size_t n, std::string_view provider,
                                   uint64_t unix_nanos) const {
  BestEntry best(provider, unix_nanos);
  for (size_t k = 0; k < n; ++k) best.Consider(entries_[cand[k]]);
  return best.entry;
}

const PriceEntry* PriceTable::FindLinear(std::string_view provider, std::string_view model,
                                         uint64_t unix_nanos) const {
  if (model.empty()) return nullptr;
  BestEntry best(provider, unix_nanos);
  for (const PriceEntry& e : entries_) {
    if (NameMatches(e, model)) best.Consider(e);
  }
  return best.entry;
}

const PriceEntry* PriceBook::Find(const LlmCall& call) const {
  for (const std::string* m : {&call.response_model, &call.request_model}) {
    for (const auto& table : tables_) {
      if (const PriceEntry* e = table->Find(call.provider, *m, call.time_unix_nano)) return e;
    }
  }
  return nullptr;
}

std::optional<Cost> ComputeCost(const PriceEntry& price, const LlmCall& call) {
  if (!call.input_tokens && !call.output_tokens) return std::nullopt;
  auto n = [](const std::optional<int64_t>& v) {
    return v && *v > 0 ? static_cast<double>(*v) : 0.0;
  };
  double in = n(call.input_tokens), out = n(call.output_tokens);
  double cache_read = n(call.cache_read_input_tokens);
  double cache_write = n(call.cache_creation_input_tokens);
  double reasoning = n(call.reasoning_output_tokens);
  double uncached = (cache_read + cache_write <= in) ? in - cache_read - cache_write : in;
  double plain_out = (reasoning <= out) ? out - reasoning : out;
  double p_cache_read = price.cached_input >= 0 ? price.cached_input : price.input;
  double p_cache_write = price.cache_creation_input >= 0 ? price.cache_creation_input : price.input;
  double p_reasoning = price.reasoning >= 0 ? price.reasoning : price.output;
  double total = uncached * price.input + cache_read * p_cache_read + cache_write * p_cache_write +
                 plain_out * price.output + reasoning * p_reasoning;
  return Cost{total / 1e6, price.currency};
}

bool GlobMatch(std::string_view pattern, std::string_view text) {
  // Iterative with one backtrack point: linear-ish, no recursion on untrusted model names.
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  auto eq = [](char a, char b) { return AsciiLowerChar(a) == AsciiLowerChar(b); };
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || eq(pattern[p], text[t]))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace astrolabe::genai
