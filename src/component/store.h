#pragma once
// Store extensions: where the server keeps what it ingests. An extension that implements
// StoreExtension (the `store` extension, src/extension/store) owns the metrics store (the
// tsdb) and the span and log store (src/spanstore); the store exporter writes through it and the query API
// reads through it. A component finds it through the Host, by the id its config names or,
// when it names none, as the only store extension the service runs:
//
//   ASSIGN_OR_RETURN(StoreExtension* store, FindStoreExtension(host, config.store));
//   std::unique_ptr<storage::Appender> app = store->metrics().NewAppender();
//
// Contract:
//   - metrics() is valid from the extension's Start until its Shutdown; components that
//     hold appenders or queriers finish with them in their own Shutdown, which runs first.
//   - metrics() is thread-safe (storage::Storage is).
//   - A Commit that returned OK is durable as the extension's WAL settings say (`sync:
//     always`: fsynced).

#include <string_view>

#include "common/status.h"
#include "config/component_id.h"

namespace astrolabe::storage {
class Storage;
}
namespace astrolabe::spanstore {
class SpanStore;
}

namespace astrolabe::component {

class Host;

class StoreExtension {
 public:
  virtual ~StoreExtension() = default;
  // The metrics store. REQUIRES: the extension has started and not shut down.
  virtual storage::Storage& metrics() = 0;
  // The span and log store. REQUIRES: the extension has started and not shut down.
  virtual spanstore::SpanStore& spans() = 0;
};

// The started store extension `id`; with an empty id (type ""), the only started store
// extension. Errors name what was looked for: kNotFound `store extension "x" not found (it
// must be configured under extensions: and listed in service::extensions)`, `no store
// extension is running (configure one under extensions: and list it in
// service::extensions)`; kInvalidArgument `extension "x" is not a store extension`,
// `2 store extensions are running (store/a, store/b): name one with the "store" key`.
Result<StoreExtension*> FindStoreExtension(Host& host, const config::ComponentId& id);

}  // namespace astrolabe::component
