#include "component/store.h"

#include <vector>

#include "component/component.h"
#include "component/host.h"

namespace astrolabe::component {

Result<StoreExtension*> FindStoreExtension(Host& host, const config::ComponentId& id) {
  if (!id.type.empty()) {
    Extension* ext = host.GetExtension(id);
    if (ext == nullptr) {
      return NotFound("store extension \"" + id.ToString() +
                      "\" not found (it must be configured under extensions: and listed in "
                      "service::extensions)");
    }
    auto* store = dynamic_cast<StoreExtension*>(ext);
    if (store == nullptr) {
      return InvalidArgument("extension \"" + id.ToString() + "\" is not a store extension");
    }
    return store;
  }
  std::vector<std::pair<config::ComponentId, StoreExtension*>> found;
  for (auto& [ext_id, ext] : host.GetExtensions()) {
    if (auto* store = dynamic_cast<StoreExtension*>(ext)) found.emplace_back(ext_id, store);
  }
  if (found.empty()) {
    return NotFound(
        "no store extension is running (configure one under extensions: and list it in "
        "service::extensions)");
  }
  if (found.size() > 1) {
    std::string ids;
    for (const auto& [ext_id, store] : found) {
      if (!ids.empty()) ids += ", ";
      ids += ext_id.ToString();
    }
    return InvalidArgument(std::to_string(found.size()) + " store extensions are running (" + ids +
                           "): name one with the \"store\" key");
  }
  return found.front().second;
}

}  // namespace astrolabe::component
