#pragma once
// Storage extensions: how a component keeps state across restarts, after upstream's
// extension/xextension/storage. An extension that implements StorageExtension (the
// file_storage extension) hands each component its own key-value StorageClient; a
// component finds the extension through the Host by the id its config names
// (`sending_queue.storage: file_storage/queue`):
//
//   ASSIGN_OR_RETURN(StorageExtension* ext, FindStorageExtension(host, storage_id));
//   ASSIGN_OR_RETURN(std::unique_ptr<StorageClient> client,
//                    ext->GetClient(Kind::kExporter, my_id, "metrics"));
//
// Contract of a client:
//   - Keys and values are byte strings. Get of a missing key is nullopt, not an error.
//   - Batch applies its operations in order and atomically: after a crash, either all
//     of its Set/Delete operations are visible or none. Get operations in a batch see
//     the writes before them in the same batch.
//   - A write that returned OK survives the process being killed (kill -9); whether it
//     survives a power loss is the extension's durability setting (file_storage's
//     `fsync`).
//   - Thread-safe. Close() is idempotent; every call after it returns kFailedPrecondition.
//     The destructor closes.
// A client must be closed (or destroyed) before its extension shuts down; components
// close theirs in their own Shutdown, which runs before the extensions'.

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"
#include "component/component.h"
#include "config/component_id.h"

namespace astrolabe::component {

class Host;

// One operation of StorageClient::Batch.
struct StorageOperation {
  enum class Type { kGet, kSet, kDelete };
  Type type = Type::kGet;
  std::string key;
  std::string value;   // kSet: the value to store; kGet: the value read (when found)
  bool found = false;  // kGet: whether the key exists

  static StorageOperation Get(std::string key) { return {Type::kGet, std::move(key), {}, false}; }
  static StorageOperation Set(std::string key, std::string value) {
    return {Type::kSet, std::move(key), std::move(value), false};
  }
  static StorageOperation Delete(std::string key) {
    return {Type::kDelete, std::move(key), {}, false};
  }
};

class StorageClient {
 public:
  virtual ~StorageClient() = default;
  virtual Result<std::optional<std::string>> Get(std::string_view key) = 0;
  virtual Status Set(std::string_view key, std::string_view value) = 0;
  virtual Status Delete(std::string_view key) = 0;
  // See the contract above. On error nothing of the batch was applied.
  virtual Status Batch(std::span<StorageOperation> ops) = 0;
  virtual Status Close() = 0;
};

class StorageExtension {
 public:
  virtual ~StorageExtension() = default;
  // A client for the component `id` of `kind`; `name` tells apart several stores of one
  // component ("metrics", "traces", "logs" for an exporter's queues; may be empty).
  // At most one open client per (kind, id, name): a second one fails until the first
  // is closed. REQUIRES: the extension has started.
  virtual Result<std::unique_ptr<StorageClient>> GetClient(Kind kind, const config::ComponentId& id,
                                                           std::string_view name) = 0;
};

// The started extension `id` as a StorageExtension. Errors name the id:
// kNotFound `storage extension "x" not found (it must be configured under extensions:
// and listed in service::extensions)`, kInvalidArgument `extension "x" is not a storage
// extension`.
Result<StorageExtension*> FindStorageExtension(Host& host, const config::ComponentId& id);

}  // namespace astrolabe::component
