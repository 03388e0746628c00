#include "net/http_client.h"

#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <curl/curl.h>

#ifndef ASTROLABE_VERSION
#define ASTROLABE_VERSION "0.0.0"
#endif

namespace astrolabe::net {
namespace {

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// One request in flight. Owned by the client thread from the moment it is dequeued.
struct Transfer {
  HttpRequest request;
  HttpClient::Callback done;
  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  HttpResponse response;
  size_t max_bytes = 0;
  bool too_large = false;
  char error[CURL_ERROR_SIZE] = {};

  ~Transfer() {
    if (header_list != nullptr) curl_slist_free_all(header_list);
    if (easy != nullptr) curl_easy_cleanup(easy);
  }

  std::string Context() const { return request.method + " " + request.url; }
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  if (t->response.body.size() + n > t->max_bytes) {
    t->too_large = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  t->response.body.append(data, n);
  return n;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    // A new status line: an interim (100) or redirected response came before; keep only
    // the final response's fields.
    t->response.headers.Clear();
    return n;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return n;
  std::string_view name = line.substr(0, colon);
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  t->response.headers.Add(std::string(name), std::string(value));
  return n;
}

Status ErrorFor(const Transfer& t, CURLcode code) {
  std::string message = t.Context() + ": ";
  if (t.too_large) {
    return ResourceExhausted(message + "response body exceeds " + std::to_string(t.max_bytes) +
                             " bytes");
  }
  std::string detail = t.error[0] != '\0' ? std::string(t.error) : "";
  std::string reason = curl_easy_strerror(code);
  if (!detail.empty() && detail != reason) {
    message += detail + ": " + reason;
  } else {
    message += reason;
  }
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return DeadlineExceeded(std::move(message));
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_BAD_FUNCTION_ARGUMENT:
      return InvalidArgument(std::move(message));
    default:
      return Unavailable(std::move(message));
  }
}

}  // namespace

std::string DefaultUserAgent() { return std::string("Astrolabe/") + ASTROLABE_VERSION; }

class HttpClient::Impl {
 public:
  explicit Impl(HttpClientOptions options) : options_(std::move(options)) {
    GlobalInitOnce();
    if (options_.user_agent.empty()) options_.user_agent = DefaultUserAgent();
    multi_ = curl_multi_init();
    thread_ = std::thread([this] { Loop(); });
  }

  ~Impl() { Shutdown(); }

  void Send(HttpRequest request, Callback done) {
    auto t = std::make_unique<Transfer>();
    t->request = std::move(request);
    t->done = std::move(done);
    {
      std::lock_guard lock(mu_);
      if (!shutdown_) {
        queue_.push_back(std::move(t));
        curl_multi_wakeup(multi_);
        return;
      }
    }
    t->done(Cancelled(t->Context() + ": http client is shut down"));
  }

  void Shutdown() {
    {
      std::lock_guard lock(mu_);
      shutdown_ = true;
      if (multi_ != nullptr) curl_multi_wakeup(multi_);
    }
    // REQUIRES (header): not on the client's thread, which could not join itself.
    std::lock_guard join_lock(join_mu_);
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
    if (thread_.joinable()) return;
    if (multi_ != nullptr) {
      curl_multi_cleanup(multi_);
      multi_ = nullptr;
    }
  }

 private:
  // Runs on the client's thread.
  void Loop() {
    for (;;) {
      std::deque<std::unique_ptr<Transfer>> incoming;
      bool stop;
      {
        std::lock_guard lock(mu_);
        incoming.swap(queue_);
        stop = shutdown_;
      }
      if (stop) {
        for (auto& t : incoming) t->done(Cancelled(t->Context() + ": http client is shut down"));
        for (auto& [easy, t] : running_) {
          curl_multi_remove_handle(multi_, easy);
          t->done(Cancelled(t->Context() + ": http client is shut down"));
        }
        running_.clear();
        return;
      }
      for (auto& t : incoming) Begin(std::move(t));
      int still_running = 0;
      curl_multi_perform(multi_, &still_running);
      int left = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
        if (msg->msg != CURLMSG_DONE) continue;
        Finish(msg->easy_handle, msg->data.result);
      }
      curl_multi_poll(multi_, nullptr, 0, 1000, nullptr);
    }
  }

  void Begin(std::unique_ptr<Transfer> t) {
    Status status = Configure(*t);
    if (!status.ok()) {
      t->done(status);
      return;
    }
    CURLMcode mc = curl_multi_add_handle(multi_, t->easy);
    if (mc != CURLM_OK) {
      t->done(Internal(t->Context() + ": " + curl_multi_strerror(mc)));
      return;
    }
    CURL* easy = t->easy;
    running_.emplace(easy, std::move(t));
  }

  void Finish(CURL* easy, CURLcode code) {
    auto it = running_.find(easy);
    if (it == running_.end()) return;
    std::unique_ptr<Transfer> t = std::move(it->second);
    running_.erase(it);
    curl_multi_remove_handle(multi_, easy);
    if (code != CURLE_OK) {
      t->done(ErrorFor(*t, code));
      return;
    }
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    t->response.status = static_cast<int>(status);
    t->done(std::move(t->response));
  }

  Status Configure(Transfer& t) {
    const HttpRequest& r = t.request;
    t.easy = curl_easy_init();
    if (t.easy == nullptr) return Internal(t.Context() + ": curl_easy_init failed");
    CURL* e = t.easy;
    t.max_bytes = r.max_response_bytes != 0 ? r.max_response_bytes : options_.max_response_bytes;
    auto timeout = r.timeout.count() != 0 ? r.timeout : options_.timeout;

    curl_easy_setopt(e, CURLOPT_URL, r.url.c_str());
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.error);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(e, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &OnBody);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &OnHeader);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
    if (options_.decompress_responses) {
      curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "gzip, deflate");
    }
    if (options_.follow_redirects) {
      curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
      curl_easy_setopt(e, CURLOPT_MAXREDIRS, 10L);
      curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    }
    if (!options_.proxy_url.empty()) curl_easy_setopt(e, CURLOPT_PROXY, options_.proxy_url.c_str());

    const HttpClientTlsOptions& tls = options_.tls;
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, tls.insecure_skip_verify ? 0L : 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, tls.insecure_skip_verify ? 0L : 2L);
    if (!tls.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, tls.ca_file.c_str());
    if (!tls.cert_file.empty()) curl_easy_setopt(e, CURLOPT_SSLCERT, tls.cert_file.c_str());
    if (!tls.key_file.empty()) curl_easy_setopt(e, CURLOPT_SSLKEY, tls.key_file.c_str());

    if (r.method == "GET") {
      curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else if (r.method == "HEAD") {
      curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else {
      if (r.method != "POST") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r.method.c_str());
      if (r.method == "POST" || !r.body.empty()) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, r.body.data());
      }
    }
    // "Expect: 100-continue" costs a round trip on every large POST; exporters do not want it.
    t.header_list = curl_slist_append(t.header_list, "Expect:");
    for (const auto& [name, value] : r.headers.fields()) {
      if (name.find_first_of("\r\n:") != std::string::npos ||
          value.find_first_of("\r\n") != std::string::npos) {
        return InvalidArgument(t.Context() + ": header \"" + name + "\" has a forbidden character");
      }
      // "Name;" is curl's spelling of a header with an empty value.
      std::string line = value.empty() ? name + ";" : name + ": " + value;
      t.header_list = curl_slist_append(t.header_list, line.c_str());
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.header_list);
    curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
    return Status::Ok();
  }

  HttpClientOptions options_;
  CURLM* multi_ = nullptr;
  std::mutex mu_;
  std::deque<std::unique_ptr<Transfer>> queue_;  // GUARDED_BY(mu_)
  bool shutdown_ = false;                        // GUARDED_BY(mu_)
  // Owned by the client thread.
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> running_;
  std::mutex join_mu_;  // serialises concurrent Shutdown() calls around join
  std::thread thread_;
};

HttpClient::HttpClient(HttpClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpClient::~HttpClient() { impl_->Shutdown(); }

std::future<Result<HttpResponse>> HttpClient::Send(HttpRequest request) {
  auto promise = std::make_shared<std::promise<Result<HttpResponse>>>();
  auto future = promise->get_future();
  impl_->Send(std::move(request),
              [promise](Result<HttpResponse> result) { promise->set_value(std::move(result)); });
  return future;
}

void HttpClient::Send(HttpRequest request, Callback done) {
  impl_->Send(std::move(request), std::move(done));
}

void HttpClient::Shutdown() { impl_->Shutdown(); }

}  // namespace astrolabe::net
