#include "pipeline/service.h"

#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

#include "pipeline/fanout.h"
#include "pipeline/graph.h"

namespace astrolabe::pipeline {
namespace {

// How long past its deadline a component may take to return before it is skipped.
constexpr auto kShutdownGrace = std::chrono::milliseconds(100);

struct ShutdownCall {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;  // GUARDED_BY(mu)
  Status status;      // GUARDED_BY(mu)
};

// Runs node.component->Shutdown(deadline) on its own thread and waits for it until
// deadline + grace. The thread holds `graph`, so a component that overruns can finish
// later without touching freed memory.
Status ShutdownWithin(const std::shared_ptr<Service::Graph>& graph, const GraphNode& node,
                      component::Deadline deadline) {
  auto call = std::make_shared<ShutdownCall>();
  component::Component* c = node.component;
  std::thread([keep = graph, call, c, deadline]() mutable {
    Status s = c->Shutdown(deadline);
    // Drop our hold on the graph before reporting: when the waiter is still waiting it
    // owns the graph, so the graph is never destroyed here unless we were abandoned.
    keep.reset();
    {
      std::lock_guard lock(call->mu);
      call->done = true;
      call->status = std::move(s);
    }
    call->cv.notify_all();
  }).detach();
  std::unique_lock lock(call->mu);
  if (!call->cv.wait_until(lock, deadline + kShutdownGrace, [&] { return call->done; })) {
    return DeadlineExceeded("did not shut down by its deadline; skipped");
  }
  return call->status;
}

}  // namespace

Result<std::unique_ptr<Service>> Service::Build(const component::ResolvedConfig& config,
                                                ServiceSettings settings) {
  ASSIGN_OR_RETURN(std::shared_ptr<Graph> graph, BuildGraph(config, std::move(settings)));
  return std::make_unique<Service>(PrivateTag{}, std::move(graph));
}

Result<std::unique_ptr<Service>> Service::Build(
    std::shared_ptr<const component::ResolvedConfig> config, ServiceSettings settings) {
  if (config == nullptr) return InvalidArgument("building the service: no configuration");
  ASSIGN_OR_RETURN(std::shared_ptr<Graph> graph, BuildGraph(*config, std::move(settings)));
  graph->config = std::move(config);
  return std::make_unique<Service>(PrivateTag{}, std::move(graph));
}

Service::Service(PrivateTag, std::shared_ptr<Graph> graph) : graph_(std::move(graph)) {}

Service::~Service() {
  if (state_ == State::kStopped) return;
  Status s = Shutdown(std::chrono::steady_clock::now() + graph_->settings.shutdown_timeout);
  if (!s.ok()) graph_->logger->warn("shutting down the service: {}", s.ToString());
}

component::Host& Service::host() { return *graph_->host; }

std::vector<std::string> Service::Describe() const { return graph_->description; }

Status Service::Start() {
  if (state_ != State::kBuilt) return FailedPrecondition("the service was already started");
  auto& log = *graph_->logger;
  for (const GraphNode& node : graph_->order) {
    log.debug("starting {}", node.Name());
    Status s = node.component->Start(*graph_->host);
    if (!s.ok()) {
      Status err = s.Annotate("starting " + node.Name());
      log.error("{}; shutting down what started", err.ToString());
      Status rollback =
          ShutdownAll(std::chrono::steady_clock::now() + graph_->settings.shutdown_timeout);
      if (!rollback.ok()) log.warn("after a failed start: {}", rollback.ToString());
      state_ = State::kStopped;
      return err;
    }
    if (node.kind == component::Kind::kExtension) {
      graph_->host->SetExtensionStarted(node.id, true);
    }
  }
  state_ = State::kRunning;
  for (component::Extension* ext : graph_->extension_order) ext->NotifyPipelinesReady();
  log.debug("all {} components started", graph_->order.size());
  return Status::Ok();
}

Status Service::Shutdown(component::Deadline deadline) {
  if (state_ == State::kStopped) return Status::Ok();
  if (state_ == State::kRunning) {
    for (component::Extension* ext : graph_->extension_order) ext->NotifyPipelinesNotReady();
  }
  state_ = State::kStopped;
  graph_->logger->info("shutting down");
  return ShutdownAll(deadline);
}

Status Service::ShutdownAll(component::Deadline deadline) {
  // Every component, started or not (Shutdown without Start is valid and releases what
  // Build acquired), in the reverse of start order. Each gets a share of the time left,
  // by weight; time a fast component leaves unused goes to the ones after it.
  const auto& order = graph_->order;
  int remaining_weight = 0;
  for (const GraphNode& node : order) remaining_weight += node.weight;
  std::vector<Status> errors;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const GraphNode& node = *it;
    auto now = std::chrono::steady_clock::now();
    auto left = std::max(deadline - now, component::Deadline::duration::zero());
    auto share = left * node.weight / std::max(remaining_weight, 1);
    remaining_weight -= node.weight;
    graph_->logger->debug("shutting down {}", node.Name());
    Status s = ShutdownWithin(graph_, node, now + share);
    if (node.kind == component::Kind::kExtension) {
      graph_->host->SetExtensionStarted(node.id, false);
    }
    if (!s.ok()) {
      Status err = s.Annotate("shutting down " + node.Name());
      graph_->logger->error("{}", err.ToString());
      errors.push_back(std::move(err));
    }
  }
  return CombineErrors(errors);
}

}  // namespace astrolabe::pipeline
