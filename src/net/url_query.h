#pragma once
// Decoding of URL query strings and form bodies (application/x-www-form-urlencoded): the
// parameters of API requests (`/api/v1/spans?service=chat&attr.user.id=u-42`,
// `/api/v1/query` form POSTs). Untrusted input: fuzzed by fuzz/url_query_fuzz.cc.
//
// The rules are those of Go's net/url.ParseQuery, which the Prometheus API (and so every
// client written against it) relies on:
//   - pairs are separated by '&'; empty pairs ("a=1&&b=2") are skipped;
//   - a pair without '=' is a name with an empty value;
//   - names and values are percent-decoded, '+' decodes to a space;
//   - a malformed escape ("%zz", a trailing "%4") and a ';' in a pair are errors (Go
//     answers them the same way since 1.17: a ';' separator was a request-smuggling risk);
//   - no UTF-8 check: the bytes are returned as sent (callers that echo them must escape).
//
// Thread-safe (no state).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace astrolabe::net {

struct QueryParam {
  std::string name;
  std::string value;
  friend bool operator==(const QueryParam&, const QueryParam&) = default;
};

// The parameters of `text` (a query without the '?', or a form body) in order, repeated
// names kept. More than `max_params` pairs is an error. Errors are kInvalidArgument naming
// the pair ("query parameter 3: invalid percent escape \"%zz\"").
Result<std::vector<QueryParam>> ParseQueryString(std::string_view text, size_t max_params = 1000);

// `text` percent-decoded; '+' becomes a space when `plus_is_space` (form encoding, not
// path segments). kInvalidArgument for a malformed escape.
Result<std::string> PercentDecode(std::string_view text, bool plus_is_space = true);

// Percent-encodes every byte outside RFC 3986's unreserved set (A-Z a-z 0-9 - . _ ~), so the
// result is safe as a query name or value and as a path segment. PercentDecode inverts it.
std::string PercentEncode(std::string_view text);

// Parsed parameters with lookups by name. Thread-compatible.
class QueryParams {
 public:
  QueryParams() = default;
  explicit QueryParams(std::vector<QueryParam> params) : params_(std::move(params)) {}

  // Parses `query` and, when `form_body` is set (a POST with Content-Type
  // application/x-www-form-urlencoded), the body: the body's parameters come first, then the
  // query's, as in Go's Request.ParseForm (so First() prefers the body, like FormValue).
  static Result<QueryParams> Parse(std::string_view query,
                                   std::optional<std::string_view> form_body = std::nullopt,
                                   size_t max_params = 1000);

  // The first value of `name`, nullopt when absent.
  std::optional<std::string_view> First(std::string_view name) const;
  // The first value of `name`, "" when absent (Go's FormValue).
  std::string_view Value(std::string_view name) const { return First(name).value_or(""); }
  // The value of the only parameter `name`, nullopt when absent; kInvalidArgument
  // ("parameter \"limit\" is given 2 times") when repeated.
  Result<std::optional<std::string>> Single(std::string_view name) const;
  // Every value of `name`, in order.
  std::vector<std::string> Values(std::string_view name) const;
  bool Has(std::string_view name) const;

  const std::vector<QueryParam>& all() const { return params_; }

 private:
  std::vector<QueryParam> params_;
};

}  // namespace astrolabe::net
