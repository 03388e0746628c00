#include "processor/memory_limiter/factory.h"

#include <map>
#include <mutex>

#include "common/log.h"
#include "processor/memory_limiter/config.h"
#include "processor/memory_limiter/memory_limiter.h"

namespace astrolabe::processor::memory_limiter {
namespace {

class Factory : public component::ProcessorFactory {
 public:
  Factory(std::shared_ptr<MemoryProbe> probe, const Clock& clock)
      : probe_(std::move(probe)), clock_(clock) {}

  std::string_view type() const override { return "memory_limiter"; }
  bool Supports(component::Signal) const override { return true; }
  component::Stability stability() const override { return component::Stability::kBeta; }

  std::unique_ptr<component::ComponentConfig> CreateDefaultConfig() const override {
    return std::make_unique<Config>();
  }

  Result<std::unique_ptr<component::Processor>> CreateProcessor(
      const component::CreateSettings& settings, const component::ComponentConfig& config,
      component::Signal signal, component::Consumer& next) const override {
    const auto* cfg = dynamic_cast<const Config*>(&config);
    if (cfg == nullptr) {
      return InvalidArgument("memory_limiter processor: config is not a memory_limiter config");
    }
    RETURN_IF_ERROR(cfg->Validate());
    ASSIGN_OR_RETURN(std::shared_ptr<MemoryLimiter> limiter, LimiterFor(settings, *cfg));
    return std::unique_ptr<component::Processor>(
        std::make_unique<MemoryLimiterProcessor>(settings, std::move(limiter), signal, next));
  }

 private:
  // The limiter of this config object, created on first use. Entries whose processors are
  // all gone have expired and are replaced (an address may be reused by a later config).
  Result<std::shared_ptr<MemoryLimiter>> LimiterFor(const component::CreateSettings& settings,
                                                    const Config& cfg) const {
    std::lock_guard lock(mu_);
    std::erase_if(limiters_, [](const auto& e) { return e.second.expired(); });
    if (auto it = limiters_.find(&cfg); it != limiters_.end()) {
      if (std::shared_ptr<MemoryLimiter> live = it->second.lock()) return live;
    }
    ASSIGN_OR_RETURN(std::shared_ptr<MemoryLimiter> limiter,
                     MemoryLimiter::Create(cfg, probe_, clock_,
                                           GetLogger("processor/" + settings.id.ToString())));
    limiters_[&cfg] = limiter;
    return limiter;
  }

  std::shared_ptr<MemoryProbe> probe_;
  const Clock& clock_;
  mutable std::mutex mu_;
  mutable std::map<const Config*, std::weak_ptr<MemoryLimiter>> limiters_;  // GUARDED_BY(mu_)
};

}  // namespace

std::unique_ptr<component::ProcessorFactory> NewFactory() {
  return NewFactory(NewProcMemoryProbe(), Clock::Real());
}

std::unique_ptr<component::ProcessorFactory> NewFactory(std::shared_ptr<MemoryProbe> probe,
                                                        const Clock& clock) {
  return std::make_unique<Factory>(std::move(probe), clock);
}

}  // namespace astrolabe::processor::memory_limiter
