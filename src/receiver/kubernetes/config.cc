#include "receiver/kubernetes/config.h"

#include "common/strings.h"

namespace astrolabe::receiver::kubernetes {

void AnnotationsConfig::Visit(config::Visitor& v) {
  v.Field("domain", domain);
  v.Field("namespaces", namespaces);
  v.Field("own_namespace", own_namespace);
  if (v.decoding() && (domain.empty() || domain.find('/') != std::string::npos)) {
    v.Error("domain",
            "annotation domain must be a non-empty DNS prefix without '/', got \"" + domain + "\"");
  }
}

void Config::Visit(config::Visitor& v) {
  v.Object("annotations", annotations);
  v.Field("scrape_interval", scrape_interval);
  v.Field("scrape_timeout", scrape_timeout);
  v.Field("api_server", api_server);
  v.Field("kubeconfig_file", kubeconfig_file);
  v.Object("tls_config", tls_config);
  v.Field("bearer_token_file", bearer_token_file);
}

Status Config::Validate() const {
  if (scrape_interval.count() <= 0) return InvalidArgument("scrape_interval must be positive");
  if (scrape_timeout > scrape_interval) {
    return InvalidArgument("scrape_timeout (" + FormatDuration(scrape_timeout) +
                           ") must not be greater than scrape_interval (" +
                           FormatDuration(scrape_interval) + ")");
  }
  return ToPrometheus().prom.scrape_configs[0].kubernetes_sd_configs[0].Validate();
}

prometheus::Config Config::ToPrometheus() const {
  prometheus::Config out;
  out.prom.global.scrape_interval = scrape_interval;
  out.prom.global.scrape_timeout =
      scrape_timeout.count() > 0 ? scrape_timeout
                                 : std::min(scrape_interval, Duration(std::chrono::seconds(10)));
  prometheus::ScrapeConfig sc;
  sc.job_name = "kubernetes";
  sc.scrape_interval = scrape_interval;
  sc.scrape_timeout = out.prom.global.scrape_timeout;
  discovery::kubernetes::SdConfig sd;
  sd.role = "annotations";
  sd.api_server = api_server;
  sd.kubeconfig_file = kubeconfig_file;
  sd.tls_config = tls_config;
  sd.bearer_token_file = bearer_token_file;
  sd.namespaces.names = annotations.namespaces;
  sd.namespaces.own_namespace = annotations.own_namespace;
  sd.annotations.domain = annotations.domain;
  sc.kubernetes_sd_configs.push_back(std::move(sd));
  out.prom.scrape_configs.push_back(std::move(sc));
  return out;
}

}  // namespace astrolabe::receiver::kubernetes
