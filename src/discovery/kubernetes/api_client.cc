#include "discovery/kubernetes/api_client.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/base64.h"
#include "common/strings.h"
#include "config/diagnostics.h"
#include "config/parse.h"
#include "net/http_client.h"
#include "net/http_url.h"

namespace astrolabe::discovery::kubernetes {
namespace {

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("reading " + path + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Removes the files when the last ApiConfig copy referring to them goes.
std::shared_ptr<const std::vector<std::string>> OwnFiles(std::vector<std::string> files) {
  return std::shared_ptr<const std::vector<std::string>>(
      new std::vector<std::string>(std::move(files)), [](const std::vector<std::string>* f) {
        for (const auto& path : *f) ::unlink(path.c_str());
        delete f;
      });
}

// Writes `data` to a new private (0600) temporary file and returns its path.
Result<std::string> WriteTemp(std::string_view data, std::string_view what) {
  const char* dir = std::getenv("TMPDIR");
  std::string tmpl = std::string(dir && *dir ? dir : "/tmp") + "/astrolabe-kube-XXXXXX";
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) return Internal("writing " + std::string(what) + ": " + std::strerror(errno));
  ::fchmod(fd, 0600);
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n <= 0) {
      ::close(fd);
      ::unlink(tmpl.c_str());
      return Internal("writing " + std::string(what) + ": " + std::strerror(errno));
    }
    off += static_cast<size_t>(n);
  }
  ::close(fd);
  return tmpl;
}

const config::Node* FindPath(const config::Node* n, std::initializer_list<std::string_view> keys) {
  for (std::string_view k : keys) {
    if (n == nullptr || !n->IsMap()) return nullptr;
    n = n->Find(k);
  }
  return n;
}

std::string ScalarAt(const config::Node* n, std::string_view key) {
  const config::Node* v = FindPath(n, {key});
  return v != nullptr && v->IsScalar() ? v->scalar() : std::string();
}

// The `name`d entry of a kubeconfig list (clusters, contexts, users): its inner map.
const config::Node* Named(const config::Node& root, std::string_view list, std::string_view inner,
                          const std::string& name) {
  const config::Node* items = root.Find(list);
  if (items == nullptr || !items->IsSequence()) return nullptr;
  for (const config::Node& item : items->items()) {
    if (ScalarAt(&item, "name") == name) return FindPath(&item, {inner});
  }
  return nullptr;
}

std::string Relative(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  return (std::filesystem::path(base_dir) / path).string();
}

}  // namespace

std::optional<std::string> DecodeBase64(std::string_view in) {
  std::string out;
  if (!Base64Decode(in, &out, {.whitespace = true})) return std::nullopt;
  return out;
}

Result<ApiConfig> InClusterConfig(std::string_view sa_dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || port == nullptr || *host == '\0' || *port == '\0') {
    return FailedPrecondition(
        "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set (not running in a "
        "cluster? set api_server or kubeconfig_file)");
  }
  ApiConfig c;
  std::string h = host;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";  // IPv6
  c.server = "https://" + h + ":" + port;
  std::string dir(sa_dir);
  c.token_file = dir + "/token";
  if (::access(c.token_file.c_str(), R_OK) != 0) {
    return FailedPrecondition("in-cluster: service account token " + c.token_file +
                              " cannot be read: " + std::strerror(errno));
  }
  c.ca_file = dir + "/ca.crt";
  if (auto ns = ReadWholeFile(dir + "/namespace"); ns.ok()) {
    c.default_namespace = std::string(TrimSpace(*ns));
  }
  return c;
}

Result<ApiConfig> KubeconfigConfig(const std::string& path, const std::string& context) {
  auto text = ReadWholeFile(path);
  if (!text.ok()) return text.status().Annotate("kubeconfig");
  config::Diagnostics diag;
  config::ParseOptions po;
  po.file = std::make_shared<const std::string>(path);
  auto root = config::ParseYaml(*text, po, diag);
  if (!root) return diag.ToStatus().Annotate("kubeconfig");
  auto fail = [&](const std::string& what) {
    return InvalidArgument("kubeconfig " + path + ": " + what);
  };
  if (!root->IsMap()) return fail("expected a map");
  std::string ctx_name = context.empty() ? ScalarAt(&*root, "current-context") : context;
  if (ctx_name.empty()) return fail("no current-context");
  const config::Node* ctx = Named(*root, "contexts", "context", ctx_name);
  if (ctx == nullptr) return fail("context \"" + ctx_name + "\" not found");
  std::string cluster_name = ScalarAt(ctx, "cluster");
  const config::Node* cluster = Named(*root, "clusters", "cluster", cluster_name);
  if (cluster == nullptr) return fail("cluster \"" + cluster_name + "\" not found");
  std::string user_name = ScalarAt(ctx, "user");
  const config::Node* user = user_name.empty() ? nullptr : Named(*root, "users", "user", user_name);
  if (!user_name.empty() && user == nullptr) return fail("user \"" + user_name + "\" not found");

  const std::string base = std::filesystem::path(path).parent_path().string();
  ApiConfig c;
  c.server = ScalarAt(cluster, "server");
  while (!c.server.empty() && c.server.back() == '/') c.server.pop_back();
  if (c.server.empty()) return fail("cluster \"" + cluster_name + "\" has no server");
  c.default_namespace = ScalarAt(ctx, "namespace");
  if (c.default_namespace.empty()) c.default_namespace = "default";
  c.insecure_skip_verify = ScalarAt(cluster, "insecure-skip-tls-verify") == "true";
  c.proxy_url = ScalarAt(cluster, "proxy-url");
  std::vector<std::string> temps;
  auto file_or_data = [&](const config::Node* n, std::string_view file_key,
                          std::string_view data_key, std::string* out) -> Status {
    if (std::string data = ScalarAt(n, data_key); !data.empty()) {
      auto bytes = DecodeBase64(data);
      if (!bytes) return fail(std::string(data_key) + ": not valid base64");
      auto tmp = WriteTemp(*bytes, data_key);
      if (!tmp.ok()) return tmp.status();
      temps.push_back(*tmp);
      *out = *tmp;
    } else {
      *out = Relative(base, ScalarAt(n, file_key));
    }
    return Status::Ok();
  };
  Status st =
      file_or_data(cluster, "certificate-authority", "certificate-authority-data", &c.ca_file);
  if (st.ok() && user != nullptr) {
    st = file_or_data(user, "client-certificate", "client-certificate-data", &c.cert_file);
    if (st.ok()) st = file_or_data(user, "client-key", "client-key-data", &c.key_file);
    c.token = ScalarAt(user, "token");
    c.token_file = Relative(base, ScalarAt(user, "tokenFile"));
    c.username = ScalarAt(user, "username");
    c.password = ScalarAt(user, "password");
    if (FindPath(user, {"exec"}) != nullptr || FindPath(user, {"auth-provider"}) != nullptr) {
      if (c.token.empty() && c.token_file.empty() && c.cert_file.empty()) {
        st = fail("user \"" + user_name +
                  "\": exec and auth-provider credentials are not supported (use a token, "
                  "tokenFile or a client certificate)");
      }
    }
  }
  c.temp_files = OwnFiles(std::move(temps));
  if (!st.ok()) return st;
  return c;
}

Result<ApiConfig> ResolveApiConfig(const SdConfig& sd, std::string_view sa_dir) {
  if (!sd.kubeconfig_file.empty()) return KubeconfigConfig(sd.kubeconfig_file);
  ApiConfig c;
  if (sd.api_server.empty()) {
    ASSIGN_OR_RETURN(c, InClusterConfig(sa_dir));
  } else {
    c.server = sd.api_server;
    while (!c.server.empty() && c.server.back() == '/') c.server.pop_back();
    if (!StartsWith(c.server, "http://") && !StartsWith(c.server, "https://")) {
      return InvalidArgument("api_server \"" + sd.api_server +
                             "\": expected a URL starting with http:// or https://");
    }
    if (auto ns = ReadWholeFile(std::string(sa_dir) + "/namespace"); ns.ok()) {
      c.default_namespace = std::string(TrimSpace(*ns));
    }
  }
  if (!sd.tls_config.ca_file.empty()) c.ca_file = sd.tls_config.ca_file;
  if (!sd.tls_config.cert_file.empty()) c.cert_file = sd.tls_config.cert_file;
  if (!sd.tls_config.key_file.empty()) c.key_file = sd.tls_config.key_file;
  if (sd.tls_config.insecure_skip_verify) c.insecure_skip_verify = true;
  if (!sd.bearer_token.empty()) {
    c.token = sd.bearer_token;
    c.token_file.clear();
  }
  if (!sd.bearer_token_file.empty()) c.token_file = sd.bearer_token_file;
  if (!sd.authorization.credentials.empty() || !sd.authorization.credentials_file.empty()) {
    c.token = sd.authorization.credentials;
    c.token_file = sd.authorization.credentials_file;
    if (!sd.authorization.type.empty()) c.auth_type = sd.authorization.type;
  }
  if (!sd.proxy_url.empty()) c.proxy_url = sd.proxy_url;
  return c;
}

ApiClient::ApiClient(ApiConfig config) : config_(std::move(config)) {
  net::HttpClientOptions opts;
  opts.follow_redirects = true;
  opts.decompress_responses = true;
  opts.proxy_url = config_.proxy_url;
  opts.max_response_bytes = 256 * 1024 * 1024;  // a list page of a big cluster
  opts.tls.ca_file = config_.ca_file;
  opts.tls.cert_file = config_.cert_file;
  opts.tls.key_file = config_.key_file;
  opts.tls.insecure_skip_verify = config_.insecure_skip_verify;
  http_ = std::make_unique<net::HttpClient>(opts);
}

ApiClient::~ApiClient() { Shutdown(); }

void ApiClient::Shutdown() { http_->Shutdown(); }

Result<std::string> ApiClient::AuthorizationHeader() const {
  if (!config_.token_file.empty()) {
    // Re-read every time: projected service account tokens rotate (about hourly).
    auto token = ReadWholeFile(config_.token_file);
    if (!token.ok()) return Unauthenticated("bearer token file: " + token.status().message());
    return config_.auth_type + " " + std::string(TrimSpace(*token));
  }
  if (!config_.token.empty()) return config_.auth_type + " " + config_.token;
  if (!config_.username.empty()) {
    return "Basic " + net::internal::Base64(config_.username + ":" + config_.password);
  }
  return std::string();
}

Result<ApiResponse> ApiClient::Get(const std::string& path_and_query,
                                   std::chrono::milliseconds timeout) {
  net::HttpRequest req;
  req.url = config_.server + path_and_query;
  req.timeout = timeout;
  req.headers.Add("Accept", "application/json");
  ASSIGN_OR_RETURN(std::string auth, AuthorizationHeader());
  if (!auth.empty()) req.headers.Add("Authorization", auth);
  auto res = http_->Send(std::move(req)).get();
  if (!res.ok()) return res.status();
  return ApiResponse{res->status, std::move(res->body)};
}

Result<ApiResponse> ApiClient::Stream(const std::string& path_and_query,
                                      std::chrono::milliseconds timeout,
                                      const std::function<bool(std::string_view)>& on_line) {
  net::HttpRequest req;
  req.url = config_.server + path_and_query;
  req.timeout = timeout;
  req.headers.Add("Accept", "application/json");
  ASSIGN_OR_RETURN(std::string auth, AuthorizationHeader());
  if (!auth.empty()) req.headers.Add("Authorization", auth);
  // State shared with the client's thread; the future below outlives every callback.
  struct State {
    int status = 0;
    std::string pending;  // an incomplete line
    std::string error_body;
  };
  auto state = std::make_shared<State>();
  req.on_head = [state](const net::HttpResponse& head) { state->status = head.status; };
  req.on_body = [state, &on_line](std::string_view piece) {
    if (state->status != 200) {
      if (state->error_body.size() < 64 * 1024) state->error_body.append(piece);
      return true;
    }
    state->pending.append(piece);
    size_t start = 0;
    for (size_t nl; (nl = state->pending.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string_view line(state->pending.data() + start, nl - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) continue;
      if (!on_line(line)) return false;
    }
    state->pending.erase(0, start);
    // A single event larger than this is not a watch event we can use.
    return state->pending.size() <= 64 * 1024 * 1024;
  };
  auto res = http_->Send(std::move(req)).get();
  if (!res.ok()) return res.status();
  if (state->status == 200 && !state->pending.empty()) {
    std::string_view line = TrimSpace(state->pending);
    if (!line.empty() && !on_line(line)) return Cancelled("stream ended by the reader");
  }
  return ApiResponse{res->status, std::move(state->error_body)};
}

}  // namespace astrolabe::discovery::kubernetes
