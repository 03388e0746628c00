#pragma once
// Factories create components from their configs. Three stages, as in Envoy:
// factory (stateless, one per type) → config object (immutable after Validate) →
// component instance. src/app/builtin_components.cc is the one list of all factories.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "component/component.h"
#include "config/component_id.h"
#include "config/visitor.h"

namespace astrolabe::component {

class Telemetry;

enum class Stability { kDevelopment, kAlpha, kBeta, kStable, kDeprecated };
std::string_view StabilityName(Stability s);

// Base of every component's config struct.
class ComponentConfig {
 public:
  virtual ~ComponentConfig() = default;
  // Describes the keys (see config/visitor.h). Unknown keys are errors.
  virtual void Visit(config::Visitor& v) = 0;
  // Cross-field rules checked after decoding; messages as upstream's ("endpoint must be
  // specified").
  virtual Status Validate() const { return Status::Ok(); }
};

struct CreateSettings {
  config::ComponentId id;
  Telemetry* telemetry = nullptr;  // never null in a running service
};

class Factory {
 public:
  virtual ~Factory() = default;
  virtual std::string_view type() const = 0;
  virtual Kind kind() const = 0;
  // Stability per signal; nullopt-like kDevelopment for unsupported is avoided by
  // Supports().
  virtual bool Supports(Signal signal) const { return kind() == Kind::kExtension; }
  virtual Stability stability() const { return Stability::kBeta; }
  virtual std::unique_ptr<ComponentConfig> CreateDefaultConfig() const = 0;
};

// The consumers a receiver feeds, one per signal it is used for (null when unused).
struct ReceiverConsumers {
  Consumer* metrics = nullptr;
  Consumer* traces = nullptr;
  Consumer* logs = nullptr;
};

class ReceiverFactory : public Factory {
 public:
  Kind kind() const final { return Kind::kReceiver; }
  // One instance per receiver id, whatever the number of pipelines and signals.
  virtual Result<std::unique_ptr<Receiver>> CreateReceiver(const CreateSettings& settings,
                                                           const ComponentConfig& config,
                                                           ReceiverConsumers next) const = 0;
};

class ProcessorFactory : public Factory {
 public:
  Kind kind() const final { return Kind::kProcessor; }
  // One instance per (pipeline, processor id). `next` outlives the processor.
  virtual Result<std::unique_ptr<Processor>> CreateProcessor(const CreateSettings& settings,
                                                             const ComponentConfig& config,
                                                             Signal signal,
                                                             Consumer& next) const = 0;
};

class ExporterFactory : public Factory {
 public:
  Kind kind() const final { return Kind::kExporter; }
  // One instance per exporter id, consuming every signal it is used for.
  virtual Result<std::unique_ptr<Exporter>> CreateExporter(const CreateSettings& settings,
                                                           const ComponentConfig& config) const = 0;
};

class ExtensionFactory : public Factory {
 public:
  Kind kind() const final { return Kind::kExtension; }
  virtual Result<std::unique_ptr<Extension>> CreateExtension(
      const CreateSettings& settings, const ComponentConfig& config) const = 0;
};

// All factories known to a process, by kind and type, with deprecated aliases
// ("otlphttp" → "otlp_http", "otlp" → "otlp_grpc").
class Registry {
 public:
  void Add(std::unique_ptr<Factory> factory);
  void AddAlias(Kind kind, std::string alias, std::string type);

  // The factory for `type` (or an alias of it); nullptr when unknown. Sets *alias_used
  // when `type` was an alias, so callers can warn.
  const Factory* Find(Kind kind, std::string_view type, bool* alias_used = nullptr) const;
  // Types of one kind and the aliases of those types, sorted, for "valid values: [...]"
  // messages.
  std::vector<std::string> Types(Kind kind) const;

 private:
  std::vector<std::unique_ptr<Factory>> factories_;
  struct Alias {
    Kind kind;
    std::string alias;
    std::string type;
  };
  std::vector<Alias> aliases_;
};

}  // namespace astrolabe::component
