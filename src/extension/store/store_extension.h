#pragma once
// StoreExtension: the `store` extension. Owns the server's embedded stores under
// `directory`: the metrics store, a tsdb::Db in `<directory>/tsdb` (its WAL in
// `<directory>/tsdb/wal`), and the span and log store, a spanstore::SpanStore in
// `<directory>/spans`. Components reach it through component::FindStoreExtension.
//
// Start: creates `<directory>/tsdb` when create_directory (else requires it to exist),
// then opens the Db, which replays its WAL; a damaged WAL fails Start (DataLoss naming the
// file and offset) unless metrics.wal.repair_on_open. Shutdown closes the Db (syncs the
// WAL); idempotent, valid without Start.
//
// Thread-safe: metrics() may be called from any thread between Start and Shutdown.

#include <memory>
#include <mutex>
#include <string>

#include "component/component.h"
#include "component/factory.h"
#include "component/store.h"
#include "extension/store/config.h"

namespace spdlog {
class logger;
}
namespace astrolabe::tsdb {
class Db;
}
namespace astrolabe::spanstore {
class SpanStore;
}

namespace astrolabe::extension::store {

class StoreExtension : public component::Extension, public component::StoreExtension {
 public:
  StoreExtension(const component::CreateSettings& settings, const Config& config);
  ~StoreExtension() override;

  Status Start(component::Host& host) override;
  Status Shutdown(component::Deadline deadline) override;

  // REQUIRES: started and not shut down.
  storage::Storage& metrics() override;
  spanstore::SpanStore& spans() override;

  // The tsdb directory (`<directory>/tsdb`).
  std::string tsdb_directory() const;

 private:
  const std::string id_;
  const Config config_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<tsdb::Db> db_;  // set by Start, closed (not freed) by Shutdown
  std::unique_ptr<spanstore::SpanStore> spans_;  // likewise
  bool shut_down_ = false;
};

}  // namespace astrolabe::extension::store
