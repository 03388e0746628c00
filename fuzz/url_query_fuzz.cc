// Fuzzes the decoding of API request parameters: query strings and form bodies
// (src/net/url_query.h), the traces API's search parameters (api::ParseSpanSearchParams),
// times (api::ParseTimeParam) and the JSON string writer every answer uses (AppendJsonString,
// which echoes parameters in error messages). Checks, besides the sanitizers:
//   - decoded parameters, percent-encoded again, decode to the same parameters;
//   - an accepted search has a limit in 1..kMaxSpanLimit, start < end, min <= max duration;
//   - an accepted time prints (RFC 3339) to a text that parses back to the same time;
//   - AppendJsonString's output is valid UTF-8 whatever the input bytes.
// Seeds: fuzz/corpus/url_query/.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "api/api_json.h"
#include "api/api_params.h"
#include "api/traces_api.h"
#include "common/strings.h"
#include "net/url_query.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace astrolabe;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  auto params = net::QueryParams::Parse(input, std::nullopt, 200);
  if (params.ok()) {
    std::string again;
    for (const net::QueryParam& p : params->all()) {
      if (!again.empty()) again += '&';
      again += net::PercentEncode(p.name) + "=" + net::PercentEncode(p.value);
    }
    auto reparsed = net::QueryParams::Parse(again, std::nullopt, 200);
    if (!reparsed.ok() || reparsed->all() != params->all()) std::abort();

    spanstore::SpanQuery query;
    if (api::ParseSpanSearchParams(*params, &query).ok()) {
      if (query.limit < 1 || query.limit > api::kMaxSpanLimit) std::abort();
      if (query.start_unix_nano >= query.end_unix_nano) std::abort();
      if (query.min_duration_nanos && query.max_duration_nanos &&
          *query.min_duration_nanos > *query.max_duration_nanos) {
        std::abort();
      }
    }
  }

  auto t = api::ParseTimeParam(input);
  if (t.ok()) {
    auto back = api::ParseTimeParam(FormatRfc3339(*t));
    if (!back.ok() || *back != *t) std::abort();
  }

  std::string json;
  api::AppendJsonString(json, input);
  if (!simdjson::validate_utf8(json.data(), json.size())) std::abort();
  return 0;
}
