#include "discovery/kubernetes/informer.h"

#include <random>

#include "common/log.h"
#include "net/url_query.h"

namespace astrolabe::discovery::kubernetes {
namespace {

std::string Key(const ObjectMeta& m) { return m.namespace_ + "/" + m.name; }

// A uniformly drawn duration in [lo, hi].
std::chrono::milliseconds Draw(std::chrono::milliseconds lo, std::chrono::milliseconds hi) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  if (hi <= lo) return lo;
  std::uniform_int_distribution<int64_t> d(lo.count(), hi.count());
  return std::chrono::milliseconds(d(rng));
}

// The Status message of an error response body, or the body's start.
std::string ErrorText(const ApiResponse& r) {
  std::string body = r.body.substr(0, 300);
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  return "HTTP " + std::to_string(r.status) + (body.empty() ? "" : ": " + body);
}

}  // namespace

Informer::Informer(ApiClient* client, InformerOptions options, std::function<void()> on_change)
    : client_(client), options_(std::move(options)), on_change_(std::move(on_change)) {}

Informer::~Informer() { Stop(); }

void Informer::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Informer::RequestStop() {
  {
    std::lock_guard<std::mutex> lock(wait_mu_);
    stopping_ = true;
  }
  wait_cv_.notify_all();
}

void Informer::Stop() {
  RequestStop();
  if (thread_.joinable()) thread_.join();
}

std::map<std::string, std::shared_ptr<const Object>> Informer::Objects() const {
  std::lock_guard<std::mutex> lock(mu_);
  return objects_;
}

InformerStats Informer::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

std::string Informer::Describe() const {
  return std::string(ResourceName(options_.kind)) +
         (options_.namespace_.empty() ? "" : " in namespace " + options_.namespace_);
}

std::string Informer::ListPath(const std::string& continue_token) const {
  std::string path(ApiGroupPath(options_.kind));
  if (Namespaced(options_.kind) && !options_.namespace_.empty()) {
    path += "/namespaces/" + net::PercentEncode(options_.namespace_);
  }
  path += "/";
  path += ResourceName(options_.kind);
  std::string q;
  auto add = [&q](std::string_view k, const std::string& v) {
    q += q.empty() ? "?" : "&";
    q += k;
    q += "=";
    q += net::PercentEncode(v);
  };
  if (!options_.label_selector.empty()) add("labelSelector", options_.label_selector);
  if (!options_.field_selector.empty()) add("fieldSelector", options_.field_selector);
  if (!continue_token.empty() || options_.page_size > 0) {
    if (options_.page_size > 0) add("limit", std::to_string(options_.page_size));
    if (!continue_token.empty()) add("continue", continue_token);
  }
  return path + q;
}

std::string Informer::WatchPath(const std::string& resource_version,
                                std::chrono::milliseconds timeout) const {
  std::string path = ListPath("");
  // ListPath added limit; a watch takes none.
  if (size_t at = path.find("limit="); at != std::string::npos) {
    size_t end = path.find('&', at);
    path.erase(at - 1, (end == std::string::npos ? path.size() : end) - (at - 1));
  }
  path += path.find('?') == std::string::npos ? "?" : "&";
  path +=
      "watch=1&allowWatchBookmarks=true&resourceVersion=" + net::PercentEncode(resource_version);
  path += "&timeoutSeconds=" + std::to_string(std::max<int64_t>(1, timeout.count() / 1000));
  return path;
}

bool Informer::Sleep(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(wait_mu_);
  return !wait_cv_.wait_for(lock, d, [this] { return stopping_.load(); });
}

bool Informer::List() {
  auto log = GetLogger(options_.log_name);
  std::map<std::string, std::shared_ptr<const Object>> fresh;
  std::string token, version;
  while (true) {
    auto res = client_->Get(ListPath(token), options_.list_timeout);
    Status st;
    if (!res.ok()) {
      st = res.status();
    } else if (res->status == 410 && !token.empty()) {
      // The continue token expired mid-list: start over.
      token.clear();
      fresh.clear();
      continue;
    } else if (res->status != 200) {
      st = Unavailable(ErrorText(*res));
    } else {
      auto list = DecodeList(options_.kind, res->body);
      if (!list.ok()) {
        st = list.status();
      } else {
        for (Object& o : list->items) {
          std::string key = Key(MetaOf(o));
          fresh[key] = std::make_shared<const Object>(std::move(o));
        }
        token = list->continue_token;
        version = list->resource_version;
      }
    }
    if (!st.ok()) {
      if (stopping_) return false;
      log->warn("listing {}: {}", Describe(), st.message());
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.errors;
      return false;
    }
    if (token.empty() || stopping_) break;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    objects_ = std::move(fresh);
    ++stats_.lists;
  }
  resource_version_ = version;
  synced_ = true;
  if (on_change_) on_change_();
  return true;
}

Informer::Next Informer::Watch() {
  auto log = GetLogger(options_.log_name);
  auto timeout = Draw(options_.watch_timeout, 2 * options_.watch_timeout);
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.watches;
  }
  bool gone = false;
  Status bad;
  size_t seen = 0;
  const auto started = std::chrono::steady_clock::now();
  auto on_line = [&](std::string_view line) {
    ++seen;
    auto ev = DecodeWatchEvent(options_.kind, line);
    if (!ev.ok()) {
      bad = ev.status().Annotate("decoding a watch event of " + Describe());
      return false;
    }
    bool changed = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      switch (ev->type) {
        case WatchEvent::Type::kAdded:
        case WatchEvent::Type::kModified: {
          std::string key = Key(MetaOf(*ev->object));
          objects_[key] = std::make_shared<const Object>(std::move(*ev->object));
          changed = true;
          ++stats_.events;
          break;
        }
        case WatchEvent::Type::kDeleted:
          changed = objects_.erase(Key(MetaOf(*ev->object))) > 0;
          ++stats_.events;
          break;
        case WatchEvent::Type::kBookmark:
          ++stats_.bookmarks;
          break;
        case WatchEvent::Type::kError:
          if (ev->error_code == 410) {
            gone = true;
          } else {
            bad = Unavailable("watch of " + Describe() + " got an ERROR event: code " +
                              std::to_string(ev->error_code) + ": " + ev->error_message);
          }
          return false;
      }
    }
    if (!ev->resource_version.empty()) resource_version_ = ev->resource_version;
    if (changed && on_change_) on_change_();
    return true;
  };
  auto res = client_->Stream(WatchPath(resource_version_, timeout),
                             timeout + std::chrono::seconds(30), on_line);
  if (stopping_) return Next::kWatch;  // the loop ends; nothing to report
  if (gone || (res.ok() && res->status == 410)) {
    log->info("watch of {}: resource version {} is too old (410 Gone); listing again", Describe(),
              resource_version_);
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.relists_gone;
    return Next::kList;
  }
  Status st = bad;
  if (st.ok() && !res.ok()) {
    // The request timeout passing on a silent watch is the end of a watch, not an error.
    if (res.status().code() == StatusCode::kDeadlineExceeded) return Next::kWatch;
    st = res.status();
  }
  if (st.ok() && res->status != 200) st = Unavailable(ErrorText(*res));
  if (st.ok()) {
    // Ended normally (timeoutSeconds, an API server restart). One that ends at once with
    // nothing in it would make a tight loop: wait as after an error (client-go does too).
    if (seen == 0 && std::chrono::steady_clock::now() - started < std::chrono::seconds(1)) {
      return Next::kBackoff;
    }
    return Next::kWatch;
  }
  log->warn("watching {}: {}", Describe(), st.message());
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.errors;
  return Next::kBackoff;
}

void Informer::Run() {
  std::chrono::milliseconds backoff = options_.backoff_initial;
  bool need_list = true;
  while (!stopping_) {
    if (need_list) {
      if (!List()) {
        if (!Sleep(Draw(backoff / 2, backoff))) return;
        backoff = std::min(backoff * 2, options_.backoff_max);
        continue;
      }
      need_list = false;
      backoff = options_.backoff_initial;
    }
    switch (Watch()) {
      case Next::kWatch:
        backoff = options_.backoff_initial;
        break;
      case Next::kList:
        need_list = true;
        break;
      case Next::kBackoff:
        if (!Sleep(Draw(backoff / 2, backoff))) return;
        backoff = std::min(backoff * 2, options_.backoff_max);
        break;
    }
  }
}

}  // namespace astrolabe::discovery::kubernetes
