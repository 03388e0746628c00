#pragma once
// The Kubernetes API client behind discovery: where the API server is and how to talk to it
// (ApiConfig), and the two calls discovery makes (ApiClient): a GET (list) and a streamed GET
// (watch, one JSON event per line).
//
// Where the configuration comes from (ResolveApiConfig):
//   - `api_server` set: that URL, with the scrape config's TLS and bearer token settings;
//   - `kubeconfig_file` set: that file's current context (cluster server, certificate-authority
//     file or -data, insecure-skip-tls-verify; user token or tokenFile, client-certificate and
//     client-key files or -data, username/password); *-data values are written to private
//     temporary files that live as long as the ApiConfig;
//   - neither: in-cluster — KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT, the service
//     account's token (re-read before every request, so a rotated token is picked up), its
//     ca.crt and its namespace file.
// TLS is verified against the CA unless insecure_skip_verify says otherwise.
//
// Threads: ApiClient's calls may be made from any thread, concurrently; Shutdown() cancels
// every request in flight (their calls return kCancelled).

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "discovery/kubernetes/config.h"

namespace astrolabe::net {
class HttpClient;
}

namespace astrolabe::discovery::kubernetes {

inline constexpr const char* kServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

struct ApiConfig {
  std::string server;      // "https://10.0.0.1:443", no trailing '/'
  std::string token;       // bearer token, or empty
  std::string token_file;  // re-read per request when set (wins over `token`)
  std::string auth_type = "Bearer";
  std::string username, password;  // basic auth (kubeconfig)
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool insecure_skip_verify = false;
  std::string proxy_url;
  // The namespace of the kubeconfig context or of the service account ("" when unknown):
  // what namespaces.own_namespace means.
  std::string default_namespace;
  // Temporary files holding kubeconfig *-data values; removed when the last copy goes.
  std::shared_ptr<const std::vector<std::string>> temp_files;
};

// In-cluster configuration. `sa_dir`: the service account directory (token, ca.crt,
// namespace). Errors name what is missing: "KUBERNETES_SERVICE_HOST and
// KUBERNETES_SERVICE_PORT must be set (not running in a cluster? set api_server or
// kubeconfig_file)".
Result<ApiConfig> InClusterConfig(std::string_view sa_dir = kServiceAccountDir);

// The current context of the kubeconfig at `path` (`context` non-empty: that one instead).
// Errors name the file and what is wrong: "kubeconfig /root/.kube/config: context \"x\" not
// found".
Result<ApiConfig> KubeconfigConfig(const std::string& path, const std::string& context = "");

// The configuration a kubernetes_sd_configs entry asks for (see above).
Result<ApiConfig> ResolveApiConfig(const SdConfig& config,
                                   std::string_view sa_dir = kServiceAccountDir);

struct ApiResponse {
  int status = 0;
  std::string body;
};

class ApiClient {
 public:
  explicit ApiClient(ApiConfig config);
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  // GET server + `path_and_query` (e.g. "/api/v1/pods?limit=500"). Any HTTP status comes
  // back as a response; transport errors, timeouts and a token file that cannot be read are
  // errors.
  Result<ApiResponse> Get(const std::string& path_and_query, std::chrono::milliseconds timeout);

  // A streamed GET: calls on_line for each complete line of the body (a watch event) as it
  // arrives, on the client's thread; on_line returning false ends the stream (the call then
  // returns kCancelled). Returns the HTTP status once the server ends the stream; a
  // non-200 status's body is returned in `body` (up to 64 KiB). `timeout` bounds the whole
  // stream.
  Result<ApiResponse> Stream(const std::string& path_and_query, std::chrono::milliseconds timeout,
                             const std::function<bool(std::string_view line)>& on_line);

  // Cancels requests in flight; later calls fail with kCancelled. Idempotent.
  void Shutdown();

  const ApiConfig& config() const { return config_; }

 private:
  Result<std::string> AuthorizationHeader() const;

  ApiConfig config_;
  std::unique_ptr<net::HttpClient> http_;
};

// Standard base64 (with or without padding) → bytes; nullopt on bad input.
std::optional<std::string> DecodeBase64(std::string_view in);

}  // namespace astrolabe::discovery::kubernetes
