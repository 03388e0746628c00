#include "pipeline/supervisor.h"

#include <utility>

#include "common/log.h"

namespace astrolabe::pipeline {
namespace {

component::Deadline After(std::chrono::milliseconds d) {
  return std::chrono::steady_clock::now() + d;
}

}  // namespace

Supervisor::Supervisor(ServiceSettings settings) : settings_(std::move(settings)) {
  if (!settings_.logger) settings_.logger = GetLogger("service");
  if (settings_.handoff == nullptr) settings_.handoff = handoff_.get();
}

Supervisor::~Supervisor() {
  Status s = Shutdown(After(settings_.shutdown_timeout));
  if (!s.ok()) settings_.logger->warn("shutting down: {}", s.ToString());
}

Result<std::unique_ptr<Service>> Supervisor::BuildAndStart(
    std::shared_ptr<const component::ResolvedConfig> config) {
  ASSIGN_OR_RETURN(std::unique_ptr<Service> service, Service::Build(std::move(config), settings_));
  RETURN_IF_ERROR(service->Start());
  return service;
}

Status Supervisor::Start(component::ResolvedConfig config) {
  std::lock_guard lock(mu_);
  if (service_) return FailedPrecondition("the collector is already running");
  auto cfg = std::make_shared<const component::ResolvedConfig>(std::move(config));
  ASSIGN_OR_RETURN(std::unique_ptr<Service> service, BuildAndStart(cfg));
  config_ = std::move(cfg);
  service_ = std::move(service);
  ++generation_;
  return Status::Ok();
}

Status Supervisor::Reload(component::ResolvedConfig config) {
  std::lock_guard lock(mu_);
  if (!service_) return FailedPrecondition("reload: the collector is not running");
  auto& log = *settings_.logger;

  // 1. Build (and validate) everything before touching the running graph.
  auto next_cfg = std::make_shared<const component::ResolvedConfig>(std::move(config));
  auto built = Service::Build(next_cfg, settings_);
  if (!built.ok()) {
    Status err = built.status().Annotate("reload rejected, previous configuration kept");
    log.error("{}", err.ToString());
    return err;
  }
  std::unique_ptr<Service> next = std::move(built).value();

  // 2. Stop the old graph; its exporters drain within the budget.
  log.info("reloading: shutting down the running configuration");
  Status stopped = service_->Shutdown(After(settings_.shutdown_timeout));
  if (!stopped.ok()) log.warn("reloading: {}", stopped.ToString());
  std::unique_ptr<Service> old = std::move(service_);
  std::shared_ptr<const component::ResolvedConfig> old_cfg = std::move(config_);

  // 3. Start the new one.
  Status started = next->Start();
  if (started.ok()) {
    service_ = std::move(next);
    config_ = std::move(next_cfg);
    ++generation_;
    old.reset();
    log.info("reloaded: configuration generation {}", generation_);
    return Status::Ok();
  }

  // 4. Roll back to the previous config with fresh instances.
  log.error("reloading: {}; restoring the previous configuration", started.ToString());
  next.reset();
  old.reset();
  auto restored = BuildAndStart(old_cfg);
  if (!restored.ok()) {
    Status fatal =
        restored.status().Annotate("restoring the previous configuration after a failed reload");
    log.critical("{}", fatal.ToString());
    if (settings_.on_fatal_error) settings_.on_fatal_error({"service", ""}, fatal);
    return started.Annotate("reload failed and the previous configuration could not be restored");
  }
  service_ = std::move(restored).value();
  config_ = std::move(old_cfg);
  return started.Annotate("reload failed, previous configuration restored");
}

Status Supervisor::Shutdown(component::Deadline deadline) {
  std::lock_guard lock(mu_);
  if (!service_) return Status::Ok();
  Status s = service_->Shutdown(deadline);
  service_.reset();
  config_.reset();
  return s;
}

bool Supervisor::running() const {
  std::lock_guard lock(mu_);
  return service_ != nullptr;
}

uint64_t Supervisor::generation() const {
  std::lock_guard lock(mu_);
  return generation_;
}

std::vector<std::string> Supervisor::Describe() const {
  std::lock_guard lock(mu_);
  return service_ ? service_->Describe() : std::vector<std::string>{};
}

}  // namespace astrolabe::pipeline
