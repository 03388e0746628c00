#include "exporter/otlp_http/config.h"

#include <array>

namespace astrolabe::exporter::otlp_http {

namespace {

// Upstream's configcompression accepts these; lz4 is not implemented here.
constexpr std::array<std::string_view, 9> kKnownCompressions = {
    "", "none", "gzip", "zstd", "snappy", "zlib", "deflate", "lz4", "x-snappy-framed"};

bool KnownCompression(std::string_view c) {
  for (std::string_view k : kKnownCompressions) {
    if (c == k) return true;
  }
  return false;
}

}  // namespace

void TlsConfig::Visit(config::Visitor& v) {
  v.Field("ca_file", ca_file);
  v.Field("insecure_skip_verify", insecure_skip_verify);
  v.Field("cert_file", cert_file);
  v.Field("key_file", key_file);
}

void RetryConfig::Visit(config::Visitor& v) {
  v.Field("enabled", enabled);
  v.Field("initial_interval", initial_interval);
  v.Field("max_interval", max_interval);
  v.Field("max_elapsed_time", max_elapsed_time);
  v.Field("multiplier", multiplier);
  v.Field("randomization_factor", randomization_factor);
}

Status RetryConfig::Validate() const {
  if (!enabled) return Status::Ok();
  if (initial_interval.count() < 0) {
    return InvalidArgument("'initial_interval' must be non-negative");
  }
  if (randomization_factor < 0 || randomization_factor > 1) {
    return InvalidArgument("'randomization_factor' must be within [0, 1]");
  }
  if (multiplier < 0) return InvalidArgument("'multiplier' must be non-negative");
  if (max_interval.count() < 0) return InvalidArgument("'max_interval' must be non-negative");
  if (max_elapsed_time.count() < 0) {
    return InvalidArgument("'max_elapsed_time' must be non-negative");
  }
  if (max_elapsed_time.count() > 0) {
    if (max_elapsed_time < initial_interval) {
      return InvalidArgument("'max_elapsed_time' must not be less than 'initial_interval'");
    }
    if (max_elapsed_time < max_interval) {
      return InvalidArgument("'max_elapsed_time' must not be less than 'max_interval'");
    }
  }
  return Status::Ok();
}

void QueueConfig::Visit(config::Visitor& v) {
  v.Field("enabled", enabled);
  v.Field("num_consumers", num_consumers);
  v.Field("queue_size", queue_size);
  v.Field("block_on_overflow", block_on_overflow);
  v.Field("storage", storage);
}

Status QueueConfig::Validate() const {
  if (!enabled) return Status::Ok();
  if (num_consumers <= 0) return InvalidArgument("`num_consumers` must be positive");
  if (queue_size <= 0) return InvalidArgument("`queue_size` must be positive");
  if (!storage.empty()) {
    if (Result<config::ComponentId> id = config::ComponentId::Parse(storage); !id.ok()) {
      return id.status().Annotate("storage");
    }
  }
  return Status::Ok();
}

void Config::Visit(config::Visitor& v) {
  v.Field("endpoint", endpoint);
  v.Field("metrics_endpoint", metrics_endpoint);
  v.Field("traces_endpoint", traces_endpoint);
  v.Field("logs_endpoint", logs_endpoint);
  v.Field("headers", headers, config::FieldOptions{.secret = true});
  v.Field("encoding", encoding);
  if (v.decoding() && encoding != "proto" && encoding != "json") {
    v.Error("encoding", "invalid encoding type: " + encoding);
  }
  v.Field("compression", compression);
  if (v.decoding() && !KnownCompression(compression)) {
    v.Error("compression", "unsupported compression type \"" + compression + "\"");
  }
  v.Field("timeout", timeout);
  v.Field("proxy_url", proxy_url);
  v.Object("tls", tls);
  v.Object("retry_on_failure", retry_on_failure);
  v.Object("sending_queue", sending_queue);
}

bool IsValidHttpUrl(std::string_view url) {
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else {
    return false;
  }
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  if (authority.empty() || authority.front() == ':') return false;
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

Status Config::Validate() const {
  if (endpoint.empty() && metrics_endpoint.empty() && traces_endpoint.empty() &&
      logs_endpoint.empty()) {
    return InvalidArgument("at least one endpoint must be specified");
  }
  for (const auto& [key, value] :
       {std::pair<std::string_view, const std::string&>{"endpoint", endpoint},
        {"metrics_endpoint", metrics_endpoint},
        {"traces_endpoint", traces_endpoint},
        {"logs_endpoint", logs_endpoint}}) {
    if (!value.empty() && !IsValidHttpUrl(value)) {
      return InvalidArgument(std::string(key) + " must be a valid URL");
    }
  }
  if (encoding != "proto" && encoding != "json") {
    return InvalidArgument("invalid encoding type: " + encoding);
  }
  if (!KnownCompression(compression)) {
    return InvalidArgument("unsupported compression type \"" + compression + "\"");
  }
  if (compression == "lz4") {
    return InvalidArgument("compression \"" + compression + "\" is not supported yet");
  }
  if (timeout.count() < 0) return InvalidArgument("timeout must be non-negative");
  if (Status s = retry_on_failure.Validate(); !s.ok()) return s.Annotate("retry_on_failure");
  if (Status s = sending_queue.Validate(); !s.ok()) return s.Annotate("sending_queue");
  return Status::Ok();
}

std::string SignalUrl(const Config& config, component::Signal signal) {
  const std::string* own = nullptr;
  switch (signal) {
    case component::Signal::kMetrics:
      own = &config.metrics_endpoint;
      break;
    case component::Signal::kTraces:
      own = &config.traces_endpoint;
      break;
    case component::Signal::kLogs:
      own = &config.logs_endpoint;
      break;
  }
  if (own != nullptr && !own->empty()) return *own;
  if (config.endpoint.empty()) return "";
  std::string url = config.endpoint;
  if (!url.ends_with('/')) url += '/';
  url += "v1/";
  url += component::SignalName(signal);
  return url;
}

}  // namespace astrolabe::exporter::otlp_http
