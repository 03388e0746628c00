#pragma once
// Config of the store exporter:
//
//   exporters:
//     store:
//       store: store            # the store extension's id; default: the only one running
//       promote_scope_metadata: false
//       promote_resource_attributes: []
//       keep_identifying_resource_attributes: false
//       disable_target_info: false
//
// The translation keys are Prometheus' `otlp:` settings of the same names (defaults as
// Prometheus 3's), so a series reads the same as if Prometheus had ingested the OTLP.
// Thread-compatible value types.

#include <string>
#include <vector>

#include "component/factory.h"
#include "config/component_id.h"

namespace astrolabe::exporter::store {

struct Config : component::ComponentConfig {
  std::string store;  // a component id ("store" or "store/name"); empty = the only one
  bool promote_scope_metadata = false;
  std::vector<std::string> promote_resource_attributes;
  bool keep_identifying_resource_attributes = false;
  bool disable_target_info = false;

  void Visit(config::Visitor& v) override;
  // "store: <the id parse error>", "promote_resource_attributes: duplicate \"x\"",
  // "promote_resource_attributes: empty attribute name".
  Status Validate() const override;
  // The parsed `store` id; type "" when empty. REQUIRES: Validate() is OK.
  config::ComponentId StoreId() const;
};

}  // namespace astrolabe::exporter::store
