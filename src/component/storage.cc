#include "component/storage.h"

#include "component/host.h"

namespace astrolabe::component {

Result<StorageExtension*> FindStorageExtension(Host& host, const config::ComponentId& id) {
  Extension* ext = host.GetExtension(id);
  if (ext == nullptr) {
    return NotFound("storage extension \"" + id.ToString() +
                    "\" not found (it must be configured under extensions: and listed in "
                    "service::extensions)");
  }
  auto* storage = dynamic_cast<StorageExtension*>(ext);
  if (storage == nullptr) {
    return InvalidArgument("extension \"" + id.ToString() + "\" is not a storage extension");
  }
  return storage;
}

}  // namespace astrolabe::component
