#include "expfmt/parser.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "expfmt/chars.h"
#include "expfmt/flat_set.h"
#include "expfmt/hash.h"
#include "expfmt/number.h"

namespace astrolabe::expfmt {

using internal::FlatMap64;
using internal::Is;
using internal::kBlank;
using internal::kLabelRest;
using internal::kLabelStart;
using internal::kMetricRest;
using internal::kMetricStart;

namespace {

// Exemplar label names and values together may hold at most this many code points.
constexpr size_t kMaxExemplarCodePoints = 128;

// Group key of info families: the reference parser treats all samples of an info family as one
// group (so their timestamps may go backwards).
constexpr uint64_t kInfoGroup = 0x1F0E1F0E1F0E1F0Eull;

const char* SkipBlanks(const char* p, const char* end) {
  while (p < end && Is(*p, kBlank)) ++p;
  return p;
}

// The token [p, first stop char or end).
const char* TokenEnd(const char* p, const char* end, bool om) {
  if (om) {
    const void* sp = std::memchr(p, ' ', static_cast<size_t>(end - p));
    return sp != nullptr ? static_cast<const char*>(sp) : end;
  }
  while (p < end && !Is(*p, kBlank)) ++p;
  return p;
}

// A token for an error message: quoted, non-printable bytes escaped, long tokens cut.
std::string Quote(std::string_view s) {
  constexpr size_t kMax = 64;
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < kMax; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c == 0x7F) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (s.size() > kMax) out += "...";
  out += "\"";
  return out;
}

static_assert(std::endian::native == std::endian::little, "the SWAR scan assumes little endian");
constexpr uint64_t kLowBits = 0x0101010101010101ull;
constexpr uint64_t kHighBits = 0x8080808080808080ull;

// Flags (in bit 7 of the byte) the bytes of `w` equal to `b`; the lowest flag is exact, higher
// ones may be false positives, so callers only use the lowest.
inline uint64_t HasByte(uint64_t w, unsigned char b) {
  uint64_t x = w ^ (kLowBits * b);
  return (x - kLowBits) & ~x & kHighBits;
}

bool IsInteger(double v) { return std::isfinite(v) && std::trunc(v) == v; }

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// The suffixes a sample of a family of `type` may carry (OpenMetrics), in the order of the
// reference parser's clash check; kNone included where the bare name is a sample.
std::span<const Suffix> OmSuffixes(MetricType type) {
  static constexpr Suffix kCounter[] = {Suffix::kTotal, Suffix::kCreated};
  static constexpr Suffix kSummary[] = {Suffix::kNone, Suffix::kCount, Suffix::kSum,
                                        Suffix::kCreated};
  static constexpr Suffix kHistogram[] = {Suffix::kBucket, Suffix::kCount, Suffix::kSum,
                                          Suffix::kCreated};
  static constexpr Suffix kGaugeHistogram[] = {Suffix::kBucket, Suffix::kGCount, Suffix::kGSum};
  static constexpr Suffix kInfo[] = {Suffix::kInfo};
  static constexpr Suffix kBare[] = {Suffix::kNone};
  switch (type) {
    case MetricType::kCounter:
      return kCounter;
    case MetricType::kSummary:
      return kSummary;
    case MetricType::kHistogram:
      return kHistogram;
    case MetricType::kGaugeHistogram:
      return kGaugeHistogram;
    case MetricType::kInfo:
      return kInfo;
    default:
      return kBare;
  }
}

// Text: counters are named as their TYPE line says; "_total" is tolerated for a counter whose
// TYPE name lacks it.
std::span<const Suffix> TextSuffixes(MetricType type) {
  static constexpr Suffix kCounter[] = {Suffix::kNone, Suffix::kTotal};
  static constexpr Suffix kSummary[] = {Suffix::kNone, Suffix::kCount, Suffix::kSum};
  static constexpr Suffix kHistogram[] = {Suffix::kBucket, Suffix::kCount, Suffix::kSum};
  static constexpr Suffix kBare[] = {Suffix::kNone};
  switch (type) {
    case MetricType::kCounter:
      return kCounter;
    case MetricType::kSummary:
      return kSummary;
    case MetricType::kHistogram:
      return kHistogram;
    default:
      return kBare;
  }
}

struct Family {
  std::string_view name;
  std::string name_buf;  // holds the name when it is not a view into the body
  std::string_view help;
  std::string help_buf;  // holds the help when it had escapes
  std::string_view unit;
  MetricType type = MetricType::kUnknown;
  bool has_type = false;
  bool has_help = false;
  bool has_unit = false;
  bool has_samples = false;
  uint32_t line = 0;

  void Start(std::string_view n, bool copy, uint32_t at_line) {
    if (copy) {
      name_buf.assign(n.data(), n.size());
      name = name_buf;
    } else {
      name = n;
    }
    help = {};
    unit = {};
    type = MetricType::kUnknown;
    has_type = has_help = has_unit = has_samples = false;
    line = at_line;
  }

  MetricType EffectiveType() const { return has_type ? type : MetricType::kUnknown; }
};

// Streaming state of the OpenMetrics histogram checks for one (group, timestamp) run.
struct HistogramRun {
  bool active = false;
  uint64_t group = 0;
  bool has_ts = false;
  int64_t ts = 0;
  uint32_t line = 0;
  bool has_bucket = false;
  double bucket = 0;
  double value = 0;  // count of the last bucket
  bool has_count = false;
  double count = 0;
  bool has_sum = false;
  bool has_gsum = false;
  bool negative_buckets = false;
  bool negative_gsum = false;
};

enum class Step { kContinue, kSample, kError };

}  // namespace

class Parser::Impl {
 public:
  Impl() { Reset({}, Format::kText); }

  void Reset(std::string_view body, Format format) {
    body_ = body;
    om_ = format == Format::kOpenMetrics;
    pos_ = 0;
    line_no_ = 0;
    done_ = false;
    saw_eof_ = false;
    status_ = Status::Ok();
    cur_ = nullptr;
    last_family_ = nullptr;
    pool_used_ = 0;
    family_index_.Clear();
    seen_names_.Clear();
    ResetGroups();
  }

  bool Next() {
    if (done_) return false;
    const char* base = body_.data();
    const size_t size = body_.size();
    while (pos_ < size) {
      const char* begin = base + pos_;
      const void* nl = std::memchr(begin, '\n', size - pos_);
      const char* end = nl != nullptr ? static_cast<const char*>(nl) : base + size;
      pos_ = static_cast<size_t>(end - base) + (nl != nullptr ? 1 : 0);
      ++line_no_;
      line_begin_ = begin;
      scratch_ready_ = false;
      Step st = om_ ? OmLine(begin, end) : TextLine(begin, end);
      if (st == Step::kSample) return true;
      if (st == Step::kError) return false;
    }
    if (om_ && !saw_eof_) {
      FailLine(std::max<uint32_t>(line_no_, 1), "data does not end with # EOF");
      return false;
    }
    if (om_ && !FinishOmFamily()) return false;
    done_ = true;
    return false;
  }

  const Sample& sample() const { return sample_; }
  const Status& status() const { return status_; }
  void SetKnownSeries(Parser::KnownSeries known, void* context) {
    known_ = known;
    known_context_ = context;
  }
  void SetExpectedSeries(Parser::ExpectedSeries expected, void* context) {
    expected_ = expected;
    expected_context_ = context;
  }

 private:
  // ---- errors ----

  bool Fail(const char* at, const std::string& message) {
    size_t column = static_cast<size_t>(at - line_begin_) + 1;
    status_ = InvalidArgument("line " + std::to_string(line_no_) + ", column " +
                              std::to_string(column) + ": " + message);
    done_ = true;
    return false;
  }

  bool FailLine(uint32_t line, const std::string& message) {
    status_ = InvalidArgument("line " + std::to_string(line) + ": " + message);
    done_ = true;
    return false;
  }

  static Step ToStep(bool ok) { return ok ? Step::kContinue : Step::kError; }

  // ---- scratch for unescaped strings ----

  // Makes room for every unescaped string of the current line. Called before the first view
  // into the scratch buffer is handed out for a line, so the buffer never moves under a view.
  void EnsureScratch() {
    if (scratch_ready_) return;
    size_t line_len = static_cast<size_t>(body_.data() + pos_ - line_begin_);
    if (scratch_.size() < line_len) scratch_.resize(std::max(line_len, scratch_.size() * 2));
    scratch_used_ = 0;
    scratch_ready_ = true;
  }

  // Unescapes a quoted string's contents: \\ \" \n are rewritten, any other backslash pair is
  // kept as written (Prometheus' unescaper does the same).
  std::string_view UnescapeToScratch(std::string_view raw) {
    EnsureScratch();
    char* out = scratch_.data() + scratch_used_;
    char* o = out;
    for (size_t i = 0; i < raw.size(); ++i) {
      char c = raw[i];
      if (c == '\\' && i + 1 < raw.size()) {
        char n = raw[i + 1];
        if (n == '\\' || n == '"') {
          *o++ = n;
          ++i;
          continue;
        }
        if (n == 'n') {
          *o++ = '\n';
          ++i;
          continue;
        }
      }
      *o++ = c;
    }
    scratch_used_ += static_cast<size_t>(o - out);
    return {out, static_cast<size_t>(o - out)};
  }

  // HELP text: text format rewrites \\ and \n, OpenMetrics also \".
  void SetHelp(Family* f, std::string_view raw) {
    if (raw.find('\\') == std::string_view::npos) {
      f->help = raw;
      return;
    }
    f->help_buf.clear();
    for (size_t i = 0; i < raw.size(); ++i) {
      char c = raw[i];
      if (c == '\\' && i + 1 < raw.size()) {
        char n = raw[i + 1];
        if (n == '\\' || (om_ && n == '"')) {
          f->help_buf.push_back(n);
          ++i;
          continue;
        }
        if (n == 'n') {
          f->help_buf.push_back('\n');
          ++i;
          continue;
        }
      }
      f->help_buf.push_back(c);
    }
    f->help = f->help_buf;
  }

  // ---- lexical pieces ----

  // Parses a quoted string at *pp (which points at '"'); the result is a view into the body or,
  // when it had escapes, into the scratch buffer (*in_scratch set).
  bool ParseQuoted(const char** pp, const char* end, std::string_view* out, bool* in_scratch) {
    const char* open = *pp;
    const char* p = open + 1;
    bool escaped = false;
    bool non_ascii = false;
    for (;;) {
      // Eight bytes at a time while none of them is '"', '\\' or (until one was seen) non-ASCII;
      // the lowest flagged byte is exact, so the byte loop below resumes right there.
      uint64_t high_mask = non_ascii ? 0 : kHighBits;
      while (end - p >= 8) {
        uint64_t w;
        std::memcpy(&w, p, 8);
        uint64_t m = HasByte(w, '"') | HasByte(w, '\\') | (w & high_mask);
        if (m == 0) {
          p += 8;
          continue;
        }
        p += __builtin_ctzll(m) >> 3;
        break;
      }
      if (p >= end) break;
      unsigned char c = static_cast<unsigned char>(*p);
      if (c == '"') break;
      if (c == '\\') {
        escaped = true;
        if (end - p < 2) {
          p = end;
          break;
        }
        // The escaped byte still counts for UTF-8 validation ("\\\xd5" is invalid).
        non_ascii |= static_cast<unsigned char>(p[1]) >= 0x80;
        p += 2;
        continue;
      }
      non_ascii |= c >= 0x80;
      ++p;
    }
    if (p >= end) return Fail(open, "unterminated quoted string");
    std::string_view raw(open + 1, static_cast<size_t>(p - open - 1));
    if (non_ascii && !IsValidUtf8(raw)) return Fail(open, "invalid UTF-8 in quoted string");
    *pp = p + 1;
    if (in_scratch != nullptr) *in_scratch = escaped;
    *out = escaped ? UnescapeToScratch(raw) : raw;
    return true;
  }

  // A metric name at *pp: legacy characters or a quoted string.
  bool ParseName(const char** pp, const char* end, std::string_view* name, bool* in_scratch) {
    const char* p = *pp;
    *in_scratch = false;
    if (p < end && *p == '"') {
      if (!ParseQuoted(pp, end, name, in_scratch)) return false;
      if (name->empty()) return Fail(p, "empty metric name");
      return true;
    }
    if (p == end || !Is(*p, kMetricStart)) return Fail(p, "invalid metric name");
    const char* s = p++;
    while (p < end && Is(*p, kMetricRest)) ++p;
    *name = std::string_view(s, static_cast<size_t>(p - s));
    *pp = p;
    return true;
  }

  // Just after the '}' that closes a label set starting at `p` (just after '{'), skipping
  // quoted strings with their escapes; nullptr when there is none on the line.
  static const char* LabelSetEnd(const char* p, const char* end) {
    while (p < end) {
      if (*p == '}') return p + 1;
      if (*p == '"') {
        for (++p; p < end && *p != '"'; ++p) {
          if (*p == '\\' && p + 1 < end) ++p;
        }
        if (p >= end) return nullptr;
      }
      ++p;
    }
    return nullptr;
  }

  // Parses a label set; *pp points just after '{' and ends just after '}'. When `name` is not
  // null the set may start with a lone quoted string, the metric name ({"my.metric", a="b"}).
  bool ParseLabelSet(const char** pp, const char* end, std::vector<Label>* out,
                     std::string_view* name, bool* name_in_scratch) {
    const char* p = *pp;
    bool first = true;
    bool after_comma = false;
    for (;;) {
      if (!om_) p = SkipBlanks(p, end);
      if (p == end) return Fail(p, "unterminated label set");
      if (*p == '}') {
        if (om_ && after_comma) return Fail(p, "trailing comma in label set");
        ++p;
        break;
      }
      const char* item = p;
      std::string_view label_name;
      if (*p == '"') {
        if (!ParseQuoted(&p, end, &label_name, nullptr)) return false;
        const char* q = om_ ? p : SkipBlanks(p, end);
        if (q < end && (*q == ',' || *q == '}')) {
          if (name == nullptr || !first) {
            return Fail(item, "unexpected quoted string " + Quote(label_name) +
                                  " in label set (a metric name must come first and only once)");
          }
          if (label_name.empty()) return Fail(item, "empty metric name");
          // The name may live in the scratch buffer; the caller copies it if it keeps it.
          *name = label_name;
          *name_in_scratch =
              label_name.data() < body_.data() || label_name.data() >= body_.data() + body_.size();
          name = nullptr;
          first = false;
          p = q;
          after_comma = *p == ',';
          if (after_comma) ++p;
          continue;
        }
        if (label_name.empty()) return Fail(item, "empty label name");
      } else {
        if (!Is(*p, kLabelStart)) return Fail(p, "invalid label name");
        ++p;
        while (p < end && Is(*p, kLabelRest)) ++p;
        label_name = std::string_view(item, static_cast<size_t>(p - item));
      }
      if (!om_) p = SkipBlanks(p, end);
      if (p == end || *p != '=') {
        return Fail(p, "expected '=' after label name " + Quote(label_name));
      }
      ++p;
      if (!om_) p = SkipBlanks(p, end);
      if (p == end || *p != '"') {
        return Fail(p, "expected '\"' to start the value of label " + Quote(label_name));
      }
      std::string_view value;
      if (!ParseQuoted(&p, end, &value, nullptr)) return false;
      out->push_back(Label{label_name, value});
      first = false;
      name = nullptr;  // a lone quoted name is only allowed first
      if (!om_) p = SkipBlanks(p, end);
      if (p == end) return Fail(p, "unterminated label set");
      if (*p == ',') {
        ++p;
        after_comma = true;
        continue;
      }
      if (*p == '}') {
        ++p;
        break;
      }
      return Fail(p, "expected ',' or '}' after the value of label " + Quote(label_name));
    }
    *pp = p;
    return true;
  }

  // Label names must be unique within a set; O(n^2) only for small sets, sorted otherwise.
  bool CheckUniqueLabelNames(const std::vector<Label>& labels, const char* at) {
    size_t n = labels.size();
    if (n < 2) return true;
    if (n <= 12) {
      for (size_t i = 1; i < n; ++i) {
        for (size_t j = 0; j < i; ++j) {
          if (labels[i].name == labels[j].name) {
            return Fail(at, "duplicate label name " + Quote(labels[i].name));
          }
        }
      }
      return true;
    }
    sorted_names_.clear();
    for (const Label& l : labels) sorted_names_.push_back(l.name);
    std::sort(sorted_names_.begin(), sorted_names_.end());
    for (size_t i = 1; i < n; ++i) {
      if (sorted_names_[i] == sorted_names_[i - 1]) {
        return Fail(at, "duplicate label name " + Quote(sorted_names_[i]));
      }
    }
    return true;
  }

  // ---- families ----

  // Does sample name `name` belong to family `f`? Sets *suffix when it does.
  bool Matches(const Family& f, std::string_view name, Suffix* suffix) const {
    if (name.size() < f.name.size() || std::memcmp(name.data(), f.name.data(), f.name.size()) != 0)
      return false;
    std::string_view rest = name.substr(f.name.size());
    if (!f.has_type) {
      *suffix = Suffix::kNone;
      return rest.empty();
    }
    for (Suffix s : om_ ? OmSuffixes(f.type) : TextSuffixes(f.type)) {
      if (rest == SuffixString(s)) {
        *suffix = s;
        return true;
      }
    }
    return false;
  }

  Family* NewPooledFamily() {
    if (pool_used_ == pool_.size()) pool_.push_back(std::make_unique<Family>());
    return pool_[pool_used_++].get();
  }

  // Text: the family declared by HELP/TYPE under `name`, or nullptr.
  Family* FindDeclared(std::string_view name) {
    const uint32_t* idx = family_index_.Find(HashBytes(name.data(), name.size(), 0));
    if (idx == nullptr) return nullptr;
    Family* f = pool_[*idx].get();
    return f->name == name ? f : nullptr;
  }

  void ResetGroups() {
    group_active_ = false;
    seen_groups_.Clear();
    hist_ = HistogramRun{};
  }

  // ---- text format ----

  Step TextLine(const char* p, const char* end) {
    while (end > p && (end[-1] == '\r' || Is(end[-1], kBlank))) --end;
    p = SkipBlanks(p, end);
    if (p == end) return Step::kContinue;
    if (*p == '#') return TextComment(p + 1, end);
    return SampleLine(p, end);
  }

  Step TextComment(const char* p, const char* end) {
    p = SkipBlanks(p, end);
    const char* kw = p;
    p = TokenEnd(p, end, false);
    std::string_view keyword(kw, static_cast<size_t>(p - kw));
    bool help = keyword == "HELP";
    if (!help && keyword != "TYPE") return Step::kContinue;  // an ordinary comment
    p = SkipBlanks(p, end);
    const char* name_at = p;
    std::string_view name;
    bool in_scratch;
    if (!ParseName(&p, end, &name, &in_scratch)) return Step::kError;
    if (p < end && !Is(*p, kBlank))
      return ToStep(Fail(p, "invalid metric name in " + std::string(keyword) + " line"));
    p = SkipBlanks(p, end);

    Family* f = nullptr;
    if (cur_ != nullptr && cur_ != &anon_ && cur_->name == name) {
      f = cur_;
    } else {
      f = FindDeclared(name);
    }
    if (f == nullptr) {
      if (!help && cur_ == &anon_ && anon_.name == name && anon_.has_samples) {
        return ToStep(Fail(name_at, "TYPE line for metric " + Quote(name) + " after its samples"));
      }
      f = NewPooledFamily();
      f->Start(name, in_scratch, line_no_);
      family_index_.Insert(HashBytes(f->name.data(), f->name.size(), 0),
                           static_cast<uint32_t>(pool_used_ - 1));
    }
    if (help) {
      if (f->has_help) return ToStep(Fail(name_at, "second HELP line for metric " + Quote(name)));
      f->has_help = true;
      SetHelp(f, std::string_view(p, static_cast<size_t>(end - p)));
    } else {
      if (f->has_type) return ToStep(Fail(name_at, "second TYPE line for metric " + Quote(name)));
      if (f->has_samples) {
        return ToStep(Fail(name_at, "TYPE line for metric " + Quote(name) + " after its samples"));
      }
      std::string_view type_word(p, static_cast<size_t>(end - p));
      std::optional<MetricType> type = ParseMetricType(type_word, Format::kText);
      if (!type) return ToStep(Fail(p, "invalid metric type " + Quote(type_word)));
      f->type = *type;
      f->has_type = true;
    }
    cur_ = f;
    return Step::kContinue;
  }

  // Finds (or makes) the family of a text sample named `name`.
  Family* TextFamilyFor(std::string_view name, bool name_in_scratch, Suffix* suffix) {
    // The previous sample's name again (the lines of a family, the buckets of a histogram):
    // the same family and suffix. Matches() is a function of the family's name and type, which
    // cannot change once it has samples (a TYPE line would fail), and of the name.
    if (cur_ != nullptr && cur_ == last_family_ && name.size() == last_name_.size() &&
        std::memcmp(name.data(), last_name_.data(), name.size()) == 0) {
      *suffix = last_suffix_;
      return cur_;
    }
    Family* f = TextFamilyLookup(name, name_in_scratch, suffix);
    // A name in the scratch buffer dies with the next line: not remembered.
    last_family_ = name_in_scratch ? nullptr : f;
    last_name_ = name;
    last_suffix_ = *suffix;
    return f;
  }

  Family* TextFamilyLookup(std::string_view name, bool name_in_scratch, Suffix* suffix) {
    if (cur_ != nullptr && Matches(*cur_, name, suffix)) return cur_;
    if (Family* f = FindDeclared(name); f != nullptr && Matches(*f, name, suffix)) return f;
    for (Suffix s : {Suffix::kBucket, Suffix::kCount, Suffix::kSum, Suffix::kTotal}) {
      std::string_view sfx = SuffixString(s);
      if (name.size() > sfx.size() && name.substr(name.size() - sfx.size()) == sfx) {
        Family* f = FindDeclared(name.substr(0, name.size() - sfx.size()));
        if (f != nullptr && Matches(*f, name, suffix)) return f;
      }
    }
    anon_.Start(name, name_in_scratch, line_no_);
    *suffix = Suffix::kNone;
    return &anon_;
  }

  // ---- OpenMetrics ----

  Step OmLine(const char* p, const char* end) {
    if (saw_eof_) return ToStep(Fail(p, "unexpected data after # EOF"));
    if (p == end) return ToStep(Fail(p, "blank line"));
    if (*p == '#') return OmComment(p, end);
    return SampleLine(p, end);
  }

  Step OmComment(const char* begin, const char* end) {
    std::string_view line(begin, static_cast<size_t>(end - begin));
    if (line == "# EOF") {
      saw_eof_ = true;
      return ToStep(FinishOmFamily());
    }
    if (line.size() < 2 || line[1] != ' ') return ToStep(Fail(begin, "invalid comment line"));
    const char* p = begin + 2;
    const char* kw_end = TokenEnd(p, end, true);
    std::string_view keyword(p, static_cast<size_t>(kw_end - p));
    if (keyword != "HELP" && keyword != "TYPE" && keyword != "UNIT") {
      return ToStep(Fail(p, "invalid metadata keyword " + Quote(keyword) +
                                "; OpenMetrics allows only # HELP, # TYPE, # UNIT and # EOF"));
    }
    if (kw_end == end) return ToStep(Fail(kw_end, "missing metric name"));
    p = kw_end + 1;
    const char* name_at = p;
    std::string_view name;
    bool in_scratch;
    if (!ParseName(&p, end, &name, &in_scratch)) return Step::kError;
    if (p == end || *p != ' ') {
      return ToStep(
          Fail(p, "expected ' ' after the metric name in " + std::string(keyword) + " line"));
    }
    ++p;
    std::string_view rest(p, static_cast<size_t>(end - p));

    if (cur_ != nullptr && cur_->name == name) {
      if (cur_->has_samples) {
        return ToStep(Fail(name_at, std::string(keyword) + " line for metric " + Quote(name) +
                                        " after its samples"));
      }
    } else {
      if (!FinishOmFamily()) return Step::kError;
      om_family_.Start(name, in_scratch, line_no_);
      cur_ = &om_family_;
    }
    Family* f = cur_;
    if (keyword == "HELP") {
      if (f->has_help) return ToStep(Fail(name_at, "second HELP line for metric " + Quote(name)));
      f->has_help = true;
      SetHelp(f, rest);
    } else if (keyword == "UNIT") {
      if (f->has_unit) return ToStep(Fail(name_at, "second UNIT line for metric " + Quote(name)));
      f->has_unit = true;
      f->unit = rest;
    } else {
      if (f->has_type) return ToStep(Fail(name_at, "second TYPE line for metric " + Quote(name)));
      std::optional<MetricType> type = ParseMetricType(rest, Format::kOpenMetrics);
      if (!type) return ToStep(Fail(p, "invalid metric type " + Quote(rest)));
      f->type = *type;
      f->has_type = true;
    }
    return Step::kContinue;
  }

  // Runs the end-of-run histogram checks of the reference parser.
  bool CheckHistogramRun() {
    const HistogramRun& h = hist_;
    if (!h.active) return true;
    const char* problem = nullptr;
    if (!h.has_bucket || h.bucket != std::numeric_limits<double>::infinity()) {
      problem = "+Inf bucket missing";
    } else if (h.has_count && h.value != h.count) {
      problem = "count does not match the +Inf bucket";
    } else if (h.has_sum && !h.has_count) {
      problem = "_sum without _count";
    } else if (h.has_gsum && !h.has_count) {
      problem = "_gsum without _gcount";
    } else if (!(h.has_sum || h.has_gsum) && h.has_count) {
      problem = "_count without _sum";
    } else if (h.negative_buckets && h.has_sum) {
      problem = "_sum with negative buckets";
    } else if (!h.negative_buckets && h.negative_gsum) {
      problem = "negative _gsum without negative buckets";
    }
    if (problem == nullptr) return true;
    return FailLine(h.line, "histogram " + Quote(cur_->name) + ": " + problem);
  }

  // Ends the current OpenMetrics family: histogram, unit and clashing-name checks.
  bool FinishOmFamily() {
    if (cur_ == nullptr) return true;
    Family& f = *cur_;
    if (!CheckHistogramRun()) return false;
    MetricType type = f.EffectiveType();
    bool bare_registered = false;
    for (Suffix s : OmSuffixes(type)) {
      if (!RegisterName(f, s)) return false;
      bare_registered |= s == Suffix::kNone;
    }
    if (!bare_registered && !RegisterName(f, Suffix::kNone)) return false;
    if (f.has_unit && !f.unit.empty()) {
      if (type == MetricType::kInfo || type == MetricType::kStateSet) {
        return FailLine(f.line, "metric " + Quote(f.name) + ": UNIT not allowed for its type");
      }
      std::string_view n = f.name;
      if (n.size() <= f.unit.size() || n.substr(n.size() - f.unit.size()) != f.unit ||
          n[n.size() - f.unit.size() - 1] != '_') {
        return FailLine(f.line, "metric " + Quote(f.name) + ": unit " + Quote(f.unit) +
                                    " is not a suffix of the name");
      }
    }
    cur_ = nullptr;
    ResetGroups();
    return true;
  }

  bool RegisterName(const Family& f, Suffix s) {
    name_tmp_.assign(f.name.data(), f.name.size());
    name_tmp_.append(SuffixString(s));
    if (!seen_names_.Insert(HashBytes(name_tmp_.data(), name_tmp_.size(), 1))) {
      return FailLine(f.line, "metric family " + Quote(f.name) + " clashes with an earlier name " +
                                  Quote(name_tmp_) +
                                  " (families must not be repeated or "
                                  "interleaved)");
    }
    return true;
  }

  // Finds the label called `name`; -1 when absent.
  int FindLabel(std::string_view name) const {
    for (size_t i = 0; i < labels_.size(); ++i) {
      if (labels_[i].name == name) return static_cast<int>(i);
    }
    return -1;
  }

  // The OpenMetrics per-sample rules. `special` receives the index of the label that tells parts
  // of a point apart (le, quantile, stateset label) or -1.
  bool OmCheckSample(const Family& f, Suffix suffix, const char* at, int* special, double* le_out) {
    MetricType type = f.EffectiveType();
    std::string_view name = sample_.name;
    if (type == MetricType::kStateSet) {
      *special = FindLabel(f.name);
      if (*special < 0) {
        return Fail(at, "stateset sample " + Quote(name) + " lacks the label " + Quote(f.name));
      }
    }
    if (suffix == Suffix::kBucket) {
      *special = FindLabel("le");
      if (*special < 0) return Fail(at, "bucket " + Quote(name) + " without an le label");
      std::string_view le = labels_[*special].value;
      double v;
      if (!ParseValue(le, false, &v) || std::isnan(v) ||
          (std::isinf(v) && le != "+Inf" && le != "-Inf")) {
        return Fail(at, "invalid le label " + Quote(le) + " on " + Quote(name));
      }
      *le_out = v;
      if (!IsInteger(sample_.value)) {
        return Fail(at, "bucket value of " + Quote(name) + " must be an integer");
      }
    }
    if ((suffix == Suffix::kCount || suffix == Suffix::kGCount) && !IsInteger(sample_.value)) {
      return Fail(at, "count value of " + Quote(name) + " must be an integer");
    }
    if (type == MetricType::kSummary && suffix == Suffix::kNone) {
      *special = FindLabel("quantile");
      double q = -1;
      if (*special < 0 || !ParseValue(labels_[*special].value, false, &q) || !(q >= 0 && q <= 1)) {
        return Fail(at, "summary sample " + Quote(name) + " needs a quantile label in [0, 1]");
      }
      if (sample_.value < 0) return Fail(at, "quantile value of " + Quote(name) + " is negative");
    }
    if (type == MetricType::kStateSet && sample_.value != 0 && sample_.value != 1) {
      return Fail(at, "stateset value of " + Quote(name) + " must be 0 or 1");
    }
    if (type == MetricType::kInfo && sample_.value != 1) {
      return Fail(at, "info value of " + Quote(name) + " must be 1");
    }
    switch (suffix) {
      case Suffix::kTotal:
      case Suffix::kSum:
      case Suffix::kCount:
      case Suffix::kBucket:
      case Suffix::kGCount:
      case Suffix::kGSum:
        if (std::isnan(sample_.value)) {
          return Fail(at, "counter-like value of " + Quote(name) + " is NaN");
        }
        if (suffix != Suffix::kGSum && sample_.value < 0) {
          return Fail(at, "counter-like value of " + Quote(name) + " is negative");
        }
        break;
      default:
        break;
    }
    if (sample_.exemplar) {
      bool allowed = ((type == MetricType::kHistogram || type == MetricType::kGaugeHistogram) &&
                      suffix == Suffix::kBucket) ||
                     (type == MetricType::kCounter && suffix == Suffix::kTotal);
      if (!allowed) {
        return Fail(at, "exemplar not allowed on " + Quote(name) +
                            " (only counter _total and histogram _bucket samples)");
      }
    }
    return true;
  }

  // Grouping rules: a group (a series, or all parts of one histogram/summary point) must not
  // come back after another group started, and its timestamps must not go backwards or mix
  // presence.
  bool OmCheckGroup(const Family& f, uint64_t group_hash, const char* at) {
    MetricType type = f.EffectiveType();
    uint64_t key = type == MetricType::kInfo ? kInfoGroup : group_hash;
    bool has_ts = sample_.timestamp_ms.has_value();
    if (group_active_ && key != group_) {
      if (seen_groups_.Contains(key)) {
        return Fail(at, "samples of one group of " + Quote(f.name) +
                            " are not together (interleaved with another group)");
      }
    } else if (group_active_) {
      if (has_ts != group_has_ts_) {
        return Fail(at,
                    "mix of samples with and without timestamp in one group of " + Quote(f.name));
      }
      if (has_ts && group_ts_ > *sample_.timestamp_ms && type != MetricType::kInfo) {
        return Fail(at, "timestamp went backwards within a group of " + Quote(f.name));
      }
    }
    group_ = key;
    group_has_ts_ = has_ts;
    group_ts_ = sample_.timestamp_ms.value_or(0);
    group_active_ = true;
    seen_groups_.Insert(key);
    return true;
  }

  bool OmHistogram(Suffix suffix, uint64_t group_hash, double le) {
    bool has_ts = sample_.timestamp_ms.has_value();
    HistogramRun& h = hist_;
    if (!h.active || h.group != group_hash || h.has_ts != has_ts ||
        (has_ts && h.ts != *sample_.timestamp_ms)) {
      if (!CheckHistogramRun()) return false;
      h = HistogramRun{};
      h.active = true;
      h.group = group_hash;
      h.has_ts = has_ts;
      h.ts = sample_.timestamp_ms.value_or(0);
      h.line = line_no_;
    }
    double v = sample_.value;
    switch (suffix) {
      case Suffix::kBucket:
        if (le < 0) h.negative_buckets = true;
        if (h.has_bucket && le <= h.bucket) {
          return FailLine(line_no_, "histogram " + Quote(cur_->name) + ": buckets out of order");
        }
        if (v < h.value) {
          return FailLine(line_no_,
                          "histogram " + Quote(cur_->name) + ": bucket counts are not cumulative");
        }
        h.has_bucket = true;
        h.bucket = le;
        h.value = v;
        break;
      case Suffix::kCount:
      case Suffix::kGCount:
        h.has_count = true;
        h.count = v;
        break;
      case Suffix::kSum:
        h.has_sum = true;
        break;
      case Suffix::kGSum:
        h.has_gsum = true;
        if (v < 0) h.negative_gsum = true;
        break;
      default:
        break;
    }
    return true;
  }

  // ---- samples (both formats) ----

  Step SampleLine(const char* begin, const char* end) {
    const char* p = begin;
    std::string_view name;
    bool name_in_scratch = false;
    labels_.clear();
    bool skipped = false;
    if (expected_ != nullptr && !om_) {
      const char* name_end = nullptr;
      if (size_t n = MatchExpected(expected_(expected_context_), begin, end, &name_end); n > 0) {
        name = std::string_view(begin, static_cast<size_t>(name_end - begin));
        p = begin + n;
        skipped = true;
      }
    }
    if (skipped) {
      // The name and label set are known: straight to the value.
    } else if (*p != '{') {
      if (!Is(*p, kMetricStart)) return ToStep(Fail(p, "invalid metric name"));
      ++p;
      while (p < end && Is(*p, kMetricRest)) ++p;
      name = std::string_view(begin, static_cast<size_t>(p - begin));
    }
    const char* q = om_ ? p : SkipBlanks(p, end);
    if (!skipped && known_ != nullptr && !om_ && !name.empty()) {
      // The series text ends after the name, or after the label set's closing brace.
      const char* close = q < end && *q == '{' ? LabelSetEnd(q + 1, end) : p;
      if (close != nullptr &&
          known_(known_context_, std::string_view(begin, static_cast<size_t>(close - begin)))) {
        skipped = true;
        p = close;
      }
    }
    if (!skipped && q < end && *q == '{') {
      p = q + 1;
      if (!ParseLabelSet(&p, end, &labels_, name.empty() ? &name : nullptr, &name_in_scratch)) {
        return Step::kError;
      }
    }
    sample_.labels_skipped = skipped;
    if (name.empty()) return ToStep(Fail(begin, "missing metric name"));
    const char* series_end = p;

    // Value.
    if (om_) {
      if (p == end || *p != ' ') {
        return ToStep(Fail(p, p == end ? "missing value for metric " + Quote(name)
                                       : "unexpected character after the metric name or labels"));
      }
      ++p;
    } else {
      const char* after = SkipBlanks(p, end);
      if (after == p && p < end && *(p - 1) != '}') {
        return ToStep(Fail(p, "unexpected character after the metric name"));
      }
      p = after;
    }
    const char* value_at = p;
    // Most values are plain decimals ("0", "16.0"): read in the same pass that finds their end.
    if (const char* v = ParsePlainDecimal(p, end, &sample_.value);
        v != nullptr && (v == end || (om_ ? *v == ' ' : Is(*v, kBlank)))) {
      p = v;
    } else {
      p = TokenEnd(p, end, om_);
      std::string_view value_text(value_at, static_cast<size_t>(p - value_at));
      if (value_text.empty())
        return ToStep(Fail(value_at, "missing value for metric " + Quote(name)));
      if (!ParseValue(value_text, !om_, &sample_.value)) {
        return ToStep(
            Fail(value_at, "invalid value " + Quote(value_text) + " for metric " + Quote(name)));
      }
    }

    // Timestamp and exemplar.
    sample_.timestamp_ms.reset();
    sample_.exemplar.reset();
    if (om_) {
      if (p < end) {
        ++p;  // the ' ' that ended the value
        const char* tok = p;
        p = TokenEnd(p, end, true);
        std::string_view t(tok, static_cast<size_t>(p - tok));
        if (t != "#") {
          int64_t ms;
          double seconds;
          if (!ParseOpenMetricsTimestamp(t, &seconds, &ms)) {
            return ToStep(
                Fail(tok, "invalid timestamp " + Quote(t) + " for metric " + Quote(name)));
          }
          sample_.timestamp_ms = ms;
          if (p < end) {
            ++p;
            tok = p;
            p = TokenEnd(p, end, true);
            if (std::string_view(tok, static_cast<size_t>(p - tok)) != "#") {
              return ToStep(Fail(tok, "unexpected text after the timestamp of " + Quote(name)));
            }
            if (!ParseExemplar(&p, end)) return Step::kError;
          }
        } else if (!ParseExemplar(&p, end)) {
          return Step::kError;
        }
      }
    } else {
      p = SkipBlanks(p, end);
      if (p < end) {
        const char* tok = p;
        p = TokenEnd(p, end, false);
        std::string_view t(tok, static_cast<size_t>(p - tok));
        int64_t ms;
        if (!ParseTextTimestamp(t, &ms)) {
          return ToStep(Fail(tok, "invalid timestamp " + Quote(t) + " for metric " + Quote(name)));
        }
        sample_.timestamp_ms = ms;
        p = SkipBlanks(p, end);
        if (p < end) {
          return ToStep(Fail(p, "unexpected text after the timestamp of " + Quote(name)));
        }
      }
    }
    if (!skipped && !CheckUniqueLabelNames(labels_, begin)) return Step::kError;

    // Family.
    Suffix suffix = Suffix::kNone;
    Family* f;
    if (om_) {
      if (cur_ != nullptr && Matches(*cur_, name, &suffix)) {
        f = cur_;
      } else {
        if (!FinishOmFamily()) return Step::kError;
        om_family_.Start(name, name_in_scratch, line_no_);
        cur_ = f = &om_family_;
        suffix = Suffix::kNone;
      }
    } else {
      f = TextFamilyFor(name, name_in_scratch, &suffix);
      cur_ = f;
    }
    sample_.name = name;
    sample_.suffix = suffix;
    sample_.series_text = std::string_view(begin, static_cast<size_t>(series_end - begin));

    MetricType type = f->EffectiveType();
    if (skipped) {
      // Text only (OpenMetrics never skips): the caller knows the series by its text, so its
      // hashes are not worked out (Sample::labels_skipped). No label: no group label either.
      sample_.hash = 0;
      sample_.group_hash = 0;
      return EmitSample(f, type);
    }

    // Hashes.
    label_hashes_.resize(labels_.size());
    uint64_t sum = 0;
    for (size_t i = 0; i < labels_.size(); ++i) {
      label_hashes_[i] = LabelPairHash(labels_[i].name, labels_[i].value);
      sum += label_hashes_[i];
    }
    sample_.hash = CombineSetHash(name, sum, labels_.size());

    int special = -1;
    double le = 0;
    if (om_) {
      if (!OmCheckSample(*f, suffix, begin, &special, &le)) return Step::kError;
    } else if (suffix == Suffix::kBucket) {
      special = FindLabel("le");
    } else if (type == MetricType::kSummary && suffix == Suffix::kNone) {
      special = FindLabel("quantile");
    }
    uint64_t group_sum = special >= 0 ? sum - label_hashes_[special] : sum;
    size_t group_count = labels_.size() - (special >= 0 ? 1 : 0);
    sample_.group_hash = CombineSetHash(f->name, group_sum, group_count);
    if (om_) {
      if (!OmCheckGroup(*f, sample_.group_hash, begin)) return Step::kError;
      if ((type == MetricType::kHistogram || type == MetricType::kGaugeHistogram) &&
          !OmHistogram(suffix, sample_.group_hash, le)) {
        return Step::kError;
      }
    }

    return EmitSample(f, type);
  }

  Step EmitSample(Family* f, MetricType type) {
    f->has_samples = true;
    sample_.family = FamilyInfo{f->name, type, f->help, f->unit};
    sample_.labels = labels_;
    sample_.line = line_no_;
    return Step::kSample;
  }

  // Parses " {labels} value [timestamp]" of an exemplar; *pp points just after the '#'.
  bool ParseExemplar(const char** pp, const char* end) {
    const char* p = *pp;
    if (p == end || *p != ' ') return Fail(p, "expected ' ' after '#' of an exemplar");
    ++p;
    if (p == end || *p != '{') return Fail(p, "expected '{' to start the exemplar labels");
    ++p;
    ex_labels_.clear();
    if (!ParseLabelSet(&p, end, &ex_labels_, nullptr, nullptr)) return false;
    if (!CheckUniqueLabelNames(ex_labels_, *pp)) return false;
    size_t cps = 0;
    for (const Label& l : ex_labels_) cps += CodePoints(l.name) + CodePoints(l.value);
    if (cps > kMaxExemplarCodePoints) {
      return Fail(*pp, "exemplar labels longer than 128 code points");
    }
    if (p == end || *p != ' ') return Fail(p, "expected ' ' before the exemplar value");
    ++p;
    const char* tok = p;
    p = TokenEnd(p, end, true);
    std::string_view v(tok, static_cast<size_t>(p - tok));
    Exemplar ex;
    if (!ParseValue(v, false, &ex.value)) return Fail(tok, "invalid exemplar value " + Quote(v));
    if (p < end) {
      ++p;
      tok = p;
      p = end;
      std::string_view t(tok, static_cast<size_t>(p - tok));
      double seconds;
      int64_t ms;
      if (!ParseOpenMetricsTimestamp(t, &seconds, &ms)) {
        return Fail(tok, "invalid exemplar timestamp " + Quote(t));
      }
      ex.timestamp_ms = ms;
    }
    ex.labels = ex_labels_;
    sample_.exemplar = ex;
    *pp = p;
    return true;
  }

  // The caller's known-series filter (SetKnownSeries) and expected series (SetExpectedSeries).
  Parser::KnownSeries known_ = nullptr;
  void* known_context_ = nullptr;
  Parser::ExpectedSeries expected_ = nullptr;
  void* expected_context_ = nullptr;

  // The length of the expected series text `e` when the line [begin, end) starts with it and
  // the series ends there, else 0; *name_end is then where the metric name ends. `e` parsed
  // cleanly before, so it starts with a name: a line with the same bytes has the same name and,
  // when `e` ends with `}`, the same label set (the scan that found that brace sees the same
  // bytes). A name-only `e` matches only when a blank follows and no label set opens after it.
  static size_t MatchExpected(std::string_view e, const char* begin, const char* end,
                              const char** name_end) {
    const auto n = static_cast<size_t>(end - begin);
    if (e.empty() || e.size() > n || std::memcmp(begin, e.data(), e.size()) != 0) return 0;
    const char* after = begin + e.size();
    if (e.back() == '}') {
      const void* brace = std::memchr(e.data(), '{', e.size());
      if (brace == nullptr) return 0;
      const char* ne = begin + (static_cast<const char*>(brace) - e.data());
      while (ne > begin && Is(ne[-1], kBlank)) --ne;
      if (ne == begin) return 0;
      *name_end = ne;
      return e.size();
    }
    if (after == end || !Is(*after, kBlank)) return 0;
    const char* q = SkipBlanks(after, end);
    if (q < end && *q == '{') return 0;
    *name_end = after;
    return e.size();
  }

  // Per-body state.
  std::string_view body_;
  bool om_ = false;
  size_t pos_ = 0;
  uint32_t line_no_ = 0;
  const char* line_begin_ = nullptr;
  bool done_ = false;
  bool saw_eof_ = false;
  Status status_;
  Family* cur_ = nullptr;
  // The text family the previous sample's name resolved to (TextFamilyFor), or nullptr.
  Family* last_family_ = nullptr;
  std::string_view last_name_;
  Suffix last_suffix_ = Suffix::kNone;

  // OpenMetrics family state.
  Family om_family_;
  FlatMap64 seen_names_;   // hashes of every family name + suffix seen
  FlatMap64 seen_groups_;  // group keys of the current family
  bool group_active_ = false;
  uint64_t group_ = 0;
  bool group_has_ts_ = false;
  int64_t group_ts_ = 0;  // milliseconds, as reported: the checks see what callers see
  HistogramRun hist_;

  // Text family state: families declared by HELP/TYPE (kept for the body, found by name), and the
  // family of samples without metadata.
  std::vector<std::unique_ptr<Family>> pool_;
  size_t pool_used_ = 0;
  FlatMap64 family_index_;
  Family anon_;

  // Reused buffers.
  std::vector<char> scratch_;
  size_t scratch_used_ = 0;
  bool scratch_ready_ = false;
  std::vector<Label> labels_;
  std::vector<uint64_t> label_hashes_;
  std::vector<Label> ex_labels_;
  std::vector<std::string_view> sorted_names_;
  std::string name_tmp_;
  Sample sample_;
};

Parser::Parser() : impl_(std::make_unique<Impl>()) {
  sample_ = &impl_->sample();
  status_ = &impl_->status();
}

Parser::~Parser() = default;

void Parser::Reset(std::string_view body, Format format) { impl_->Reset(body, format); }

void Parser::SetKnownSeries(KnownSeries known, void* context) {
  impl_->SetKnownSeries(known, context);
}

void Parser::SetExpectedSeries(ExpectedSeries expected, void* context) {
  impl_->SetExpectedSeries(expected, context);
}

bool Parser::Next() { return impl_->Next(); }

Status Validate(std::string_view body, Format format) {
  Parser parser;
  return parser.Parse(body, format, [](const Sample&) {});
}

}  // namespace astrolabe::expfmt
