#include "extension/file_storage/file_storage.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <spdlog/spdlog.h>

#include "common/log.h"
#include "extension/file_storage/log_store.h"

namespace astrolabe::extension::file_storage {

using component::StorageOperation;

struct FileStorage::Registry {
  std::mutex mu;
  // By file name: the open stores. Weak: a client owns its store.
  std::map<std::string, std::weak_ptr<LogStore>> open;  // GUARDED_BY(mu)
  // Files whose size passed rebound_needed_threshold_mib (upstream's "compaction needed").
  std::set<std::string> needs_compaction;  // GUARDED_BY(mu)
};

namespace {

bool IsSafe(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_';
}

// Upstream escapes by Unicode code point; ids are validated to ASCII-free of spaces, but
// a name may hold any UTF-8: we decode it so that "é" becomes ~00E9 as upstream writes it.
std::string Sanitize(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size();) {
    auto c = static_cast<unsigned char>(in[i]);
    if (IsSafe(c)) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    uint32_t cp = c;
    size_t len = 1;
    if (c >= 0xc0 && c < 0xe0) {
      len = 2;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c < 0xf0) {
      len = 3;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c < 0xf8) {
      len = 4;
      cp = c & 0x07;
    }
    bool valid = i + len <= in.size() && len > 1;
    for (size_t k = 1; valid && k < len; ++k) {
      auto cc = static_cast<unsigned char>(in[i + k]);
      if ((cc & 0xc0) != 0x80) valid = false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (!valid) {
      cp = c >= 0x80 ? 0xfffd : c;  // Go turns an invalid byte into U+FFFD
      len = 1;
    }
    char buf[16];
    std::snprintf(buf, sizeof buf, "~%04X", cp);
    out += buf;
    i += len;
  }
  return out;
}

std::string ErrnoText() { return std::strerror(errno); }

// mkdir -p with `mode` for every directory it creates.
Status MakeDirectories(const std::string& path, mode_t mode) {
  std::string partial;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string::npos) slash = path.size();
    partial = path.substr(0, slash);
    pos = slash + 1;
    if (partial.empty()) continue;
    if (mkdir(partial.c_str(), mode) != 0 && errno != EEXIST) {
      return Internal("creating directory " + partial + ": " + ErrnoText());
    }
  }
  return Status::Ok();
}

Status CheckDirectory(const std::string& dir) {
  struct stat st {};
  if (stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return FailedPrecondition("directory must exist: stat " + dir +
                                ": no such file or directory");
    }
    return FailedPrecondition("problem accessing configured directory: " + dir +
                              ", err: " + ErrnoText());
  }
  if (!S_ISDIR(st.st_mode)) return FailedPrecondition(dir + " is not a directory");
  return Status::Ok();
}

// One component's view of its store.
class Client : public component::StorageClient {
 public:
  Client(std::shared_ptr<LogStore> store, std::shared_ptr<FileStorage::Registry> registry,
         std::string file)
      : store_(std::move(store)), registry_(std::move(registry)), file_(std::move(file)) {}
  ~Client() override { (void)Close(); }

  Result<std::optional<std::string>> Get(std::string_view key) override { return store_->Get(key); }
  Status Set(std::string_view key, std::string_view value) override {
    StorageOperation op = StorageOperation::Set(std::string(key), std::string(value));
    return store_->Apply(std::span<StorageOperation>(&op, 1));
  }
  Status Delete(std::string_view key) override {
    StorageOperation op = StorageOperation::Delete(std::string(key));
    return store_->Apply(std::span<StorageOperation>(&op, 1));
  }
  Status Batch(std::span<StorageOperation> ops) override { return store_->Apply(ops); }
  Status Close() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Status::Ok();
    closed_ = true;
    Status s = store_->Close();
    std::lock_guard<std::mutex> rlock(registry_->mu);
    registry_->open.erase(file_);
    registry_->needs_compaction.erase(file_);
    return s;
  }

 private:
  std::shared_ptr<LogStore> store_;
  std::shared_ptr<FileStorage::Registry> registry_;
  const std::string file_;
  std::mutex mu_;
  bool closed_ = false;  // GUARDED_BY(mu_)
};

}  // namespace

std::string ClientFileName(component::Kind kind, const config::ComponentId& id,
                           std::string_view name) {
  std::string raw = std::string(component::KindName(kind)) + "_" + id.type + "_" + id.name;
  if (!name.empty()) raw += "_" + std::string(name);
  return Sanitize(raw);
}

FileStorage::FileStorage(const component::CreateSettings& settings, const Config& config)
    : id_(settings.id.ToString()),
      config_(config),
      log_(GetLogger("extension/" + id_)),
      registry_(std::make_shared<Registry>()) {}

FileStorage::~FileStorage() { (void)Shutdown(component::Deadline()); }

Status FileStorage::Start(component::Host&) {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_) return Status::Ok();
  if (config_.create_directory) {
    ASSIGN_OR_RETURN(uint32_t mode, ParsePermissions(config_.directory_permissions));
    RETURN_IF_ERROR(MakeDirectories(config_.directory, static_cast<mode_t>(mode)));
    if (config_.compaction.cleanup_on_start) {
      RETURN_IF_ERROR(MakeDirectories(config_.compaction.directory, static_cast<mode_t>(mode)));
    }
  }
  RETURN_IF_ERROR(CheckDirectory(config_.directory));
  if (config_.compaction.cleanup_on_start) {
    // Upstream's compaction leaves tempdb* files when killed; ours leaves
    // <store>.compacting beside the store, which opening the store removes.
    if (DIR* d = opendir(config_.compaction.directory.c_str())) {
      while (dirent* e = readdir(d)) {
        std::string_view name = e->d_name;
        if (!name.starts_with("tempdb")) continue;
        std::string path = config_.compaction.directory + "/" + std::string(name);
        if (unlink(path.c_str()) != 0) {
          log_->info("cleanup error removing {}: {}", path, ErrnoText());
        }
      }
      closedir(d);
    }
  }
  if (config_.compaction.on_rebound) {
    stopping_ = false;
    rebound_ = std::thread([this] { ReboundLoop(); });
  }
  started_ = true;
  return Status::Ok();
}

Status FileStorage::Shutdown(component::Deadline) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    started_ = false;
    wake_.notify_all();
  }
  if (rebound_.joinable()) rebound_.join();
  return Status::Ok();
}

Result<std::unique_ptr<component::StorageClient>> FileStorage::GetClient(
    component::Kind kind, const config::ComponentId& id, std::string_view name) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!started_) return FailedPrecondition("file_storage " + id_ + " is not running");
  }
  const std::string file = ClientFileName(kind, id, name);
  {
    std::lock_guard<std::mutex> lock(registry_->mu);
    if (auto it = registry_->open.find(file);
        it != registry_->open.end() && !it->second.expired()) {
      return FailedPrecondition("file_storage " + id_ + ": a client for " + file +
                                " is already open");
    }
  }
  LogStoreOptions options;
  options.fsync = config_.fsync;
  options.lock_timeout = config_.timeout;
  std::string path = config_.directory;
  if (!path.ends_with('/')) path += '/';
  path += file;
  Result<std::unique_ptr<LogStore>> opened = LogStore::Open(path, options, log_);
  if (!opened.ok()) return opened.status().Annotate("file_storage " + id_);
  std::shared_ptr<LogStore> store = std::move(*opened);
  if (config_.compaction.on_start) {
    if (Status s = store->Compact(); !s.ok()) {
      log_->error("compaction on start failed: {}", s.ToString());
    }
  }
  {
    std::lock_guard<std::mutex> lock(registry_->mu);
    registry_->open[file] = store;
  }
  return std::unique_ptr<component::StorageClient>(
      std::make_unique<Client>(std::move(store), registry_, file));
}

void FileStorage::ReboundLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    wake_.wait_for(lock, config_.compaction.check_interval, [&] { return stopping_; });
    if (stopping_) return;
    lock.unlock();
    CheckRebound();
    lock.lock();
  }
}

void FileStorage::CheckRebound() {
  const uint64_t needed = static_cast<uint64_t>(config_.compaction.rebound_needed_threshold_mib)
                          << 20;
  const uint64_t trigger = static_cast<uint64_t>(config_.compaction.rebound_trigger_threshold_mib)
                           << 20;
  std::vector<std::pair<std::string, std::shared_ptr<LogStore>>> stores;
  {
    std::lock_guard<std::mutex> lock(registry_->mu);
    for (auto& [file, weak] : registry_->open) {
      if (auto s = weak.lock()) stores.emplace_back(file, std::move(s));
    }
  }
  for (auto& [file, store] : stores) {
    bool compact = false;
    {
      std::lock_guard<std::mutex> lock(registry_->mu);
      if (store->file_bytes() > needed) registry_->needs_compaction.insert(file);
      if (registry_->needs_compaction.contains(file) && store->live_bytes() < trigger) {
        registry_->needs_compaction.erase(file);
        compact = true;
      }
    }
    if (compact) {
      if (Status s = store->Compact(); !s.ok() && s.code() != StatusCode::kFailedPrecondition) {
        log_->error("rebound compaction of {} failed: {}", file, s.ToString());
      }
    }
  }
}

}  // namespace astrolabe::extension::file_storage
