// libFuzzer target for the query API's parameter decoding (src/api/query_params.h) and its
// handlers (src/api/query_api.h). The first byte picks the mode:
//   even: the rest is a form string (net::ParseQueryString); every value through ParseTimeMs,
//         ParseDurationParamMs, ParseLimit, UnescapeLabelName; a decoded U__ label name must
//         be valid UTF-8.
//   odd:  "<path>\n<form body>": a GET (path only) and a form POST to /api/v1/<path> answered
//         by QueryApi over a small tsdb::Head. The answer must be JSON with "status" success or
//         error and a status code Prometheus uses.
// Seeds: fuzz/corpus/query_params/.

#include <simdjson.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

#include "api/query_api.h"
#include "api/query_params.h"
#include "net/http_codec.h"
#include "net/url_query.h"
#include "tsdb/head.h"

namespace {

// The value parsers over every decoded value (the decoding itself is fuzzed by
// url_query_fuzz).
void FuzzForm(std::string_view input) {
  auto params = astrolabe::net::ParseQueryString(input);
  if (!params.ok()) return;
  for (const auto& p : *params) {
    (void)astrolabe::api::ParseTimeMs(p.value);
    (void)astrolabe::api::ParseDurationParamMs(p.value);
    (void)astrolabe::api::ParseLimit(p.value);
    const std::string name = astrolabe::api::UnescapeLabelName(p.value);
    if (name != p.value && !astrolabe::storage::IsValidUtf8(name)) std::abort();
  }
}

astrolabe::tsdb::Head* Data() {
  static astrolabe::tsdb::Head* head = [] {
    using astrolabe::storage::Labels;
    auto* h = new astrolabe::tsdb::Head();
    auto app = h->NewAppender();
    for (int64_t i = 0; i <= 20; ++i) {
      (void)app->Append(Labels::FromPairs({{"__name__", "req_total"}, {"code", "200"}}), i * 15'000,
                        static_cast<double>(i));
      (void)app->Append(Labels::FromPairs({{"__name__", "req_total"}, {"code", "500"}}), i * 15'000,
                        static_cast<double>(i % 3));
      (void)app->Append(Labels::FromPairs({{"__name__", "odd"}, {"a.b", "\xff<&>\n"}}), i * 15'000,
                        i % 2 ? NAN : 1e-9 * i);
    }
    (void)app->UpdateMetadata("req_total", {astrolabe::storage::MetricType::kCounter, "", "h"});
    (void)app->Commit();
    return h;
  }();
  return head;
}

void FuzzHandler(std::string_view input) {
  const size_t nl = input.find('\n');
  const std::string path_and_query = "/api/v1/" + std::string(input.substr(0, nl));
  const std::string body = nl == std::string_view::npos ? "" : std::string(input.substr(nl + 1));
  astrolabe::api::QueryApiOptions options;
  options.storage = Data();
  options.max_samples = 100'000;
  options.timeout = std::chrono::seconds(2);
  const astrolabe::api::QueryApi api(options);
  for (const bool post : {false, true}) {
    astrolabe::net::internal::RawRequest raw;
    raw.message.method(post ? boost::beast::http::verb::post : boost::beast::http::verb::get);
    raw.message.target(path_and_query);
    raw.message.version(11);
    if (post) {
      raw.message.set(boost::beast::http::field::content_type, "application/x-www-form-urlencoded");
      raw.message.body() = body;
    }
    astrolabe::net::ServerRequest request(&raw, "127.0.0.1:1");
    astrolabe::net::ServerResponse response;
    api.Handle(request, response);
    if (response.status != 200 && response.status != 400 && response.status != 404 &&
        response.status != 422 && response.status != 500 && response.status != 503) {
      std::abort();
    }
    simdjson::dom::parser parser;
    simdjson::padded_string padded(response.body);
    simdjson::dom::element root;
    if (parser.parse(padded).get(root)) std::abort();
    std::string_view status;
    if (root["status"].get_string().get(status)) std::abort();
    if (status != (response.status == 200 ? "success" : "error")) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 4096) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    FuzzForm(input);
  } else {
    FuzzHandler(input);
  }
  return 0;
}
