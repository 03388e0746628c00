// The query API over real HTTP (an ApiServer on 127.0.0.1:0) against a tsdb::Db in a temporary
// directory: Prometheus' JSON shapes byte for byte, GET and form POST, every error type with its
// status code, limits, scopes and the outcome counter. query_params_test.cc covers the
// parameter decoding on its own.

#include "api/query_api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "api/api_server.h"
#include "api/token_authenticator.h"
#include "common/testing/temp_dir.h"
#include "net/http_client.h"
#include "tsdb/db.h"

namespace astrolabe::api {
namespace {

using ::testing::HasSubstr;

// 2026-11-23T00:00:00Z in milliseconds.
constexpr int64_t kT0 = 1795392000000;

class QueryApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = tsdb::Db::Open(dir_ / "tsdb");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    tokens_ = std::make_unique<TokenStore>(dir_ / "tokens.json");
    auth_ = std::make_unique<TokenAuthenticator>(tokens_.get(), &telemetry_, "api");
    auto reader = tokens_->Create("reader", {"metrics.read"});
    ASSERT_TRUE(reader.ok());
    reader_ = reader->token;
    auto ingest = tokens_->Create("ingest", {"metrics.ingest"});
    ASSERT_TRUE(ingest.ok());
    ingest_ = ingest->token;
    Load();
    StartServer(50'000'000);
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
    if (db_) (void)db_->Close();
  }

  void StartServer(size_t max_samples) {
    if (server_) server_->Shutdown();
    ApiServerOptions options;
    options.listen_address = "127.0.0.1:0";
    options.tokens = tokens_.get();
    options.authenticator = auth_.get();
    options.telemetry = &telemetry_;
    options.query.storage = db_.get();
    options.query.max_samples = max_samples;
    server_ = std::make_unique<ApiServer>(options);
    ASSERT_TRUE(server_->Start().ok());
  }

  // requests_total{code="200"} 1, 3, 6, … every 15 s from kT0 (10 samples); a gauge with a
  // NaN and an +Inf; two series that differ only by name.
  void Load() {
    auto app = db_->NewAppender();
    const auto counter = storage::Labels::FromPairs(
        {{"__name__", "requests_total"}, {"job", "kong"}, {"code", "200"}});
    const auto errors = storage::Labels::FromPairs(
        {{"__name__", "requests_total"}, {"job", "kong"}, {"code", "500"}});
    double total = 0;
    for (int i = 0; i < 10; ++i) {
      total += i + 1;
      ASSERT_TRUE(app->Append(counter, kT0 + i * 15000, total).ok());
      ASSERT_TRUE(app->Append(errors, kT0 + i * 15000, i).ok());
    }
    const auto gauge = storage::Labels::FromPairs({{"__name__", "odd"}, {"job", "x<&>"}});
    ASSERT_TRUE(app->Append(gauge, kT0, std::numeric_limits<double>::quiet_NaN()).ok());
    ASSERT_TRUE(app->Append(gauge, kT0 + 15000, std::numeric_limits<double>::infinity()).ok());
    ASSERT_TRUE(app->Append(gauge, kT0 + 30000, 1e-7).ok());
    ASSERT_TRUE(app->Append(storage::Labels::FromPairs({{"__name__", "a"}, {"k", "v"}}), kT0, 1)
                    .ok());
    ASSERT_TRUE(app->Append(storage::Labels::FromPairs({{"__name__", "b"}, {"k", "v"}}), kT0, 2)
                    .ok());
    ASSERT_TRUE(app->Append(storage::Labels::FromPairs({{"__name__", "a.b"}, {"k", "utf"}}),
                            kT0, 3)
                    .ok());
    ASSERT_TRUE(app->UpdateMetadata("requests_total",
                                    {storage::MetricType::kCounter, "", "Requests \"served\""})
                    .ok());
    ASSERT_TRUE(app->Commit().ok());
  }

  net::HttpResponse Get(const std::string& path_and_query, const std::string& token = "") {
    return Send("GET", path_and_query, "", token.empty() ? reader_ : token);
  }
  net::HttpResponse Post(const std::string& path_and_query, const std::string& form) {
    return Send("POST", path_and_query, form, reader_);
  }
  net::HttpResponse Send(const std::string& method, const std::string& path_and_query,
                         const std::string& form, const std::string& token) {
    net::HttpRequest request;
    request.method = method;
    request.url = "http://" + server_->address() + path_and_query;
    request.timeout = std::chrono::seconds(30);
    if (token != "-") request.headers.Set("Authorization", "Bearer " + token);
    if (method == "POST") {
      request.headers.Set("Content-Type", "application/x-www-form-urlencoded");
      request.body = form;
    }
    auto response = client_.Send(std::move(request)).get();
    EXPECT_TRUE(response.ok()) << response.status().message();
    return response.ok() ? *response : net::HttpResponse{};
  }

  double Counter(const std::string& endpoint, const std::string& outcome) {
    return telemetry_
        .GetCounter("astrolabe_api_query_requests_total", "",
                    {{"endpoint", endpoint}, {"outcome", outcome}})
        ->value();
  }

  test::TempDir dir_;
  std::unique_ptr<tsdb::Db> db_;
  component::Telemetry telemetry_;
  std::unique_ptr<TokenStore> tokens_;
  std::unique_ptr<TokenAuthenticator> auth_;
  std::unique_ptr<ApiServer> server_;
  net::HttpClient client_;
  std::string reader_, ingest_;
};

// kT0 + 135 s (the last sample), in seconds.
const std::string kEnd = "1795392135";

TEST_F(QueryApiTest, InstantVectorIsPrometheusJson) {
  auto r = Get("/api/v1/query?query=requests_total&time=" + kEnd);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.Get("Content-Type").value_or(""), "application/json");
  EXPECT_EQ(r.body,
            R"({"status":"success","data":{"resultType":"vector","result":[)"
            R"({"metric":{"__name__":"requests_total","code":"200","job":"kong"},"value":[1795392135,"55"]},)"
            R"({"metric":{"__name__":"requests_total","code":"500","job":"kong"},"value":[1795392135,"9"]}]}})");
  EXPECT_EQ(Counter("query", "success"), 1);
}

TEST_F(QueryApiTest, RangeMatrixWithFractionalTimesAndDurationStep) {
  // start in RFC 3339 with a fraction, end as float seconds, step as a duration. Times print
  // as Prometheus' MarshalTimestamp does: three fraction digits when there is a fraction.
  auto r = Get("/api/v1/query_range?query=sum%20by%20(code)%20(requests_total)&start="
               "2026-11-23T00:01:00.5Z&end=1795392120.5&step=30s");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body,
            R"({"status":"success","data":{"resultType":"matrix","result":[)"
            R"({"metric":{"code":"200"},"values":[[1795392060.500,"15"],[1795392090.500,"28"],[1795392120.500,"45"]]},)"
            R"({"metric":{"code":"500"},"values":[[1795392060.500,"4"],[1795392090.500,"6"],[1795392120.500,"8"]]}]}})");
  // step as float seconds gives the same answer.
  auto f = Get("/api/v1/query_range?query=sum%20by%20(code)%20(requests_total)&start="
               "1795392060.5&end=1795392120.5&step=30");
  EXPECT_EQ(f.body, r.body);
}

TEST_F(QueryApiTest, ScalarStringAndSpecialValues) {
  EXPECT_EQ(Get("/api/v1/query?query=1%2B1&time=1795392000.123").body,
            R"({"status":"success","data":{"resultType":"scalar","result":[1795392000.123,"2"]}})");
  EXPECT_EQ(Get("/api/v1/query?query=%22a%3Cb%22&time=1795392000").body,
            R"({"status":"success","data":{"resultType":"string","result":[1795392000,"a\u003cb"]}})");
  // NaN, +Inf, -Inf and a small value in 'e' format, as Go writes them; label values
  // HTML-escaped as Go's encoder does.
  const std::string at = "&time=1795392030";
  EXPECT_THAT(Get("/api/v1/query?query=odd" + at).body,
              HasSubstr(R"({"metric":{"__name__":"odd","job":"x\u003c\u0026\u003e"},"value":[1795392030,"1e-07"]})"));
  EXPECT_THAT(Get("/api/v1/query?query=odd" + std::string("&time=1795392015")).body,
              HasSubstr(R"("value":[1795392015,"+Inf"])"));
  EXPECT_THAT(Get("/api/v1/query?query=-odd" + std::string("&time=1795392015")).body,
              HasSubstr(R"("value":[1795392015,"-Inf"])"));
  EXPECT_THAT(Get("/api/v1/query?query=odd" + std::string("&time=1795392000")).body,
              HasSubstr(R"("value":[1795392000,"NaN"])"));
  // A range selector at top level is a matrix.
  EXPECT_THAT(Get("/api/v1/query?query=odd%5B1m%5D&time=1795392030").body,
              HasSubstr(R"("resultType":"matrix","result":[{"metric":{"__name__":"odd","job":"x\u003c\u0026\u003e"},"values":[[1795392000,"NaN"],[1795392015,"+Inf"],[1795392030,"1e-07"]]}])"));
}

TEST_F(QueryApiTest, FormPostAndBodyBeforeUrl) {
  auto r = Post("/api/v1/query", "query=sum(requests_total)&time=" + kEnd);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body,
            R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1795392135,"64"]}]}})");
  // The body's `query` wins over the URL's, as in Go's Request.Form.
  auto both = Post("/api/v1/query?query=nonexistent&time=" + kEnd, "query=count(requests_total)");
  EXPECT_THAT(both.body, HasSubstr(R"("value":[1795392135,"2"])"));
  auto range = Post("/api/v1/query_range",
                    "query=requests_total%7Bcode%3D%22500%22%7D&start=1795392000&end=1795392030"
                    "&step=15");
  EXPECT_THAT(range.body, HasSubstr(R"("values":[[1795392000,"0"],[1795392015,"1"],[1795392030,"2"]])"));
}

TEST_F(QueryApiTest, ErrorsHavePrometheusTypesAndStatusCodes) {
  auto bad_query = Get("/api/v1/query?query=sum(");
  EXPECT_EQ(bad_query.status, 400);
  EXPECT_EQ(bad_query.body,
            R"({"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": )"
            R"(1:5: parse error: unexpected end of input"})");
  auto bad_time = Get("/api/v1/query?query=up&time=yesterday");
  EXPECT_EQ(bad_time.status, 400);
  EXPECT_THAT(bad_time.body, HasSubstr(R"(invalid parameter \"time\": invalid time value for 'time': cannot parse \"yesterday\" to a valid timestamp)"));
  auto no_step = Get("/api/v1/query_range?query=up&start=1&end=2");
  EXPECT_EQ(no_step.status, 400);
  EXPECT_THAT(no_step.body, HasSubstr(R"(invalid parameter \"step\": cannot parse \"\" to a valid duration)"));
  EXPECT_THAT(Get("/api/v1/query_range?query=up&start=1&end=2&step=0").body,
              HasSubstr("zero or negative query resolution step widths are not accepted"));
  EXPECT_THAT(Get("/api/v1/query_range?query=up&start=2&end=1&step=1").body,
              HasSubstr("end timestamp must not be before start time"));
  auto too_many = Get("/api/v1/query_range?query=up&start=0&end=11001&step=1");
  EXPECT_EQ(too_many.status, 400);
  EXPECT_THAT(too_many.body, HasSubstr("exceeded maximum resolution of 11,000 points"));
  auto matrix_range = Get("/api/v1/query_range?query=up%5B5m%5D&start=0&end=1&step=1");
  EXPECT_EQ(matrix_range.status, 400);
  EXPECT_THAT(matrix_range.body, HasSubstr("invalid expression type \\\"range vector\\\" for range query"));
  EXPECT_THAT(Get("/api/v1/query?query=up&timeout=soon").body,
              HasSubstr(R"(invalid parameter \"timeout\": cannot parse \"soon\" to a valid duration)"));
  EXPECT_THAT(Get("/api/v1/query?query=up&limit=-1").body,
              HasSubstr(R"(invalid parameter \"limit\": limit must be non-negative)"));
  // Evaluation errors are "execution", 422.
  auto exec = Get("/api/v1/query?query=abs(%7Bk%3D%22v%22%7D)&time=1795392000");
  EXPECT_EQ(exec.status, 422) << exec.body;
  EXPECT_THAT(exec.body, HasSubstr(R"("errorType":"execution")"));
  EXPECT_THAT(exec.body, HasSubstr("vector cannot contain metrics with the same labelset"));
  // A broken escape in the query string.
  auto escape = Get("/api/v1/query?query=%zz");
  EXPECT_EQ(escape.status, 400);
  EXPECT_EQ(escape.body, R"({"status":"error","errorType":"bad_data","error":"error parsing form values: invalid URL escape \"%zz\""})");
  EXPECT_EQ(Counter("query", "bad_data"), 5);
  EXPECT_EQ(Counter("query", "execution"), 1);
  EXPECT_EQ(Counter("query_range", "bad_data"), 5);
}

TEST_F(QueryApiTest, MaxSamplesIsAnExecutionError) {
  StartServer(5);
  auto r = Get("/api/v1/query_range?query=requests_total&start=1795392000&end=" + kEnd +
               "&step=15");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_THAT(r.body, HasSubstr(R"("errorType":"execution")"));
  EXPECT_THAT(r.body, HasSubstr("query processing would load too many samples into memory"));
}

TEST_F(QueryApiTest, LimitTruncatesWithAWarning) {
  auto r = Get("/api/v1/query?query=requests_total&limit=1&time=" + kEnd);
  EXPECT_EQ(r.body,
            R"({"status":"success","data":{"resultType":"vector","result":[)"
            R"({"metric":{"__name__":"requests_total","code":"200","job":"kong"},"value":[1795392135,"55"]}]},)"
            R"("warnings":["results truncated due to limit"]})");
}

TEST_F(QueryApiTest, SeriesLabelsAndValues) {
  EXPECT_EQ(Get("/api/v1/series?match[]=requests_total&match[]=%7Bk%3D%22v%22%7D").body,
            R"({"status":"success","data":[{"__name__":"a","k":"v"},{"__name__":"b","k":"v"},)"
            R"({"__name__":"requests_total","code":"200","job":"kong"},)"
            R"({"__name__":"requests_total","code":"500","job":"kong"}]})");
  // The same series named by two sets appears once.
  EXPECT_EQ(Get("/api/v1/series?match[]=a&match[]=%7B__name__%3D~%22a%7Cb%22%7D").body,
            R"({"status":"success","data":[{"__name__":"a","k":"v"},{"__name__":"b","k":"v"}]})");
  EXPECT_EQ(Post("/api/v1/series", "match[]=b&start=1795392000&end=1795392001").body,
            R"({"status":"success","data":[{"__name__":"b","k":"v"}]})");
  // Outside the time range: nothing.
  EXPECT_EQ(Get("/api/v1/series?match[]=b&start=0&end=1").body,
            R"({"status":"success","data":[]})");
  auto none = Get("/api/v1/series");
  EXPECT_EQ(none.status, 400);
  EXPECT_THAT(none.body, HasSubstr("no match[] parameter provided"));
  EXPECT_THAT(Get("/api/v1/series?match[]=%7Bk%3D~%22.*%22%7D").body,
              HasSubstr(R"(invalid parameter \"match[]\": 1:1: parse error: vector selector must contain at least one non-empty matcher)"));

  EXPECT_EQ(Get("/api/v1/labels").body,
            R"({"status":"success","data":["__name__","code","job","k"]})");
  EXPECT_EQ(Get("/api/v1/labels?match[]=a&match[]=odd").body,
            R"({"status":"success","data":["__name__","job","k"]})");
  EXPECT_EQ(Get("/api/v1/labels?limit=2").body,
            R"({"status":"success","data":["__name__","code"],"warnings":["results truncated due to limit"]})");
  EXPECT_EQ(Get("/api/v1/label/__name__/values").body,
            R"({"status":"success","data":["a","a.b","b","odd","requests_total"]})");
  EXPECT_EQ(Get("/api/v1/label/code/values?match[]=requests_total").body,
            R"({"status":"success","data":["200","500"]})");
  EXPECT_EQ(Get("/api/v1/label/k/values?match[]=%7B__name__%3D%22a.b%22%7D").body,
            R"({"status":"success","data":["utf"]})");
  // Prometheus' U__ encoding of a UTF-8 name, and a percent-encoded one.
  EXPECT_EQ(Get("/api/v1/label/U__k/values?match[]=b").body,
            R"({"status":"success","data":["v"]})");
  EXPECT_EQ(Get("/api/v1/label/%6b/values?match[]=b").body,
            R"({"status":"success","data":["v"]})");
  EXPECT_EQ(Get("/api/v1/label/nothing/values").body, R"({"status":"success","data":[]})");
  EXPECT_EQ(Get("/api/v1/label/%ff/values").status, 400);
  EXPECT_EQ(Counter("label_values", "success"), 6);
}

TEST_F(QueryApiTest, MetadataExemplarsAndBuildInfo) {
  EXPECT_EQ(Get("/api/v1/metadata").body,
            R"({"status":"success","data":{"requests_total":[{"type":"counter","help":"Requests \"served\"","unit":""}]}})");
  EXPECT_EQ(Get("/api/v1/metadata?metric=nothing").body, R"({"status":"success","data":{}})");
  EXPECT_EQ(Get("/api/v1/metadata?limit=x").status, 400);
  EXPECT_EQ(Get("/api/v1/query_exemplars?query=requests_total").body,
            R"({"status":"success","data":[]})");
  EXPECT_EQ(Get("/api/v1/query_exemplars?query=sum(").status, 400);
  auto build = Get("/api/v1/status/buildinfo");
  EXPECT_EQ(build.status, 200);
  EXPECT_THAT(build.body, HasSubstr(R"({"status":"success","data":{"version":")"));
}

TEST_F(QueryApiTest, NeedsMetricsReadScope) {
  auto none = Send("GET", "/api/v1/query?query=1", "", "-");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.headers.Get("WWW-Authenticate").value_or(""), "Api-Token realm=\"astrolabe\"");
  auto wrong = Get("/api/v1/query?query=1", ingest_);
  EXPECT_EQ(wrong.status, 403);
  EXPECT_THAT(wrong.body, HasSubstr("metrics.read"));
  EXPECT_EQ(Send("POST", "/api/v1/series", "match[]=a", ingest_).status, 403);
  EXPECT_EQ(Get("/api/v1/labels", ingest_).status, 403);
  EXPECT_EQ(Get("/api/v1/query?query=1").status, 200);
  // Methods Prometheus does not route.
  EXPECT_EQ(Send("DELETE", "/api/v1/query", "", reader_).status, 405);
  EXPECT_EQ(Send("POST", "/api/v1/metadata", "", reader_).status, 405);
}

TEST(QueryApiNoStore, AnswersUnavailable) {
  test::TempDir dir;
  TokenStore tokens(dir / "tokens.json");
  ApiServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.tokens = &tokens;
  options.query_unavailable = "no store here";
  ApiServer server(options);
  ASSERT_TRUE(server.Start().ok());
  net::HttpClient client;
  net::HttpRequest request;
  request.url = "http://" + server.address() + "/api/v1/query?query=1";
  auto r = client.Send(std::move(request)).get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->body, R"({"status":"error","errorType":"unavailable","error":"no store here"})");
  server.Shutdown();
}

}  // namespace
}  // namespace astrolabe::api
