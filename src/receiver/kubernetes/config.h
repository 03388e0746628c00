#pragma once
// Config of the `kubernetes` receiver: scrapes every pod and service annotated
// `<domain>/scrape: "true"` (discovery/kubernetes/targets.h), with no relabel rules — the
// documents' "annotate the NIM and Kong deployments and the platform scrapes them" path:
//
//   receivers:
//     kubernetes:
//       annotations:
//         domain: metrics.astromkey.com   # also metrics.dynatrace.com, prometheus.io, ...
//         namespaces: []                  # empty: every namespace
//         own_namespace: false            # add the server's own namespace
//       scrape_interval: 10s
//       scrape_timeout: 0s                # 0: min(10s, scrape_interval)
//       api_server: ""                    # empty: in-cluster (service account), unless
//       kubeconfig_file: ""               #   a kubeconfig is given
//       tls_config: {ca_file, cert_file, key_file, insecure_skip_verify}   # for the API
//       bearer_token_file: ""
//
// It is the prometheus receiver with one scrape config (job `kubernetes`, its
// kubernetes_sd_configs the `annotations` role); ToPrometheus() builds that config.
//
// Value type; immutable once validated.

#include <string>
#include <vector>

#include "common/clock.h"
#include "component/factory.h"
#include "discovery/kubernetes/config.h"
#include "receiver/prometheus/config.h"

namespace astrolabe::receiver::kubernetes {

struct AnnotationsConfig {
  std::string domain = discovery::kubernetes::kDefaultAnnotationDomain;
  std::vector<std::string> namespaces;
  bool own_namespace = false;
  void Visit(config::Visitor& v);
};

struct Config : component::ComponentConfig {
  AnnotationsConfig annotations;
  Duration scrape_interval = std::chrono::seconds(10);
  Duration scrape_timeout{0};
  std::string api_server;
  std::string kubeconfig_file;
  discovery::kubernetes::ApiTlsConfig tls_config;
  std::string bearer_token_file;

  void Visit(config::Visitor& v) override;
  // "scrape_timeout (20s) must not be greater than scrape_interval (10s)", the discovery
  // rules (api_server and kubeconfig_file are exclusive).
  Status Validate() const override;

  // The prometheus receiver config this receiver runs.
  prometheus::Config ToPrometheus() const;
};

}  // namespace astrolabe::receiver::kubernetes
