#include "discovery/kubernetes/config.h"

#include <algorithm>
#include <set>

namespace astrolabe::discovery::kubernetes {

void NamespaceDiscovery::Visit(config::Visitor& v) {
  v.Field("own_namespace", own_namespace);
  v.Field("names", names);
}

void Selector::Visit(config::Visitor& v) {
  v.Field("role", role);
  v.Field("label", label);
  v.Field("field", field);
}

void AttachMetadata::Visit(config::Visitor& v) {
  v.Field("node", node);
  v.Field("namespace", namespace_);
}

void AnnotationConfig::Visit(config::Visitor& v) {
  v.Field("domain", domain);
  if (v.decoding() && (domain.empty() || domain.find('/') != std::string::npos)) {
    v.Error("domain",
            "annotation domain must be a non-empty DNS prefix without '/', got \"" + domain + "\"");
  }
}

namespace {
const char* const kRoles[] = {"pod",           "service", "endpoints",
                              "endpointslice", "node",    "annotations"};
}

std::vector<std::string> AllowedSelectorRoles(const std::string& role) {
  if (role == "endpoints") return {"pod", "service", "endpoints"};
  if (role == "endpointslice") return {"pod", "service", "endpointslice"};
  if (role == "annotations") return {"pod", "service", "endpointslice"};
  return {role};
}

void SdConfig::Visit(config::Visitor& v) {
  v.Field("role", role);
  v.Field("api_server", api_server);
  v.Field("kubeconfig_file", kubeconfig_file);
  v.Object("namespaces", namespaces);
  v.List("selectors", selectors);
  v.Object("attach_metadata", attach_metadata);
  v.Object("tls_config", tls_config);
  v.Object("authorization", authorization);
  v.Field("bearer_token", bearer_token, {.secret = true});
  v.Field("bearer_token_file", bearer_token_file);
  v.Field("proxy_url", proxy_url);
  v.Field("follow_redirects", follow_redirects);
  v.Field("enable_http2", enable_http2);
  v.Object("annotations", annotations);
  if (!v.decoding()) return;
  if (role.empty()) {
    v.Error("role",
            "role missing (one of: pod, service, endpoints, endpointslice, node, "
            "annotations)");
    return;
  }
  if (std::find(std::begin(kRoles), std::end(kRoles), role) == std::end(kRoles)) {
    v.Error("role", "unknown Kubernetes SD role \"" + role + "\"");
    return;
  }
  std::set<std::string> seen;
  auto allowed = AllowedSelectorRoles(role);
  for (const Selector& s : selectors) {
    if (std::find(allowed.begin(), allowed.end(), s.role) == allowed.end()) {
      v.Error(
          "selectors", "selector role \"" + s.role + "\" is not allowed for role \"" + role +
                           "\" (allowed: " +
                           [&] {
                             std::string out;
                             for (const auto& a : allowed) out += (out.empty() ? "" : ", ") + a;
                             return out;
                           }() +
                           ")");
      return;
    }
    if (!seen.insert(s.role).second) {
      v.Error("selectors", "duplicated selector role: " + s.role);
      return;
    }
  }
}

Status SdConfig::Validate() const {
  if (!api_server.empty() && !kubeconfig_file.empty()) {
    return InvalidArgument("cannot use 'kubeconfig_file' and 'api_server' simultaneously");
  }
  int auths = !bearer_token.empty() + !bearer_token_file.empty() +
              (!authorization.credentials.empty() || !authorization.credentials_file.empty());
  if (auths > 1) {
    return InvalidArgument(
        "at most one of bearer_token, bearer_token_file and authorization must be configured");
  }
  if (!kubeconfig_file.empty() && auths > 0) {
    return InvalidArgument("cannot use a bearer token or authorization with 'kubeconfig_file'");
  }
  return Status::Ok();
}

}  // namespace astrolabe::discovery::kubernetes
