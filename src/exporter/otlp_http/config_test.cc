#include "exporter/otlp_http/config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "config/decoder.h"
#include "config/encoder.h"
#include "config/parse.h"
#include "exporter/otlp_http/factory.h"

namespace astrolabe::exporter::otlp_http {
namespace {

using component::Signal;
using std::chrono::minutes;
using std::chrono::seconds;

// Decodes `yaml` (the body of exporters.otlp_http) into *config.
void DecodeText(const std::string& yaml, const std::string& file, Config* config,
                config::Diagnostics& diag) {
  config::ParseOptions options;
  options.file = std::make_shared<const std::string>(file);
  std::optional<config::Node> root = config::ParseYaml(yaml, options, diag);
  ASSERT_TRUE(root.has_value()) << diag.ToStatus().message();
  const config::Node* exporters = root->Find("exporters");
  ASSERT_NE(exporters, nullptr);
  const config::Node* node = exporters->Find("otlp_http");
  ASSERT_NE(node, nullptr);
  config::Decode(*node, "exporters.otlp_http", *config, diag);
}

void DecodeTestdata(const std::string& name, Config* config, config::Diagnostics& diag) {
  std::ifstream in("testdata/" + name);
  ASSERT_TRUE(in) << "testdata/" << name;
  std::stringstream text;
  text << in.rdbuf();
  DecodeText(text.str(), name, config, diag);
}

Config WithEndpoint() {
  Config c;
  c.endpoint = "https://example.com/api/v2/otlp";
  return c;
}

TEST(OtlpHttpConfig, DefaultsAreUpstreams) {
  auto base = NewFactory()->CreateDefaultConfig();
  const auto& c = dynamic_cast<const Config&>(*base);
  EXPECT_EQ(c.endpoint, "");
  EXPECT_TRUE(c.headers.empty());
  EXPECT_EQ(c.encoding, "proto");
  EXPECT_EQ(c.compression, "gzip");
  EXPECT_EQ(c.timeout, seconds(30));
  EXPECT_TRUE(c.retry_on_failure.enabled);
  EXPECT_EQ(c.retry_on_failure.initial_interval, seconds(5));
  EXPECT_EQ(c.retry_on_failure.max_interval, seconds(30));
  EXPECT_EQ(c.retry_on_failure.max_elapsed_time, minutes(5));
  EXPECT_DOUBLE_EQ(c.retry_on_failure.multiplier, 1.5);
  EXPECT_DOUBLE_EQ(c.retry_on_failure.randomization_factor, 0.5);
  EXPECT_TRUE(c.sending_queue.enabled);
  EXPECT_EQ(c.sending_queue.num_consumers, 10);
  EXPECT_EQ(c.sending_queue.queue_size, 1000);
  EXPECT_FALSE(c.sending_queue.block_on_overflow);
  EXPECT_EQ(c.sending_queue.storage, "");
  // As upstream, the default has no endpoint and does not validate on its own.
  EXPECT_EQ(c.Validate().message(), "at least one endpoint must be specified");
}

TEST(OtlpHttpConfig, FullFileDecodes) {
  config::Diagnostics diag;
  Config c;
  DecodeTestdata("config_full.yaml", &c, diag);
  ASSERT_FALSE(diag.has_errors()) << diag.ToStatus().message();
  EXPECT_EQ(c.endpoint, "https://abc12345.live.dynatrace.com/api/v2/otlp");
  EXPECT_EQ(c.metrics_endpoint, "https://metrics.example.com/ingest");
  EXPECT_EQ(c.traces_endpoint, "https://traces.example.com/v1/traces");
  EXPECT_EQ(c.logs_endpoint, "https://logs.example.com/v1/logs");
  EXPECT_EQ(c.headers,
            (std::map<std::string, std::string>{{"Authorization", "Api-Token dt0c01.sample.secret"},
                                                {"X-Scope", "tenant-a"}}));
  EXPECT_EQ(c.encoding, "proto");
  EXPECT_EQ(c.compression, "none");
  EXPECT_EQ(c.timeout, seconds(10));
  EXPECT_EQ(c.proxy_url, "http://proxy.example.com:3128");
  EXPECT_EQ(c.tls.ca_file, "/etc/ssl/ca.pem");
  EXPECT_TRUE(c.tls.insecure_skip_verify);
  EXPECT_EQ(c.tls.cert_file, "/etc/ssl/client.pem");
  EXPECT_EQ(c.tls.key_file, "/etc/ssl/client.key");
  EXPECT_EQ(c.retry_on_failure.initial_interval, seconds(1));
  EXPECT_EQ(c.retry_on_failure.max_interval, seconds(10));
  EXPECT_EQ(c.retry_on_failure.max_elapsed_time, minutes(2));
  EXPECT_DOUBLE_EQ(c.retry_on_failure.multiplier, 2.0);
  EXPECT_DOUBLE_EQ(c.retry_on_failure.randomization_factor, 0.25);
  EXPECT_EQ(c.sending_queue.num_consumers, 4);
  EXPECT_EQ(c.sending_queue.queue_size, 50);
  EXPECT_TRUE(c.sending_queue.block_on_overflow);
  EXPECT_TRUE(c.Validate().ok()) << c.Validate().message();
}

TEST(OtlpHttpConfig, TypoNamesKeyPositionAndSuggestion) {
  config::Diagnostics diag;
  Config c;
  DecodeTestdata("config_typo.yaml", &c, diag);
  ASSERT_EQ(diag.errors().size(), 1u) << diag.ToStatus().message();
  EXPECT_EQ(diag.errors()[0].ToString(),
            "config_typo.yaml:6:7: exporters.otlp_http.retry_on_failure.initial_intervall: "
            "unknown key (did you mean initial_interval?)");
}

TEST(OtlpHttpConfig, UnknownEncodingAndCompressionAreDecodeErrors) {
  config::Diagnostics diag;
  Config c;
  DecodeText(
      "exporters:\n  otlp_http:\n    endpoint: http://x\n    encoding: xml\n"
      "    compression: brotli\n",
      "t.yaml", &c, diag);
  ASSERT_EQ(diag.errors().size(), 2u) << diag.ToStatus().message();
  EXPECT_NE(diag.errors()[0].ToString().find("exporters.otlp_http.encoding: invalid encoding "
                                             "type: xml"),
            std::string::npos)
      << diag.errors()[0].ToString();
  EXPECT_NE(diag.errors()[1].ToString().find(
                "exporters.otlp_http.compression: unsupported compression type \"brotli\""),
            std::string::npos)
      << diag.errors()[1].ToString();
}

TEST(OtlpHttpConfig, HeadersAreRedactedWhenPrinted) {
  Config c = WithEndpoint();
  c.headers = {{"Authorization", "Api-Token secret"}};
  config::Node printed = config::Encode(c);
  const config::Node* headers = printed.Find("headers");
  ASSERT_NE(headers, nullptr);
  const config::Node* auth = headers->Find("Authorization");
  ASSERT_NE(auth, nullptr);
  EXPECT_EQ(auth->scalar(), config::kRedacted);
  EXPECT_EQ(printed.Find("endpoint")->scalar(), "https://example.com/api/v2/otlp");
}

TEST(OtlpHttpConfig, ValidationMessages) {
  struct Case {
    std::function<void(Config&)> change;
    std::string message;
  };
  std::vector<Case> cases = {
      {[](Config& c) { c.endpoint = ""; }, "at least one endpoint must be specified"},
      {[](Config& c) { c.endpoint = "localhost:4318"; }, "endpoint must be a valid URL"},
      {[](Config& c) { c.endpoint = "http://"; }, "endpoint must be a valid URL"},
      {[](Config& c) { c.metrics_endpoint = "ftp://x/v1/metrics"; },
       "metrics_endpoint must be a valid URL"},
      {[](Config& c) { c.logs_endpoint = "http://a b"; }, "logs_endpoint must be a valid URL"},
      {[](Config& c) { c.encoding = "x"; }, "invalid encoding type: x"},
      {[](Config& c) { c.compression = "lz4"; }, "compression \"lz4\" is not supported yet"},
      {[](Config& c) { c.timeout = Duration(-1); }, "timeout must be non-negative"},
      {[](Config& c) { c.retry_on_failure.initial_interval = Duration(-1); },
       "retry_on_failure: 'initial_interval' must be non-negative"},
      {[](Config& c) { c.retry_on_failure.randomization_factor = 1.5; },
       "retry_on_failure: 'randomization_factor' must be within [0, 1]"},
      {[](Config& c) { c.retry_on_failure.multiplier = -1; },
       "retry_on_failure: 'multiplier' must be non-negative"},
      {[](Config& c) { c.retry_on_failure.max_interval = Duration(-1); },
       "retry_on_failure: 'max_interval' must be non-negative"},
      {[](Config& c) { c.retry_on_failure.max_elapsed_time = Duration(-1); },
       "retry_on_failure: 'max_elapsed_time' must be non-negative"},
      {[](Config& c) { c.retry_on_failure.max_elapsed_time = seconds(1); },
       "retry_on_failure: 'max_elapsed_time' must not be less than 'initial_interval'"},
      {[](Config& c) {
         c.retry_on_failure.initial_interval = seconds(1);
         c.retry_on_failure.max_elapsed_time = seconds(10);
       },
       "retry_on_failure: 'max_elapsed_time' must not be less than 'max_interval'"},
      {[](Config& c) { c.sending_queue.num_consumers = 0; },
       "sending_queue: `num_consumers` must be positive"},
      {[](Config& c) { c.sending_queue.queue_size = 0; },
       "sending_queue: `queue_size` must be positive"},
      {[](Config& c) { c.sending_queue.storage = "file storage"; },
       "sending_queue: storage: invalid character(s) in type \"file storage\""},
  };
  for (const Case& tc : cases) {
    Config c = WithEndpoint();
    tc.change(c);
    Status s = c.Validate();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << tc.message;
    EXPECT_EQ(s.message(), tc.message);
  }
}

TEST(OtlpHttpConfig, JsonAndEveryImplementedCompressionValidate) {
  for (const char* encoding : {"proto", "json"}) {
    for (const char* compression :
         {"", "none", "gzip", "zstd", "snappy", "x-snappy-framed", "zlib", "deflate"}) {
      Config c = WithEndpoint();
      c.encoding = encoding;
      c.compression = compression;
      EXPECT_TRUE(c.Validate().ok()) << encoding << " " << compression;
    }
  }
}

TEST(OtlpHttpConfig, ValidVariants) {
  std::vector<std::function<void(Config&)>> changes = {
      [](Config& c) { c.compression = "none"; },
      [](Config& c) { c.compression = ""; },
      [](Config& c) { c.timeout = Duration(0); },
      [](Config& c) {
        c.endpoint = "";
        c.metrics_endpoint = "http://127.0.0.1:4318/v1/metrics";
      },
      [](Config& c) { c.endpoint = "http://user:pw@[::1]:4318"; },
      [](Config& c) { c.retry_on_failure.max_elapsed_time = Duration(0); },  // forever
      [](Config& c) {
        c.retry_on_failure.enabled = false;
        c.retry_on_failure.multiplier = -1;  // not checked when disabled
      },
      [](Config& c) {
        c.sending_queue.enabled = false;
        c.sending_queue.queue_size = 0;  // not checked when disabled
      },
      [](Config& c) { c.sending_queue.storage = "file_storage"; },
      [](Config& c) { c.sending_queue.storage = "file_storage/queue"; },
  };
  for (size_t i = 0; i < changes.size(); ++i) {
    Config c = WithEndpoint();
    changes[i](c);
    EXPECT_TRUE(c.Validate().ok()) << i << ": " << c.Validate().message();
  }
}

TEST(OtlpHttpConfig, SignalUrlComposition) {
  struct Case {
    std::string endpoint;
    std::string metrics_endpoint;
    Signal signal;
    std::string want;
  };
  std::vector<Case> cases = {
      {"https://e.live.dynatrace.com/api/v2/otlp", "", Signal::kMetrics,
       "https://e.live.dynatrace.com/api/v2/otlp/v1/metrics"},
      {"https://e.live.dynatrace.com/api/v2/otlp/", "", Signal::kMetrics,
       "https://e.live.dynatrace.com/api/v2/otlp/v1/metrics"},
      {"http://localhost:4318", "", Signal::kTraces, "http://localhost:4318/v1/traces"},
      {"http://localhost:4318/", "", Signal::kLogs, "http://localhost:4318/v1/logs"},
      // A full signal URL given as endpoint doubles the path, as upstream does.
      {"https://e/api/v2/otlp/v1/metrics", "", Signal::kMetrics,
       "https://e/api/v2/otlp/v1/metrics/v1/metrics"},
      // The signal's own endpoint is used verbatim, with no suffix.
      {"http://base", "http://m.example.com/custom", Signal::kMetrics,
       "http://m.example.com/custom"},
      {"http://base", "http://m.example.com/custom", Signal::kTraces, "http://base/v1/traces"},
      {"", "http://m.example.com/custom", Signal::kLogs, ""},
  };
  for (const Case& tc : cases) {
    Config c;
    c.endpoint = tc.endpoint;
    c.metrics_endpoint = tc.metrics_endpoint;
    EXPECT_EQ(SignalUrl(c, tc.signal), tc.want)
        << tc.endpoint << " + " << component::SignalName(tc.signal);
  }
  Config c;
  c.traces_endpoint = "http://t/x/";
  c.logs_endpoint = "http://l";
  EXPECT_EQ(SignalUrl(c, Signal::kTraces), "http://t/x/");
  EXPECT_EQ(SignalUrl(c, Signal::kLogs), "http://l");
}

}  // namespace
}  // namespace astrolabe::exporter::otlp_http
