#include "redaction/detector.h"

#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/sha256.h"

namespace astrolabe::redaction {

namespace {

constexpr std::string_view kKindNames[kBuiltinKinds] = {"email", "phone", "card",
                                                        "iban",  "ip",    "api_key"};

// Character classes, one table lookup per byte.
enum : uint8_t {
  kWord = 1,     // [A-Za-z0-9_]
  kDigit = 2,    // [0-9]
  kUpper = 4,    // [A-Z]
  kHex = 8,      // [0-9A-Fa-f]
  kLocal = 16,   // e-mail local part: [A-Za-z0-9._%+-]
  kDomain = 32,  // e-mail domain label: [A-Za-z0-9-]
  kTok = 64,     // key tails: [A-Za-z0-9_-]
  kStart = 128,  // may start a built-in item at a word start
};

constexpr std::array<uint8_t, 256> MakeTable() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    uint8_t v = 0;
    const bool digit = c >= '0' && c <= '9';
    const bool upper = c >= 'A' && c <= 'Z';
    const bool lower = c >= 'a' && c <= 'z';
    const bool alnum = digit || upper || lower;
    if (alnum || c == '_') v |= kWord;
    if (digit) v |= kDigit;
    if (upper) v |= kUpper;
    if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) v |= kHex;
    if (alnum || c == '.' || c == '_' || c == '%' || c == '+' || c == '-') v |= kLocal;
    if (alnum || c == '-') v |= kDomain;
    if (alnum || c == '_' || c == '-') v |= kTok;
    // Triggers: digits (numbers, IPs), upper case (IBAN, AKIA, AIza, Bearer), hex letters
    // (IPv6), the first letters of key prefixes, and '+', '(', ':'.
    if (digit || upper || (c >= 'a' && c <= 'f') || c == 's' || c == 'g' || c == 'x' || c == 'h' ||
        c == 'n' || c == '+' || c == '(' || c == ':') {
      v |= kStart;
    }
    t[c] = v;
  }
  return t;
}
constexpr std::array<uint8_t, 256> kCls = MakeTable();

inline uint8_t Cls(char c) { return kCls[static_cast<unsigned char>(c)]; }
inline bool Is(char c, uint8_t mask) { return (Cls(c) & mask) != 0; }
inline bool IsEscapeLetter(char c) {
  return c == 'n' || c == 't' || c == 'r' || c == 'b' || c == 'f';
}

// Anchors: bytes (some only before a given next byte) that every item holds, reached from
// the position its try starts at through word bytes only:
//   a digit, '+' or '('         numbers, IPv4
//   two upper-case letters      IBAN
//   'A', 'J'                    AKIA…, ASIA…, AIza…; the J of eyJ
//   'b' or 'B' before 'e'       Bearer, bearer
//   '-', '_'                    the end of a key prefix (sk-, ghp_, github_pat_, glpat-, …)
//   '@'                         e-mail (tried at the '@')
//   ':' before [0-9A-Fa-f:./]   IPv6: its first ':' has another group, ':' or '.' after it
// So no try can succeed before the word that leads to the next anchor, and FindBuiltin jumps
// there. Prose and the JSON around messages (`":"`, `Settings`) hold few anchors.
inline bool AnchorAt(const char* p, size_t k, size_t n) {
  const char x = p[k];
  const char y = k + 1 < n ? p[k + 1] : '\0';
  if (Is(x, kDigit) || x == '@' || x == '+' || x == '(' || x == '-' || x == '_' || x == 'A' ||
      x == 'J') {
    return true;
  }
  if (x == ':') return (y >= '.' && y <= ':') || Is(y, kHex);
  if ((x | 0x20) == 'b' && y == 'e') return true;
  return Is(x, kUpper) && Is(y, kUpper);
}

// The first anchor at or after i, or n: 16 bytes a step where SSE2 is there, the last ones
// from a zero-padded copy (a zero byte is no anchor, and is AnchorAt's byte after the end).
size_t NextAnchor(const char* p, size_t i, size_t n) {
#if defined(__SSE2__)
  // Unsigned x - lo <= hi - lo, as min(x - lo, hi - lo) == x - lo.
  auto in_range = [](__m128i x, char lo, char hi) {
    const __m128i d = _mm_sub_epi8(x, _mm_set1_epi8(lo));
    return _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(static_cast<char>(hi - lo))), d);
  };
  auto eq = [](__m128i x, char c) { return _mm_cmpeq_epi8(x, _mm_set1_epi8(c)); };
  auto any = [](__m128i a, __m128i b, __m128i c) { return _mm_or_si128(_mm_or_si128(a, b), c); };
  // Bit k set when at[k] is an anchor, given at[k + 1]; reads at[0..16].
  auto anchors = [&](const char* at) {
    const __m128i fold = _mm_set1_epi8(0x20);
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
    const __m128i y = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at + 1));
    const __m128i single =
        any(any(in_range(x, '0', '9'), eq(x, '@'), eq(x, '+')),
            any(eq(x, '('), eq(x, '-'), eq(x, '_')), _mm_or_si128(eq(x, 'A'), eq(x, 'J')));
    const __m128i colon = _mm_and_si128(
        eq(x, ':'), _mm_or_si128(in_range(y, '.', ':'), in_range(_mm_or_si128(y, fold), 'a', 'f')));
    const __m128i bearer = _mm_and_si128(eq(_mm_or_si128(x, fold), 'b'), eq(y, 'e'));
    const __m128i upper = _mm_and_si128(in_range(x, 'A', 'Z'), in_range(y, 'A', 'Z'));
    return static_cast<unsigned>(
        _mm_movemask_epi8(any(single, colon, _mm_or_si128(bearer, upper))));
  };
  for (; i + 17 <= n; i += 16) {
    if (const unsigned mask = anchors(p + i)) return i + static_cast<size_t>(__builtin_ctz(mask));
  }
  if (i < n) {
    char tail[32] = {};
    std::memcpy(tail, p + i, n - i);
    if (const unsigned mask = anchors(tail)) return i + static_cast<size_t>(__builtin_ctz(mask));
  }
  return n;
#else
  while (i < n && !AnchorAt(p, i, n)) ++i;
  return i;
#endif
}

// A scanner over one string. Every Try* returns true and sets *m when an item starts at
// `s` (for e-mail: has its '@' at `s`).
class Scanner {
 public:
  explicit Scanner(std::string_view t) : p_(t.data()), n_(t.size()) {}

  // True when position i starts a word: the text start, after a non-word byte, or right
  // after a JSON/C escape such as "\n" (message text inside JSON strings).
  bool WordStart(size_t i) const {
    if (i == 0) return true;
    if (!Is(p_[i - 1], kWord)) return true;
    return i >= 2 && p_[i - 2] == '\\' && IsEscapeLetter(p_[i - 1]);
  }
  bool WordAt(size_t i) const { return i < n_ && Is(p_[i], kWord); }

  bool TryEmail(size_t at, size_t floor, Match* m) const;
  bool TryNumber(size_t s, Match* m) const;
  bool TryIban(size_t s, Match* m) const;
  bool TryIpv6(size_t s, Match* m) const;
  bool TryKey(size_t s, Match* m) const;

  // Inline gates in front of TryIpv6 and TryKey, which most word starts would otherwise call
  // only to return false. Each returns true whenever its Try* could succeed at s.
  // TryIpv6 needs a ':' within the first five bytes (after at most four hex digits), or a
  // second byte of [0-9A-Fa-f:.] after a leading ':' (else only one colon).
  bool MayBeIpv6(size_t s) const {
    if (p_[s] == ':') {
      return s + 1 < n_ && (Is(p_[s + 1], kHex) || p_[s + 1] == ':' || p_[s + 1] == '.');
    }
    if (!Is(p_[s], kHex)) return false;
    size_t k = s + 1;
    while (k < n_ && k - s < 5 && Is(p_[k], kHex)) ++k;
    return k < n_ && p_[k] == ':';
  }
  // The first letters of the key prefixes TryKey knows.
  static bool MayBeKey(char c) {
    switch (c) {
      case 's':
      case 'g':
      case 'x':
      case 'A':
      case 'h':
      case 'n':
      case 'B':
      case 'b':
      case 'e':
        return true;
      default:
        return false;
    }
  }

 private:
  bool Prefix(size_t s, std::string_view prefix) const {
    return n_ - s >= prefix.size() && std::string_view(p_ + s, prefix.size()) == prefix;
  }
  // Length of the run of `mask` bytes from s.
  size_t Run(size_t s, uint8_t mask) const {
    size_t j = s;
    while (j < n_ && Is(p_[j], mask)) ++j;
    return j - s;
  }
  // A key: `prefix` at s, then at least `min_tail` bytes of class `mask`, then no word
  // byte. The whole key is the item.
  bool KeyTail(size_t s, std::string_view prefix, uint8_t mask, size_t min_tail, Match* m) const {
    if (!Prefix(s, prefix)) return false;
    const size_t tail = Run(s + prefix.size(), mask);
    const size_t end = s + prefix.size() + tail;
    if (tail < min_tail || WordAt(end)) return false;
    *m = {s, end, static_cast<uint32_t>(Kind::kApiKey)};
    return true;
  }

  const char* p_;
  size_t n_;
};

bool Scanner::TryEmail(size_t at, size_t floor, Match* m) const {
  // Local part: back from '@', at most 64 bytes, never into the previous item nor past a
  // backslash escape ("\njohn@…" keeps its "\n").
  size_t b = at;
  while (b > floor && at - b < 64 && Is(p_[b - 1], kLocal)) {
    if (b >= 2 && p_[b - 2] == '\\') {
      --b;
      if (IsEscapeLetter(p_[b])) ++b;  // the escape letter stays outside
      break;
    }
    --b;
  }
  while (b < at && (p_[b] == '.' || p_[b] == '-')) ++b;
  if (b == at) return false;
  // Domain: labels of [A-Za-z0-9-] joined by single dots; at least two labels, the last
  // (TLD) of two or more letters.
  size_t j = at + 1;
  size_t labels = 0;
  size_t last_label_start = j;
  size_t end = 0;
  while (j < n_ && j - at <= 253) {
    const size_t len = Run(j, kDomain);
    if (len == 0) break;
    ++labels;
    last_label_start = j;
    j += len;
    end = j;
    if (j + 1 < n_ && p_[j] == '.' && Is(p_[j + 1], kDomain)) {
      ++j;
      continue;
    }
    break;
  }
  if (labels < 2) return false;
  for (size_t k = last_label_start; k < end; ++k) {
    const char c = p_[k];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
  }
  if (end - last_label_start < 2) return false;
  *m = {b, end, static_cast<uint32_t>(Kind::kEmail)};
  return true;
}

bool LuhnDigits(const char* digits, size_t n) {
  int sum = 0;
  bool twice = false;
  for (size_t k = n; k-- > 0;) {
    int d = digits[k] - '0';
    if (twice) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

// A digit group of a number candidate and the separator text before it.
struct Group {
  size_t begin;
  size_t len;
  char sep;        // ' ', '-', '.', or 0 (none / first group)
  bool paren_sep;  // the separator involved a parenthesis
};

bool Scanner::TryNumber(size_t s, Match* m) const {
  // The byte before the item: a number glued to '-', '.', '/', '#', '$', … is part of an
  // id, a path, a price or a version, never a phone or card.
  if (s > 0) {
    const char b = p_[s - 1];
    if (b == '-' || b == '.' || b == '/' || b == '#' || b == '$' || b == '_' || b == '%' ||
        b == '&' || b == '*' || b == '@' || b == '~' || b == '^' || b == '+' || b == '\\' ||
        b == ',') {
      return false;
    }
  }
  constexpr size_t kMaxGroups = 12;
  Group groups[kMaxGroups];
  size_t ngroups = 0;
  size_t digits = 0;
  size_t j = s;
  const bool plus = p_[j] == '+';
  if (plus) ++j;
  bool open_paren = false;  // a '(' seen and not yet closed
  bool leading_paren = false;
  if (j < n_ && p_[j] == '(') {
    open_paren = leading_paren = true;
    ++j;
  }
  char raw[2];  // separator bytes since the last digit group
  size_t raw_len = 0;
  while (j < n_ && j - s < 48) {
    const char c = p_[j];
    if (Is(c, kDigit)) {
      char sep = 0;
      bool paren_sep = false;
      if (ngroups > 0) {
        const std::string_view r(raw, raw_len);
        if (r == " " || r == "-" || r == ".") {
          sep = r[0];
        } else if ((r == ")" || r == ") " || r == ")-") && open_paren) {
          sep = ')';
          paren_sep = true;
          open_paren = false;
        } else if ((r == "(" || r == " (") && !open_paren) {
          sep = '(';
          paren_sep = true;
          open_paren = true;
        } else {
          break;  // no separator ("1)2") or an odd one: the number ended before it
        }
      }
      if (ngroups == kMaxGroups) return false;
      const size_t len = Run(j, kDigit);
      groups[ngroups++] = {j, len, sep, paren_sep};
      digits += len;
      j += len;
      raw_len = 0;
      continue;
    }
    if (ngroups == 0) return false;  // '+' or '(' must be followed by a digit
    if (!(c == ' ' || c == '-' || c == '.' || c == '(' || c == ')') || raw_len == 2) break;
    raw[raw_len++] = c;
    ++j;
  }
  if (ngroups == 0 || open_paren) return false;
  const Group& last = groups[ngroups - 1];
  const size_t end = last.begin + last.len;
  // The byte after: not a word byte, not '@' (an e-mail's local part).
  if (end < n_ && (Is(p_[end], kWord) || p_[end] == '@')) return false;
  // A number followed by '.' or '-' and another digit did not end there: a longer id.
  if (end + 1 < n_ && (p_[end] == '.' || p_[end] == '-' || p_[end] == '/') &&
      Is(p_[end + 1], kDigit)) {
    return false;
  }

  auto seps_all = [&](char want) {
    for (size_t g = 1; g < ngroups; ++g) {
      if (groups[g].sep != want || groups[g].paren_sep) return false;
    }
    return true;
  };
  const bool any_paren = leading_paren || [&] {
    for (size_t g = 0; g < ngroups; ++g) {
      if (groups[g].paren_sep) return true;
    }
    return false;
  }();

  // IPv4: four dot-separated octets.
  if (!plus && !any_paren && ngroups == 4 && seps_all('.')) {
    bool ok = true;
    for (size_t g = 0; g < 4 && ok; ++g) {
      if (groups[g].len > 3) {
        ok = false;
        break;  // and never parse a long group as an int (it would overflow)
      }
      int v = 0;
      for (size_t k = 0; k < groups[g].len; ++k) v = v * 10 + (p_[groups[g].begin + k] - '0');
      if (v > 255) ok = false;
    }
    if (ok) {
      *m = {s, end, static_cast<uint32_t>(Kind::kIp)};
      return true;
    }
    return false;
  }
  // Card: 13–19 digits, issuer digit 2–6, no separators or one kind (space or dash) with
  // groups of 3–6 digits, the first of four; Luhn; not one repeated digit.
  if (!plus && !any_paren && digits >= 13 && digits <= 19) {
    const char first = p_[groups[0].begin];
    bool shape = first >= '2' && first <= '6';
    if (shape && ngroups > 1) {
      shape = (seps_all(' ') || seps_all('-')) && groups[0].len == 4 && ngroups >= 3;
      for (size_t g = 1; g < ngroups && shape; ++g) {
        shape = groups[g].len >= 3 && groups[g].len <= 6;
      }
    }
    if (shape) {
      char buf[19];
      size_t k = 0;
      for (size_t g = 0; g < ngroups; ++g) {
        for (size_t d = 0; d < groups[g].len; ++d) buf[k++] = p_[groups[g].begin + d];
      }
      bool all_same = true;
      for (size_t d = 1; d < k; ++d) all_same &= buf[d] == buf[0];
      if (!all_same && LuhnDigits(buf, k)) {
        *m = {s, end, static_cast<uint32_t>(Kind::kCard)};
        return true;
      }
    }
  }
  // Phone, international: '+', 8–15 digits (16 with a "(0)" trunk digit), no leading 0.
  if (plus) {
    if (p_[groups[0].begin] == '0' && !leading_paren) return false;
    if (digits < 8 || digits > (any_paren ? 16u : 15u)) return false;
    *m = {s, end, static_cast<uint32_t>(Kind::kPhone)};
    return true;
  }
  // Phone, national. Never a bare run of digits (ids, timestamps): separators required.
  if (ngroups < 2 || digits < 10 || digits > 11) return false;
  // NANP: [1 ]AAA EEE NNNN with consistent separators, or (AAA) EEE-NNNN.
  {
    size_t g0 = 0;
    if (ngroups == 4 && groups[0].len == 1 && p_[groups[0].begin] == '1') g0 = 1;
    if (ngroups - g0 == 3 && groups[g0].len == 3 && groups[g0 + 1].len == 3 &&
        groups[g0 + 2].len == 4 && p_[groups[g0].begin] >= '2') {
      const char s1 = groups[g0 + 1].sep;
      const char s2 = groups[g0 + 2].sep;
      const bool opened = g0 == 0 ? leading_paren : groups[g0].sep == '(';
      const bool paren_form = opened && s1 == ')' && (s2 == '-' || s2 == ' ' || s2 == '.');
      const bool plain = !any_paren && s1 == s2 && (s1 == '-' || s1 == '.' || s1 == ' ');
      if (paren_form || plain) {
        *m = {s, end, static_cast<uint32_t>(Kind::kPhone)};
        return true;
      }
    }
  }
  // Trunk prefix 0 (most of Europe, UK, …): 0…, groups of 2+ digits, one separator kind
  // (space or dash), or "(0AA) …".
  if (p_[groups[0].begin] == '0' && !plus) {
    bool ok = true;
    for (size_t g = 0; g < ngroups && ok; ++g) ok = groups[g].len >= 2;
    if (ok) {
      if (leading_paren) {
        ok = ngroups >= 2 && groups[1].sep == ')';
        for (size_t g = 2; g < ngroups && ok; ++g)
          ok = groups[g].sep == ' ' || groups[g].sep == '-';
      } else {
        ok = !any_paren && (seps_all(' ') || seps_all('-'));
      }
    }
    if (ok) {
      *m = {s, end, static_cast<uint32_t>(Kind::kPhone)};
      return true;
    }
  }
  return false;
}

bool Scanner::TryIban(size_t s, Match* m) const {
  if (n_ - s < 15 || !Is(p_[s], kUpper) || !Is(p_[s + 1], kUpper) || !Is(p_[s + 2], kDigit) ||
      !Is(p_[s + 3], kDigit)) {
    return false;
  }
  // Collect [A-Z0-9] with optional single spaces between groups; remember where each group
  // ends so that a trailing word ("… 00 AND") can be given back.
  char compact[34];
  size_t ncompact = 0;
  size_t ends[12];    // text end of each group
  size_t counts[12];  // compact length after each group
  size_t ngroups = 0;
  size_t j = s;
  while (j < n_ && ngroups < 12) {
    size_t k = j;
    while (k < n_ && (Is(p_[k], kUpper) || Is(p_[k], kDigit))) {
      if (ncompact == 34) return false;
      compact[ncompact++] = p_[k];
      ++k;
    }
    if (k == j) break;
    if (k < n_ && Is(p_[k], kWord)) {
      // a lower-case letter or '_' glued to the group: not an IBAN group
      if (ngroups == 0) return false;
      ncompact -= k - j;
      break;
    }
    ends[ngroups] = k;
    counts[ngroups] = ncompact;
    ++ngroups;
    j = k;
    if (j + 1 < n_ && p_[j] == ' ' && (Is(p_[j + 1], kUpper) || Is(p_[j + 1], kDigit))) {
      ++j;
      continue;
    }
    break;
  }
  for (size_t g = ngroups; g-- > 0;) {
    if (counts[g] < 15) break;
    if (IbanValid(std::string_view(compact, counts[g]))) {
      *m = {s, ends[g], static_cast<uint32_t>(Kind::kIban)};
      return true;
    }
  }
  return false;
}

// Hex groups of an IPv6 address between `b` and `e` (no "::" inside): number of 16-bit
// groups, or -1 when malformed. A dotted IPv4 tail counts two.
int Ipv6Groups(const char* p, size_t b, size_t e, bool allow_v4_tail) {
  if (b == e) return 0;
  int groups = 0;
  size_t k = b;
  while (k <= e) {
    size_t g = k;
    while (g < e && p[g] != ':') ++g;
    const std::string_view part(p + k, g - k);
    if (part.empty()) return -1;
    if (part.find('.') != std::string_view::npos) {
      if (!allow_v4_tail || g != e) return -1;
      // a.b.c.d
      int octets = 0;
      size_t q = 0;
      while (q <= part.size()) {
        size_t r = q;
        int v = 0;
        while (r < part.size() && part[r] != '.') {
          if (part[r] < '0' || part[r] > '9') return -1;
          v = v * 10 + (part[r] - '0');
          if (r - q >= 3 || v > 255) return -1;
          ++r;
        }
        if (r == q) return -1;
        ++octets;
        q = r + 1;
      }
      if (octets != 4) return -1;
      groups += 2;
    } else {
      if (part.size() > 4) return -1;
      for (char c : part) {
        if (!Is(c, kHex)) return -1;
      }
      ++groups;
    }
    k = g + 1;
  }
  return groups;
}

bool Scanner::TryIpv6(size_t s, Match* m) const {
  if (!(Is(p_[s], kHex) || p_[s] == ':')) return false;
  // Most calls are words that start with a hex letter ("assistant", "content"): an address's
  // first group is at most 4 hex digits followed by ':' (or it starts with "::"); without
  // that, Ipv6Groups below would refuse the text anyway.
  if (p_[s] != ':') {
    size_t k = s + 1;
    while (k < n_ && k - s < 5 && Is(p_[k], kHex)) ++k;
    if (k == n_ || p_[k] != ':') return false;
  }
  size_t e = s;
  size_t colons = 0;
  while (e < n_ && e - s < 45 && (Is(p_[e], kHex) || p_[e] == ':' || p_[e] == '.')) {
    colons += p_[e] == ':';
    ++e;
  }
  if (colons < 2) return false;
  // Give back a trailing '.' or a single ':' (end of a sentence, "addr: …").
  while (e > s && (p_[e - 1] == '.' || (p_[e - 1] == ':' && !(e - s >= 2 && p_[e - 2] == ':')))) {
    --e;
  }
  if (WordAt(e)) return false;
  const std::string_view text(p_ + s, e - s);
  const size_t dc = text.find("::");
  if (dc == std::string_view::npos) {
    if (Ipv6Groups(p_, s, e, true) != 8) return false;
  } else {
    if (text.find("::", dc + 1) != std::string_view::npos) return false;
    const int left = Ipv6Groups(p_, s, s + dc, false);
    const int right = Ipv6Groups(p_, s + dc + 2, e, true);
    if (left < 0 || right < 0 || left + right > 7) return false;
    // "::" alone, or a C++-like "abc::def" of two short words, is not an address; require
    // at least one digit and, with both sides present, three or more groups or "::1"-style.
    if (left + right == 0) return false;
    bool digit = false;
    for (char c : text) digit |= Is(c, kDigit);
    if (!digit) return false;
  }
  *m = {s, e, static_cast<uint32_t>(Kind::kIp)};
  return true;
}

// A prefix with a new first letter goes into MayBeKey too.
bool Scanner::TryKey(size_t s, Match* m) const {
  switch (p_[s]) {
    case 's':
      return KeyTail(s, "sk-", kTok, 20, m);
    case 'g':
      return KeyTail(s, "ghp_", kWord, 20, m) || KeyTail(s, "gho_", kWord, 20, m) ||
             KeyTail(s, "ghu_", kWord, 20, m) || KeyTail(s, "ghs_", kWord, 20, m) ||
             KeyTail(s, "ghr_", kWord, 20, m) || KeyTail(s, "github_pat_", kWord, 20, m) ||
             KeyTail(s, "glpat-", kTok, 20, m);
    case 'x':
      if (n_ - s > 5 && p_[s + 1] == 'o' && p_[s + 2] == 'x' &&
          (p_[s + 3] == 'a' || p_[s + 3] == 'b' || p_[s + 3] == 'p' || p_[s + 3] == 'r') &&
          p_[s + 4] == '-') {
        return KeyTail(s, std::string_view(p_ + s, 5), kTok, 10, m);
      }
      return false;
    case 'A': {
      if (Prefix(s, "AKIA") || Prefix(s, "ASIA")) {
        const size_t tail = Run(s + 4, kUpper | kDigit);
        if (tail == 16 && !WordAt(s + 20)) {
          *m = {s, s + 20, static_cast<uint32_t>(Kind::kApiKey)};
          return true;
        }
        return false;
      }
      return KeyTail(s, "AIza", kTok, 30, m);
    }
    case 'h':
      return KeyTail(s, "hf_", kWord, 30, m);
    case 'n':
      return KeyTail(s, "nvapi-", kTok, 20, m);
    case 'B':
    case 'b': {
      if (!(Prefix(s, "Bearer ") || Prefix(s, "bearer "))) return false;
      const size_t t = s + 7;
      size_t e = t;
      while (e < n_ && (Is(p_[e], kTok) || p_[e] == '.' || p_[e] == '~' || p_[e] == '+' ||
                        p_[e] == '/' || p_[e] == '=')) {
        ++e;
      }
      if (e - t < 16) return false;
      *m = {t, e, static_cast<uint32_t>(Kind::kApiKey)};
      return true;
    }
    case 'e': {
      if (!Prefix(s, "eyJ")) return false;
      const size_t a = Run(s, kTok);
      if (a < 10 || s + a >= n_ || p_[s + a] != '.') return false;
      const size_t b = Run(s + a + 1, kTok);
      if (b < 10 || s + a + 1 + b >= n_ || p_[s + a + 1 + b] != '.') return false;
      const size_t c = Run(s + a + b + 2, kTok);
      const size_t end = s + a + b + 2 + c;
      if (WordAt(end)) return false;
      *m = {s, end, static_cast<uint32_t>(Kind::kApiKey)};
      return true;
    }
    default:
      return false;
  }
}

}  // namespace

std::string_view KindName(Kind kind) { return kKindNames[static_cast<size_t>(kind)]; }

std::string_view ModeName(Mode mode) {
  switch (mode) {
    case Mode::kFull:
      return "full";
    case Mode::kRedact:
      return "redact";
    case Mode::kHash:
      return "hash";
    case Mode::kDrop:
      return "drop";
  }
  return "";
}

bool ParseMode(std::string_view text, Mode* mode) {
  for (Mode m : {Mode::kFull, Mode::kRedact, Mode::kHash, Mode::kDrop}) {
    if (text == ModeName(m)) {
      *mode = m;
      return true;
    }
  }
  return false;
}

bool LuhnValid(std::string_view digits) {
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
  }
  return !digits.empty() && LuhnDigits(digits.data(), digits.size());
}

bool IbanValid(std::string_view compact) {
  if (compact.size() < 15 || compact.size() > 34) return false;
  for (size_t k = 0; k < 2; ++k) {
    if (compact[k] < 'A' || compact[k] > 'Z') return false;
  }
  if (!(compact[2] >= '0' && compact[2] <= '9' && compact[3] >= '0' && compact[3] <= '9')) {
    return false;
  }
  const int check = (compact[2] - '0') * 10 + (compact[3] - '0');
  if (check < 2 || check > 98) return false;
  // ISO 7064 mod 97-10 over BBAN + country + check digits, letters as 10..35.
  int rem = 0;
  auto feed = [&](char c) {
    if (c >= '0' && c <= '9') {
      rem = (rem * 10 + (c - '0')) % 97;
    } else if (c >= 'A' && c <= 'Z') {
      const int v = c - 'A' + 10;
      rem = (rem * 100 + v) % 97;
    } else {
      rem = -1000;
    }
  };
  for (size_t k = 4; k < compact.size(); ++k) feed(compact[k]);
  for (size_t k = 0; k < 4; ++k) feed(compact[k]);
  return rem == 1;
}

struct Detector::UserRegex {
  std::unique_ptr<RE2> re;
  std::vector<int> group_of_rule;  // capture group index (1-based) of each rule
};

Detector::~Detector() = default;

Result<std::unique_ptr<Detector>> Detector::Create(const DetectorOptions& options) {
  std::unique_ptr<Detector> d(new Detector());
  for (const std::string& name : options.detectors) {
    bool found = false;
    for (size_t k = 0; k < kBuiltinKinds; ++k) {
      if (name == kKindNames[k]) {
        d->enabled_[k] = true;
        found = true;
      }
    }
    if (!found) {
      return InvalidArgument("unknown detector \"" + name +
                             "\" (valid: email, phone, card, iban, ip, api_key)");
    }
  }
  if (options.rules.empty()) return d;
  std::string combined;
  auto user = std::make_unique<UserRegex>();
  int group = 1;
  RE2::Options re_options;
  re_options.set_log_errors(false);
  for (size_t i = 0; i < options.rules.size(); ++i) {
    const UserRule& rule = options.rules[i];
    const std::string where = "rules[" + std::to_string(i) + "]";
    bool name_ok = !rule.name.empty() && rule.name.size() <= 64;
    for (char c : rule.name) {
      name_ok &= (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    }
    if (!name_ok) return InvalidArgument(where + ": name must be [a-z0-9_]+ (at most 64)");
    for (const std::string& seen : d->user_names_) {
      if (seen == rule.name) return InvalidArgument("rules: duplicate name \"" + rule.name + "\"");
    }
    const std::string named = where + " (name \"" + rule.name + "\")";
    RE2 one(rule.regex, re_options);
    if (!one.ok()) return InvalidArgument(named + ": invalid regex: " + one.error());
    if (RE2::FullMatch("", one)) {
      return InvalidArgument(named + ": regex matches the empty string");
    }
    if (!combined.empty()) combined += '|';
    combined += "(" + rule.regex + ")";
    user->group_of_rule.push_back(group);
    group += 1 + one.NumberOfCapturingGroups();
    d->user_names_.push_back(rule.name);
  }
  user->re = std::make_unique<RE2>(combined, re_options);
  if (!user->re->ok()) return InvalidArgument("rules: " + user->re->error());
  d->user_ = std::move(user);
  return d;
}

void Detector::FindBuiltinForTest(std::string_view text, bool skip, std::vector<Match>& out) const {
  FindBuiltin(text, skip, out);
}

std::string_view Detector::RuleName(uint32_t rule) const {
  if (rule < kBuiltinKinds) return kKindNames[rule];
  return user_names_[rule - kBuiltinKinds];
}

void Detector::FindBuiltin(std::string_view text, bool skip, std::vector<Match>& out) const {
  Scanner sc(text);
  const char* p = text.data();
  const size_t n = text.size();
  const bool email = enabled_[static_cast<size_t>(Kind::kEmail)];
  const bool numbers = enabled_[static_cast<size_t>(Kind::kPhone)] ||
                       enabled_[static_cast<size_t>(Kind::kCard)] ||
                       enabled_[static_cast<size_t>(Kind::kIp)];
  const bool iban = enabled_[static_cast<size_t>(Kind::kIban)];
  const bool ip = enabled_[static_cast<size_t>(Kind::kIp)];
  const bool keys = enabled_[static_cast<size_t>(Kind::kApiKey)];
  size_t floor = 0;  // end of the last item: nothing before it is looked at again
  size_t i = 0;
  Match m;
  auto accept = [&](const Match& found) {
    if (!enabled_[found.rule]) return false;
    out.push_back(found);
    floor = found.end;
    i = found.end;
    return true;
  };
  while (i < n) {
    if (skip && !AnchorAt(p, i, n)) {
      // No item before the word that leads to the next anchor (see AnchorAt), and the scan
      // below visits every word's first byte, so it may as well start there.
      const size_t anchor = NextAnchor(p, i, n);
      if (anchor == n) break;
      size_t start = anchor;
      while (start > i && Is(p[start - 1], kWord)) --start;
      i = start;
    }
    const char c = p[i];
    if (c == '@') {
      if (email && sc.TryEmail(i, floor, &m)) {
        // The local part may hold an item found before (rare); the e-mail replaces it.
        while (!out.empty() && out.back().end > m.begin) {
          m.begin = std::min(m.begin, out.back().begin);
          out.pop_back();
        }
        accept(m);
        continue;
      }
      ++i;
      continue;
    }
    const uint8_t cls = Cls(c);
    if ((cls & kStart) && sc.WordStart(i)) {
      bool hit = false;
      if (keys && Scanner::MayBeKey(c) && sc.TryKey(i, &m)) hit = accept(m);
      if (!hit && numbers && ((cls & kDigit) || c == '+' || c == '(') && sc.TryNumber(i, &m)) {
        hit = accept(m);
      }
      if (!hit && iban && (cls & kUpper) && sc.TryIban(i, &m)) hit = accept(m);
      if (!hit && ip && sc.MayBeIpv6(i) && sc.TryIpv6(i, &m)) hit = accept(m);
      if (hit) continue;
    }
    // Nothing starts at i. Items start at word starts only, and inside a run of word bytes
    // only the second byte can be one (after an escape: the 'J' of "\nJohn"). So when i is
    // a word byte, i + 1 gets the full check unless it is inside the run and no word start;
    // past it the whole run is skipped at one table lookup per byte.
    ++i;
    if ((cls & kWord) && i < n && Is(p[i], kWord) && !sc.WordStart(i)) {
      ++i;
      while (i < n && Is(p[i], kWord)) ++i;
    }
  }
}

void Detector::Find(std::string_view text, std::vector<Match>& out) const {
  const size_t first = out.size();
  FindBuiltin(text, /*skip=*/true, out);
  if (!user_) return;
  const size_t builtin_end = out.size();
  const re2::StringPiece input(text.data(), text.size());
  size_t pos = 0;
  std::vector<re2::StringPiece> groups;
  while (pos <= text.size()) {
    re2::StringPiece whole;
    if (!user_->re->Match(input, pos, text.size(), RE2::UNANCHORED, &whole, 1)) break;
    const size_t b = static_cast<size_t>(whole.data() - text.data());
    const size_t e = b + whole.size();
    if (e == b) {
      pos = b + 1;
      continue;
    }
    // Which rule: the first top-level group that took part.
    const int ngroups = user_->re->NumberOfCapturingGroups() + 1;
    groups.resize(static_cast<size_t>(ngroups));
    user_->re->Match(input, b, text.size(), RE2::ANCHOR_START, groups.data(), ngroups);
    uint32_t rule = 0;
    for (size_t r = 0; r < user_->group_of_rule.size(); ++r) {
      if (groups[static_cast<size_t>(user_->group_of_rule[r])].data() != nullptr) {
        rule = static_cast<uint32_t>(kBuiltinKinds + r);
        break;
      }
    }
    bool overlaps = false;
    for (size_t k = first; k < builtin_end && !overlaps; ++k) {
      overlaps = out[k].begin < e && b < out[k].end;
    }
    if (!overlaps && rule != 0) out.push_back({b, e, rule});
    pos = e;
  }
  if (out.size() > builtin_end && builtin_end > first) {
    std::inplace_merge(out.begin() + static_cast<ptrdiff_t>(first),
                       out.begin() + static_cast<ptrdiff_t>(builtin_end), out.end(),
                       [](const Match& a, const Match& b) { return a.begin < b.begin; });
  }
}

void Detector::Rewrite(std::string_view text, const std::vector<Match>& matches, Mode mode,
                       std::string* out) const {
  out->clear();
  out->reserve(text.size() + matches.size() * 16);
  size_t at = 0;
  for (const Match& m : matches) {
    out->append(text.data() + at, m.begin - at);
    const std::string_view kind = RuleName(m.rule);
    if (mode == Mode::kHash) {
      out->append("[HASH:");
      out->append(kind);
      out->push_back(':');
      out->append(Sha256Hex(text.substr(m.begin, m.end - m.begin)).substr(0, 16));
      out->push_back(']');
    } else {
      out->append("[REDACTED:");
      out->append(kind);
      out->push_back(']');
    }
    at = m.end;
  }
  out->append(text.data() + at, text.size() - at);
}

}  // namespace astrolabe::redaction
