#pragma once
// The web UI's files (ui/dist, built by `make ui`), embedded into the binary at build time by
// cmake/embed_ui.cmake (library astrolabe_ui_assets). Served by api/ui_server.h.

#include <span>
#include <string_view>

namespace astrolabe::api {

struct UiFile {
  std::string_view path;  // "/index.html", "/assets/index-BxNXeiCA.js"
  std::string_view data;
};

// Every embedded file; empty when the binary was built without ui/dist.
std::span<const UiFile> EmbeddedUiFiles();

}  // namespace astrolabe::api
