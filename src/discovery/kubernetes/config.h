#pragma once
// kubernetes_sd_configs: one entry of a scrape config's Kubernetes discovery, with
// Prometheus' keys (prometheus discovery/kubernetes SDConfig), plus the `annotations` role
// (Astrolabe's: targets from `<domain>/scrape` annotations, no relabel rules needed):
//
//   kubernetes_sd_configs:
//     - role: pod                 # pod, service, endpoints, endpointslice, node, annotations
//       api_server: ""            # empty: in-cluster, unless kubeconfig_file is set
//       kubeconfig_file: ""
//       namespaces: {own_namespace: false, names: [ai, kong]}   # none: all namespaces
//       selectors: [{role: pod, label: "app=nim", field: "spec.nodeName=n1"}]
//       tls_config: {ca_file, cert_file, key_file, insecure_skip_verify}
//       bearer_token / bearer_token_file / authorization: {type, credentials, credentials_file}
//       annotations: {domain: metrics.astromkey.com}            # role annotations only
//
// Value type; immutable once decoded.

#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "config/prometheus_http.h"
#include "config/visitor.h"

namespace astrolabe::discovery::kubernetes {

inline constexpr const char* kDefaultAnnotationDomain = "metrics.astromkey.com";

struct NamespaceDiscovery {
  bool own_namespace = false;
  std::vector<std::string> names;
  void Visit(config::Visitor& v);
};

struct Selector {
  std::string role;
  std::string label;  // a label selector, as kubectl -l takes it
  std::string field;  // a field selector
  void Visit(config::Visitor& v);
};

// The API client's tls_config and authorization blocks: Prometheus' keys
// (config/prometheus_http.h). server_name, min_version and max_version are accepted, not applied.
using ApiTlsConfig = config::PromTlsConfig;
using ApiAuthorization = config::PromAuthorization;

struct AttachMetadata {
  bool node = false;  // accepted; node labels on pod targets are not attached yet
  bool namespace_ = false;
  void Visit(config::Visitor& v);
};

struct AnnotationConfig {
  std::string domain = kDefaultAnnotationDomain;
  void Visit(config::Visitor& v);
};

struct SdConfig {
  std::string role;
  std::string api_server;
  std::string kubeconfig_file;
  NamespaceDiscovery namespaces;
  std::vector<Selector> selectors;
  AttachMetadata attach_metadata;
  ApiTlsConfig tls_config;
  ApiAuthorization authorization;
  std::string bearer_token;  // secret
  std::string bearer_token_file;
  std::string proxy_url;
  bool follow_redirects = true;
  bool enable_http2 = true;
  AnnotationConfig annotations;

  // Reports a missing or unknown role and a selector role the role does not allow at their
  // positions, with Prometheus' messages.
  void Visit(config::Visitor& v);
  // Cross-field rules: "cannot use 'kubeconfig_file' and 'api_server' simultaneously", at
  // most one of bearer_token, bearer_token_file and authorization.
  Status Validate() const;
};

// The selector roles `role` accepts (Prometheus: endpoints and endpointslice also select
// the pods and services they join).
std::vector<std::string> AllowedSelectorRoles(const std::string& role);

}  // namespace astrolabe::discovery::kubernetes
