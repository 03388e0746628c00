#include "expfmt/number.h"

#include <charconv>
#include <cstddef>
#include <cmath>
#include <cstring>
#include <limits>

namespace astrolabe::expfmt {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsLower(const char* p, size_t n, std::string_view lower) {
  if (n != lower.size()) return false;
  for (size_t i = 0; i < n; ++i) {
    if (Lower(p[i]) != lower[i]) return false;
  }
  return true;
}

// What a scan of a decimal literal found. The value is mantissa * 10^exp10, where mantissa
// holds the first 19 significant digits.
struct Decimal {
  uint64_t mantissa = 0;
  int sig_digits = 0;      // significant digits accumulated into mantissa
  bool truncated = false;  // more significant digits than fit in mantissa
  int64_t exp10 = 0;
  bool has_exponent = false;
  bool has_point = false;
  const char* int_begin = nullptr;  // integer-part digits, for exact timestamp conversion
  const char* int_end = nullptr;
  const char* frac_begin = nullptr;
  const char* frac_end = nullptr;
};

// Scans an unsigned decimal literal [p, end) completely; false on a syntax error.
bool ScanDecimal(const char* p, const char* end, Decimal* d) {
  bool any = false;
  auto take = [&](char c, bool frac) {
    any = true;
    if (d->mantissa == 0 && c == '0') {
      if (frac) --d->exp10;
      return;
    }
    if (d->sig_digits < 19) {
      d->mantissa = d->mantissa * 10 + static_cast<uint64_t>(c - '0');
      ++d->sig_digits;
      if (frac) --d->exp10;
    } else {
      if (c != '0') d->truncated = true;
      if (!frac) ++d->exp10;
    }
  };
  d->int_begin = p;
  while (p < end && IsDigit(*p)) take(*p++, false);
  d->int_end = p;
  if (p < end && *p == '.') {
    d->has_point = true;
    ++p;
    d->frac_begin = p;
    while (p < end && IsDigit(*p)) take(*p++, true);
    d->frac_end = p;
  }
  if (!any) return false;
  if (p < end && (*p == 'e' || *p == 'E')) {
    d->has_exponent = true;
    ++p;
    bool neg = false;
    if (p < end && (*p == '+' || *p == '-')) neg = *p++ == '-';
    if (p == end) return false;
    int64_t e = 0;
    while (p < end && IsDigit(*p)) {
      if (e < 100000) e = e * 10 + (*p - '0');
      ++p;
    }
    d->exp10 += neg ? -e : e;
  }
  return p == end;
}

// Converts a scanned decimal; `begin` is the unsigned literal for the slow path.
bool DecimalToDouble(const Decimal& d, const char* begin, const char* end, bool negative,
                     bool overflow_is_error, double* out) {
  double v;
  if (d.mantissa == 0) {
    v = 0;
  } else if (!d.truncated && d.mantissa <= (uint64_t{1} << 53) && d.exp10 >= -22 && d.exp10 <= 22) {
    // Clinger's fast path: both operands are exact doubles, so one IEEE operation rounds
    // correctly.
    double m = static_cast<double>(d.mantissa);
    v = d.exp10 >= 0 ? m * kExactPow10[d.exp10] : m / kExactPow10[-d.exp10];
  } else {
    auto r = std::from_chars(begin, end, v, std::chars_format::general);
    if (r.ec == std::errc::result_out_of_range) {
      bool overflow = d.sig_digits + d.exp10 > 0;
      if (overflow && overflow_is_error) return false;
      v = overflow ? std::numeric_limits<double>::infinity() : 0.0;
    } else if (r.ec != std::errc() || r.ptr != end) {
      return false;
    }
  }
  *out = negative ? -v : v;
  return true;
}

// A plain decimal that is the whole literal (ParsePlainDecimal), signed by `negative`.
bool PlainDecimal(const char* p, const char* end, bool negative, double* out) {
  double v;
  if (ParsePlainDecimal(p, end, &v) != end) return false;
  *out = negative ? -v : v;
  return true;
}

}  // namespace

bool ParseValue(std::string_view s, bool overflow_is_error, double* out) {
  const char* p = s.data();
  const char* end = p + s.size();
  if (p == end) return false;
  bool negative = false;
  bool has_sign = false;
  if (*p == '+' || *p == '-') {
    negative = *p == '-';
    has_sign = true;
    ++p;
    if (p == end) return false;
  }
  char c = *p;
  if (IsDigit(c) && PlainDecimal(p, end, negative, out)) return true;
  if (c == 'i' || c == 'I') {
    size_t n = static_cast<size_t>(end - p);
    if (!EqualsLower(p, n, "inf") && !EqualsLower(p, n, "infinity")) return false;
    *out = negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
    return true;
  }
  if (c == 'n' || c == 'N') {
    if (has_sign || !EqualsLower(p, static_cast<size_t>(end - p), "nan")) return false;
    *out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  Decimal d;
  if (!ScanDecimal(p, end, &d)) return false;
  return DecimalToDouble(d, p, end, negative, overflow_is_error, out);
}

bool ParseTextTimestamp(std::string_view s, int64_t* ms) {
  const char* p = s.data();
  const char* end = p + s.size();
  bool negative = false;
  if (p < end && (*p == '+' || *p == '-')) negative = *p++ == '-';
  if (p == end) return false;
  uint64_t v = 0;
  const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  for (; p < end; ++p) {
    if (!IsDigit(*p)) return false;
    uint64_t digit = static_cast<uint64_t>(*p - '0');
    if (v > (limit - digit) / 10) return false;
    v = v * 10 + digit;
  }
  // Two's complement negation of the magnitude, well-defined through uint64_t.
  *ms = negative ? static_cast<int64_t>(~v + 1) : static_cast<int64_t>(v);
  return true;
}

bool ParseOpenMetricsTimestamp(std::string_view s, double* seconds, int64_t* ms) {
  const char* p = s.data();
  const char* end = p + s.size();
  if (p == end) return false;
  bool negative = false;
  if (*p == '+' || *p == '-') {
    negative = *p == '-';
    ++p;
  }
  Decimal d;
  if (!ScanDecimal(p, end, &d)) return false;
  if (!DecimalToDouble(d, p, end, negative, /*overflow_is_error=*/true, seconds)) return false;

  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  if (!d.has_exponent) {
    // Exact: integer seconds * 1000 plus the first three fraction digits.
    uint64_t whole = 0;
    bool overflow = false;
    for (const char* q = d.int_begin; q < d.int_end; ++q) {
      if (whole > (uint64_t{1} << 62) / 10) {
        overflow = true;
        break;
      }
      whole = whole * 10 + static_cast<uint64_t>(*q - '0');
    }
    if (!overflow && whole <= static_cast<uint64_t>(kMax / 1000) - 1) {
      uint64_t frac = 0;
      int n = 0;
      for (const char* q = d.frac_begin; q != nullptr && q < d.frac_end && n < 3; ++q, ++n) {
        frac = frac * 10 + static_cast<uint64_t>(*q - '0');
      }
      for (; n < 3; ++n) frac *= 10;
      int64_t v = static_cast<int64_t>(whole * 1000 + frac);
      *ms = negative ? -v : v;
      return true;
    }
    *ms = negative ? kMin : kMax;
    return true;
  }
  double m = std::trunc(*seconds * 1000.0);
  if (m >= 9.2233720368547758e18) {
    *ms = kMax;
  } else if (m <= -9.2233720368547758e18) {
    *ms = kMin;
  } else {
    *ms = static_cast<int64_t>(m);
  }
  return true;
}

void AppendFloat(std::string* out, double v) {
  if (std::isnan(v)) {
    out->append("NaN");
    return;
  }
  if (std::isinf(v)) {
    out->append(v > 0 ? "+Inf" : "-Inf");
    return;
  }
  if (v == 0) {
    out->push_back('0');
    return;
  }
  // Shortest round-trip digits in scientific form: "-d.ddde+XX".
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  const char* p = buf;
  const char* end = r.ptr;
  if (*p == '-') {
    out->push_back('-');
    ++p;
  }
  char digits[32];
  int nd = 0;
  while (p < end && *p != 'e') {
    if (*p != '.') digits[nd++] = *p;
    ++p;
  }
  int exp = 0;
  if (p < end) {
    ++p;  // 'e'
    bool neg = *p == '-';
    ++p;  // sign
    std::from_chars(p, end, exp);
    if (neg) exp = -exp;
  }
  if (exp < -4 || exp >= 6) {
    out->push_back(digits[0]);
    if (nd > 1) {
      out->push_back('.');
      out->append(digits + 1, static_cast<size_t>(nd - 1));
    }
    out->push_back('e');
    out->push_back(exp < 0 ? '-' : '+');
    int a = exp < 0 ? -exp : exp;
    if (a < 10) out->push_back('0');
    char eb[8];
    auto er = std::to_chars(eb, eb + sizeof(eb), a);
    out->append(eb, er.ptr);
    return;
  }
  if (exp >= 0) {
    int int_digits = exp + 1;
    for (int i = 0; i < int_digits; ++i) out->push_back(i < nd ? digits[i] : '0');
    if (nd > int_digits) {
      out->push_back('.');
      out->append(digits + int_digits, static_cast<size_t>(nd - int_digits));
    }
    return;
  }
  out->append("0.");
  out->append(static_cast<size_t>(-exp - 1), '0');
  out->append(digits, static_cast<size_t>(nd));
}

void AppendSecondsFromMillis(std::string* out, int64_t ms) {
  uint64_t mag = ms < 0 ? ~static_cast<uint64_t>(ms) + 1 : static_cast<uint64_t>(ms);
  if (ms < 0) out->push_back('-');
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof(buf), mag / 1000);
  out->append(buf, r.ptr);
  unsigned frac = static_cast<unsigned>(mag % 1000);
  if (frac == 0) return;
  char f[4] = {static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10),
               static_cast<char>('0' + frac % 10), 0};
  size_t n = 3;
  while (f[n - 1] == '0') --n;
  out->push_back('.');
  out->append(f, n);
}

}  // namespace astrolabe::expfmt
