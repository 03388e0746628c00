#pragma once
// Resolve: turns a config::Config into typed component configs using the Registry.
// Reports, with positions: unknown component types (with the valid values and a
// suggestion), unknown keys and bad values inside component bodies, Validate() errors
// (wrapped as upstream: `error reading configuration for "id": ...`), and deprecated
// aliases as warnings.

#include <memory>
#include <vector>

#include "component/factory.h"
#include "config/config.h"
#include "config/diagnostics.h"
#include "config/node.h"

namespace astrolabe::component {

struct ResolvedComponent {
  config::ComponentId id;       // as written in the config
  const Factory* factory = nullptr;
  std::unique_ptr<ComponentConfig> config;
};

struct ResolvedConfig {
  std::vector<ResolvedComponent> receivers, processors, exporters, extensions;
  config::ServiceConfig service;

  const ResolvedComponent* Find(Kind kind, const config::ComponentId& id) const;
};

// Decodes every component body; problems go to `diag`. The result is usable only when
// !diag.has_errors().
ResolvedConfig Resolve(const config::Config& cfg, const Registry& registry,
                       config::Diagnostics& diag);

// The resolved config as a YAML tree for `astrolabe validate`: every component with its
// defaults filled in, secrets redacted, plus the service section.
config::Node Encode(const ResolvedConfig& resolved);

}  // namespace astrolabe::component
