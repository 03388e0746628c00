// libFuzzer target for the PromQL evaluator (query/engine.h): a user-supplied query evaluated,
// as an instant query and as a 21-step range query, over a small tsdb::Head (counters with a
// reset, a gauge with NaN/Inf and a stale marker, classic histogram buckets). Checks: no crash,
// no sanitizer report, no unbounded allocation (max_samples and a 2 s timeout are set). Seed
// corpus: fuzz/corpus/promql_eval/.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "query/engine.h"
#include "tsdb/head.h"

namespace {

astrolabe::tsdb::Head* Data() {
  static astrolabe::tsdb::Head* head = [] {
    using astrolabe::storage::Labels;
    auto* h = new astrolabe::tsdb::Head();
    auto app = h->NewAppender();
    const char* les[] = {"0.1", "1", "+Inf"};
    for (int64_t i = 0; i <= 40; ++i) {
      const int64_t t = i * 15'000;
      for (int p = 0; p < 3; ++p) {
        const std::string pod = std::to_string(p);
        (void)app->Append(
            Labels::FromPairs({{"__name__", "req_total"}, {"pod", pod}, {"job", "a"}}), t,
            static_cast<double>(i % 17) * (p + 1));
        for (int b = 0; b < 3; ++b) {
          (void)app->Append(
              Labels::FromPairs({{"__name__", "lat_bucket"}, {"pod", pod}, {"le", les[b]}}), t,
              static_cast<double>(i * (b + 1)));
        }
      }
      double g = i == 7    ? NAN
                 : i == 9  ? INFINITY
                 : i == 30 ? astrolabe::query::StaleNaN()
                           : i * 0.5 - 3;
      (void)app->Append(Labels::FromPairs({{"__name__", "temp"}, {"a.b", "x"}}), t, g);
    }
    (void)app->Commit();
    return h;
  }();
  return head;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 512) return 0;
  std::string_view query(reinterpret_cast<const char*>(data), size);
  astrolabe::query::EngineOptions options;
  options.max_samples = 200'000;
  options.timeout = std::chrono::seconds(2);
  astrolabe::query::Engine engine(options);
  (void)engine.InstantQuery(*Data(), query, 300'000);
  (void)engine.RangeQuery(*Data(), query, 0, 600'000, 30'000);
  return 0;
}
