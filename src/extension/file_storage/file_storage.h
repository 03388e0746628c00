#pragma once
// FileStorage: the file_storage extension. Hands each component a key-value
// StorageClient (component/storage.h) backed by its own LogStore file in `directory`,
// named as upstream names its files: <kind>_<type>_<name>[_<client name>], with every
// character outside [A-Za-z0-9._-] (and '~') written as ~XXXX (its code point in hex):
// the otlp_http/dt exporter's metrics queue lives in `exporter_otlp_http_dt_metrics`.
//
// Start: creates the directory when create_directory (mode directory_permissions, minus
// the umask), then requires it to exist ("directory must exist: ..." / "... is not a
// directory"); with compaction.cleanup_on_start removes leftover upstream compaction
// files (tempdb*) from compaction.directory; with compaction.on_rebound starts a thread
// that checks the open stores every check_interval and compacts one whose file has
// grown past rebound_needed_threshold_mib once its live data is below
// rebound_trigger_threshold_mib. GetClient with compaction.on_start compacts the store
// as it opens it.
//
// Thread-safe: GetClient may be called from any thread between Start and Shutdown.
// Clients may outlive Shutdown (they keep their file); the extension never closes them.

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "component/component.h"
#include "component/factory.h"
#include "component/storage.h"
#include "extension/file_storage/config.h"

namespace spdlog {
class logger;
}

namespace astrolabe::extension::file_storage {

class LogStore;

// The file name for a client, as upstream builds it (see above).
std::string ClientFileName(component::Kind kind, const config::ComponentId& id,
                           std::string_view name);

class FileStorage : public component::Extension, public component::StorageExtension {
 public:
  FileStorage(const component::CreateSettings& settings, const Config& config);
  ~FileStorage() override;

  Status Start(component::Host& host) override;
  Status Shutdown(component::Deadline deadline) override;

  Result<std::unique_ptr<component::StorageClient>> GetClient(component::Kind kind,
                                                              const config::ComponentId& id,
                                                              std::string_view name) override;

  // The stores open now, shared with their clients (for the rebound check and tests).
  struct Registry;

 private:
  void ReboundLoop();
  void CheckRebound();

  const std::string id_;
  const Config config_;
  std::shared_ptr<spdlog::logger> log_;
  std::shared_ptr<Registry> registry_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool started_ = false;   // GUARDED_BY(mu_)
  bool stopping_ = false;  // GUARDED_BY(mu_)
  std::thread rebound_;    // started by Start, joined by Shutdown
};

}  // namespace astrolabe::extension::file_storage
