#pragma once
// The HTTP client blocks of Prometheus' configuration (prometheus/common config.HTTPClientConfig):
// `basic_auth`, `authorization` and `tls_config`, with upstream's keys. Shared by the
// prometheus receiver's scrape_configs and kubernetes_sd_configs' API client.

#include <string>

#include "config/visitor.h"

namespace astrolabe::config {

struct PromBasicAuth {
  std::string username;
  std::string username_file;
  std::string password;  // secret
  std::string password_file;
  void Visit(Visitor& v) {
    v.Field("username", username);
    v.Field("username_file", username_file);
    v.Field("password", password, {.secret = true});
    v.Field("password_file", password_file);
  }
  bool set() const { return !username.empty() || !username_file.empty(); }
};

struct PromAuthorization {
  std::string type;         // empty means "Bearer"
  std::string credentials;  // secret
  std::string credentials_file;
  void Visit(Visitor& v) {
    v.Field("type", type);
    v.Field("credentials", credentials, {.secret = true});
    v.Field("credentials_file", credentials_file);
  }
  bool set() const { return !credentials.empty() || !credentials_file.empty(); }
};

struct PromTlsConfig {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string server_name;
  bool insecure_skip_verify = false;
  std::string min_version;
  std::string max_version;
  void Visit(Visitor& v) {
    v.Field("ca_file", ca_file);
    v.Field("cert_file", cert_file);
    v.Field("key_file", key_file);
    v.Field("server_name", server_name);
    v.Field("insecure_skip_verify", insecure_skip_verify);
    v.Field("min_version", min_version);
    v.Field("max_version", max_version);
  }
};

}  // namespace astrolabe::config
