#include "exporter/store/config.h"

#include <algorithm>

namespace astrolabe::exporter::store {

void Config::Visit(config::Visitor& v) {
  v.Field("store", store);
  v.Field("promote_scope_metadata", promote_scope_metadata);
  v.Field("promote_resource_attributes", promote_resource_attributes);
  v.Field("keep_identifying_resource_attributes", keep_identifying_resource_attributes);
  v.Field("disable_target_info", disable_target_info);
}

Status Config::Validate() const {
  if (!store.empty()) {
    Result<config::ComponentId> id = config::ComponentId::Parse(store);
    if (!id.ok()) return id.status().Annotate("store");
  }
  std::vector<std::string> seen;
  for (const std::string& a : promote_resource_attributes) {
    if (a.empty()) return InvalidArgument("promote_resource_attributes: empty attribute name");
    if (std::find(seen.begin(), seen.end(), a) != seen.end()) {
      return InvalidArgument("promote_resource_attributes: duplicate \"" + a + "\"");
    }
    seen.push_back(a);
  }
  return Status::Ok();
}

config::ComponentId Config::StoreId() const {
  if (store.empty()) return {};
  Result<config::ComponentId> id = config::ComponentId::Parse(store);
  return id.ok() ? *id : config::ComponentId{};
}

}  // namespace astrolabe::exporter::store
