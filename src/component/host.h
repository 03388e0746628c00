#pragma once
// Host: what a running component may ask of the service that owns it.
// Thread-safe: components may call it from any thread after Start.

#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "config/component_id.h"

namespace astrolabe::component {

class Extension;
class Handoff;
class Telemetry;

class Host {
 public:
  virtual ~Host() = default;
  // The started extension with this id, or nullptr.
  virtual Extension* GetExtension(const config::ComponentId& id) = 0;
  // Every started extension, in id order (for "the only extension of this kind" lookups).
  virtual std::vector<std::pair<config::ComponentId, Extension*>> GetExtensions() { return {}; }
  // A component hit an error it cannot recover from; the service shuts down.
  virtual void ReportFatalError(const config::ComponentId& id, Status status) = 0;
  // The process's own metrics, for components to register their instruments.
  virtual Telemetry& telemetry() = 0;
  // What the previous instance of a component left on a config reload (handoff.h); null
  // when the service does not run under a Supervisor.
  virtual Handoff* handoff() { return nullptr; }
};

}  // namespace astrolabe::component
