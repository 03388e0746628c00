#pragma once
// QueueStore: the on-disk half of the persistent sending queue (`sending_queue.storage`).
// The SendingQueue keeps working on decoded requests in memory; the QueueStore keeps a
// copy of every request it holds in the storage extension's clients, one client per
// signal (as upstream: GetClient(exporter, id, "metrics"|"traces"|"logs")), so that a
// restart — also after kill -9 — finds and sends them again. Delivery is at-least-once:
// a request whose export was cut short by the process dying is sent again.
//
// Per signal the store holds:
//   key "qm"        16 bytes: first (u64 LE) and next (u64 LE) request index; every
//                   request still stored has first <= index < next
//   key "<index>"   (decimal) the request: an Export<Signal>ServiceRequest in protobuf,
//                   as wire/otlp_proto.h encodes it (uncompressed)
// Add writes the request and the new "qm" in one atomic Batch; Remove deletes the
// request and writes "qm" in one Batch. So after any crash "qm" covers every stored
// request. (Upstream's queue keeps a read index and a list of dispatched items instead;
// ours re-sends whatever is still stored, which needs neither.)
//
// Thread-safe: Add and Remove may be called from any threads; Recover and Close from
// the exporter's Start/Shutdown.

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "component/storage.h"
#include "exporter/otlp_http/sending_queue.h"

namespace spdlog {
class logger;
}

namespace astrolabe::exporter::otlp_http {

class QueueStore : public RequestStore {
 public:
  // One client per signal, indexed by component::Signal; none may be null.
  QueueStore(std::array<std::unique_ptr<component::StorageClient>, 3> clients,
             std::shared_ptr<spdlog::logger> logger);
  ~QueueStore() override;

  // Reads what a previous run left: every stored request, decoded, oldest first within
  // each signal (metrics, then traces, then logs), each marked as stored. A request that
  // no longer decodes is logged, deleted and skipped; a storage error fails the call.
  Result<std::vector<ExportRequest>> Recover();

  std::string Encode(const ExportRequest& request) const override;
  Status Add(ExportRequest& request, std::string_view encoded) override;
  void Remove(const ExportRequest& request) override;

  // Closes the clients. Idempotent.
  void Close();

  // Requests stored now (all signals).
  size_t size() const;

 private:
  struct PerSignal {
    std::unique_ptr<component::StorageClient> client;
    uint64_t next = 0;          // index of the next request added
    std::set<uint64_t> stored;  // indexes stored now
  };
  static std::string Metadata(const PerSignal& s);
  Status RecoverSignal(component::Signal signal, std::vector<ExportRequest>* out);

  std::shared_ptr<spdlog::logger> log_;
  mutable std::mutex mu_;
  std::array<PerSignal, 3> signals_;  // GUARDED_BY(mu_)
  bool closed_ = false;               // GUARDED_BY(mu_)
};

}  // namespace astrolabe::exporter::otlp_http
