#include "component/testing/test_components.h"

#include <algorithm>
#include <chrono>
#include <thread>
#include <utility>

#include "config/visitor.h"

namespace astrolabe::component::test {
namespace {

size_t Items(const MetricsBatch& b) { return b->DataPointCount(); }
size_t Items(const TracesBatch& b) { return b->SpanCount(); }
size_t Items(const LogsBatch& b) { return b->LogRecordCount(); }

void SleepFor(Duration d) {
  if (d.count() > 0) std::this_thread::sleep_for(d);
}

Status ConfiguredFailure(const TestConfig& config, const std::string& who) {
  if (config.fail == "unavailable") return Unavailable(who + " is unavailable");
  if (config.fail == "permanent") return InvalidArgument(who + " rejects the data");
  return Status::Ok();
}

const TestConfig& AsTestConfig(const ComponentConfig& config) {
  // The factories below only ever see configs they created.
  return static_cast<const TestConfig&>(config);
}

}  // namespace

void TestConfig::Visit(config::Visitor& v) {
  v.Field("fail_start", fail_start);
  v.Field("fail_shutdown", fail_shutdown);
  v.Field("fail_validate", fail_validate);
  v.Field("start_delay", start_delay);
  v.Field("shutdown_delay", shutdown_delay);
  v.Field("consume_delay", consume_delay);
  v.Field("mutate", mutate);
  v.Field("fail", fail);
  v.Field("record_consume", record_consume);
  v.Field("shutdown_wait_for", shutdown_wait_for);
}

Status TestConfig::Validate() const {
  if (fail_validate) return InvalidArgument("fail_validate is set");
  if (!fail.empty() && fail != "unavailable" && fail != "permanent") {
    return InvalidArgument("fail must be one of \"\", \"unavailable\", \"permanent\"");
  }
  return Status::Ok();
}

// ---- Ledger ----

void Ledger::Record(std::string event) {
  {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(event));
  }
  cv_.notify_all();
}

std::vector<std::string> Ledger::events() const {
  std::lock_guard lock(mu_);
  return events_;
}

std::vector<std::string> Ledger::EventsWithPrefix(const std::string& prefix) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& e : events_) {
    if (e.compare(0, prefix.size(), prefix) == 0) out.push_back(e);
  }
  return out;
}

void Ledger::Clear() {
  std::lock_guard lock(mu_);
  events_.clear();
}

bool Ledger::WaitFor(const std::string& event, Duration timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] {
    return std::find(events_.begin(), events_.end(), event) != events_.end();
  });
}

TestLifecycle* Ledger::Find(Kind kind, const std::string& id) const {
  std::lock_guard lock(mu_);
  for (auto it = live_.rbegin(); it != live_.rend(); ++it) {
    if (it->kind == kind && it->id == id) return it->instance;
  }
  return nullptr;
}

TestReceiver* Ledger::Receiver(const std::string& id) const {
  return static_cast<TestReceiver*>(Find(Kind::kReceiver, id));
}
SinkExporter* Ledger::Exporter(const std::string& id) const {
  return static_cast<SinkExporter*>(Find(Kind::kExporter, id));
}
TestExtension* Ledger::Extension(const std::string& id) const {
  return static_cast<TestExtension*>(Find(Kind::kExtension, id));
}

std::vector<TestProcessor*> Ledger::Processors(const std::string& id) const {
  std::lock_guard lock(mu_);
  std::vector<TestProcessor*> out;
  for (const auto& l : live_) {
    if (l.kind == Kind::kProcessor && l.id == id)
      out.push_back(static_cast<TestProcessor*>(l.instance));
  }
  return out;
}

int Ledger::Created(Kind kind, const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = created_.find({kind, id});
  return it == created_.end() ? 0 : it->second;
}

void Ledger::Register(Kind kind, const std::string& id, TestLifecycle* instance) {
  std::lock_guard lock(mu_);
  live_.push_back({kind, id, instance});
  ++created_[{kind, id}];
}

void Ledger::Unregister(TestLifecycle* instance) {
  std::lock_guard lock(mu_);
  std::erase_if(live_, [&](const Live& l) { return l.instance == instance; });
}

// ---- TestLifecycle ----

TestLifecycle::TestLifecycle(std::shared_ptr<Ledger> ledger, Kind kind, config::ComponentId id,
                             const TestConfig& config)
    : ledger_(std::move(ledger)), kind_(kind), id_(std::move(id)), config_(config) {
  ledger_->Register(kind_, id_.ToString(), this);
}

TestLifecycle::~TestLifecycle() { ledger_->Unregister(this); }

std::string TestLifecycle::Name() const {
  return std::string(KindName(kind_)) + " " + id_.ToString();
}

Status TestLifecycle::DoStart(Host& host) {
  SleepFor(config_.start_delay);
  {
    std::lock_guard lock(mu_);
    ++start_calls_;
    if (start_calls_ > 1) return FailedPrecondition(Name() + " started twice");
    host_ = &host;
  }
  ledger_->Record("start " + Name());
  if (config_.fail_start) return Internal(Name() + " refused to start");
  std::lock_guard lock(mu_);
  started_ = true;
  return Status::Ok();
}

Status TestLifecycle::DoShutdown(Deadline deadline, const std::function<void(Deadline)>& stop) {
  bool first = false;
  {
    std::lock_guard lock(mu_);
    ++shutdown_calls_;
    first = !shut_down_;
    shut_down_ = true;
  }
  ledger_->Record("shutdown " + Name());
  if (first && stop) stop(deadline);
  if (first) SleepFor(config_.shutdown_delay);
  if (first && !config_.shutdown_wait_for.empty()) {
    auto left = deadline - std::chrono::steady_clock::now();
    if (left.count() > 0) ledger_->WaitFor(config_.shutdown_wait_for, left);
  }
  ledger_->Record("shutdown-done " + Name());
  if (config_.fail_shutdown) return Internal(Name() + " failed to shut down");
  return Status::Ok();
}

bool TestLifecycle::started() const {
  std::lock_guard lock(mu_);
  return started_;
}
bool TestLifecycle::shut_down() const {
  std::lock_guard lock(mu_);
  return shut_down_;
}
int TestLifecycle::start_calls() const {
  std::lock_guard lock(mu_);
  return start_calls_;
}
int TestLifecycle::shutdown_calls() const {
  std::lock_guard lock(mu_);
  return shutdown_calls_;
}
Host* TestLifecycle::host() const {
  std::lock_guard lock(mu_);
  return host_;
}

// ---- TestReceiver ----

TestReceiver::TestReceiver(std::shared_ptr<Ledger> ledger, const CreateSettings& settings,
                           const TestConfig& config, ReceiverConsumers next)
    : TestLifecycle(std::move(ledger), Kind::kReceiver, settings.id, config), next_(next) {
  Telemetry& t = *settings.telemetry;
  std::string id = settings.id.ToString();
  metrics_inst_ = ReceiverInstruments::Create(t, id, "metrics", "test");
  traces_inst_ = ReceiverInstruments::Create(t, id, "traces", "test");
  logs_inst_ = ReceiverInstruments::Create(t, id, "logs", "test");
}

Status TestReceiver::Start(Host& host) {
  RETURN_IF_ERROR(DoStart(host));
  std::lock_guard lock(emit_mu_);
  accepting_ = !shut_down();
  return Status::Ok();
}

Status TestReceiver::Shutdown(Deadline deadline) {
  return DoShutdown(deadline, [this](Deadline d) {
    std::unique_lock lock(emit_mu_);
    accepting_ = false;
    emit_cv_.wait_until(lock, d, [this] { return in_flight_ == 0; });
  });
}

template <typename B>
Status TestReceiver::Emit(Consumer* consumer, B batch, size_t items, Signal signal) {
  ReceiverInstruments& inst = signal == Signal::kMetrics  ? metrics_inst_
                              : signal == Signal::kTraces ? traces_inst_
                                                          : logs_inst_;
  if (consumer == nullptr) {
    return FailedPrecondition(Name() + " is in no " + std::string(SignalName(signal)) +
                              " pipeline");
  }
  {
    std::lock_guard lock(emit_mu_);
    if (!accepting_) return Unavailable(Name() + " is not running");
    ++in_flight_;
  }
  Status s;
  if constexpr (std::is_same_v<B, MetricsBatch>) s = consumer->ConsumeMetrics(std::move(batch));
  if constexpr (std::is_same_v<B, TracesBatch>) s = consumer->ConsumeTraces(std::move(batch));
  if constexpr (std::is_same_v<B, LogsBatch>) s = consumer->ConsumeLogs(std::move(batch));
  (s.ok() ? inst.accepted : inst.refused)->Add(static_cast<double>(items));
  {
    std::lock_guard lock(emit_mu_);
    --in_flight_;
  }
  emit_cv_.notify_all();
  return s;
}

Status TestReceiver::EmitMetrics(MetricsBatch batch) {
  size_t n = Items(batch);
  return Emit(next_.metrics, std::move(batch), n, Signal::kMetrics);
}
Status TestReceiver::EmitTraces(TracesBatch batch) {
  size_t n = Items(batch);
  return Emit(next_.traces, std::move(batch), n, Signal::kTraces);
}
Status TestReceiver::EmitLogs(LogsBatch batch) {
  size_t n = Items(batch);
  return Emit(next_.logs, std::move(batch), n, Signal::kLogs);
}

void TestReceiver::ReportFatal(Status status) {
  Host* h = host();
  if (h != nullptr) h->ReportFatalError(id_, std::move(status));
}

// ---- TestProcessor ----

TestProcessor::TestProcessor(std::shared_ptr<Ledger> ledger, const CreateSettings& settings,
                             const TestConfig& config, Signal signal, Consumer& next)
    : TestLifecycle(std::move(ledger), Kind::kProcessor, settings.id, config),
      signal_(signal),
      next_(next) {}

Status TestProcessor::Start(Host& host) { return DoStart(host); }
Status TestProcessor::Shutdown(Deadline deadline) { return DoShutdown(deadline, nullptr); }

template <typename B>
Status TestProcessor::Process(B batch) {
  if (config_.record_consume) ledger_->Record("consume " + Name());
  consumed_.fetch_add(1);
  SleepFor(config_.consume_delay);
  RETURN_IF_ERROR(ConfiguredFailure(config_, Name()));
  if (config_.mutate) batch.Mutable();
  if constexpr (std::is_same_v<B, MetricsBatch>) return next_.ConsumeMetrics(std::move(batch));
  if constexpr (std::is_same_v<B, TracesBatch>) return next_.ConsumeTraces(std::move(batch));
  if constexpr (std::is_same_v<B, LogsBatch>) return next_.ConsumeLogs(std::move(batch));
}

Status TestProcessor::ConsumeMetrics(MetricsBatch batch) { return Process(std::move(batch)); }
Status TestProcessor::ConsumeTraces(TracesBatch batch) { return Process(std::move(batch)); }
Status TestProcessor::ConsumeLogs(LogsBatch batch) { return Process(std::move(batch)); }
int64_t TestProcessor::consumed() const { return consumed_.load(); }

// ---- SinkExporter ----

SinkExporter::SinkExporter(std::shared_ptr<Ledger> ledger, const CreateSettings& settings,
                           const TestConfig& config)
    : TestLifecycle(std::move(ledger), Kind::kExporter, settings.id, config) {
  Telemetry& t = *settings.telemetry;
  std::string id = settings.id.ToString();
  metrics_inst_ = ExporterInstruments::Create(t, id, "metrics");
  traces_inst_ = ExporterInstruments::Create(t, id, "traces");
  logs_inst_ = ExporterInstruments::Create(t, id, "logs");
}

Status SinkExporter::Start(Host& host) { return DoStart(host); }
Status SinkExporter::Shutdown(Deadline deadline) { return DoShutdown(deadline, nullptr); }

template <typename B>
Status SinkExporter::Keep(B batch, std::vector<B>& into, size_t items, ExporterInstruments& inst) {
  if (shut_down()) after_shutdown_.fetch_add(1);
  SleepFor(config_.consume_delay);
  Status s = ConfiguredFailure(config_, Name());
  if (!s.ok()) {
    inst.failed->Add(static_cast<double>(items));
    return s;
  }
  if (config_.mutate) batch.Mutable();
  {
    std::lock_guard lock(data_mu_);
    into.push_back(std::move(batch));
  }
  inst.sent->Add(static_cast<double>(items));
  return Status::Ok();
}

Status SinkExporter::ConsumeMetrics(MetricsBatch batch) {
  size_t n = Items(batch);
  return Keep(std::move(batch), metrics_, n, metrics_inst_);
}
Status SinkExporter::ConsumeTraces(TracesBatch batch) {
  size_t n = Items(batch);
  return Keep(std::move(batch), traces_, n, traces_inst_);
}
Status SinkExporter::ConsumeLogs(LogsBatch batch) {
  size_t n = Items(batch);
  return Keep(std::move(batch), logs_, n, logs_inst_);
}

std::vector<MetricsBatch> SinkExporter::metrics() const {
  std::lock_guard lock(data_mu_);
  return metrics_;
}
std::vector<TracesBatch> SinkExporter::traces() const {
  std::lock_guard lock(data_mu_);
  return traces_;
}
std::vector<LogsBatch> SinkExporter::logs() const {
  std::lock_guard lock(data_mu_);
  return logs_;
}
int64_t SinkExporter::after_shutdown() const { return after_shutdown_.load(); }

// ---- TestExtension ----

TestExtension::TestExtension(std::shared_ptr<Ledger> ledger, const CreateSettings& settings,
                             const TestConfig& config)
    : TestLifecycle(std::move(ledger), Kind::kExtension, settings.id, config) {}

Status TestExtension::Start(Host& host) { return DoStart(host); }
Status TestExtension::Shutdown(Deadline deadline) { return DoShutdown(deadline, nullptr); }
void TestExtension::NotifyPipelinesReady() {
  ready_ = true;
  ledger_->Record("ready " + Name());
}
void TestExtension::NotifyPipelinesNotReady() {
  ready_ = false;
  ledger_->Record("notready " + Name());
}

// ---- Factories ----

std::vector<Signal> AllSignals() { return {Signal::kMetrics, Signal::kTraces, Signal::kLogs}; }

namespace {
bool Contains(const std::vector<Signal>& signals, Signal s) {
  return std::find(signals.begin(), signals.end(), s) != signals.end();
}
}  // namespace

TestReceiverFactory::TestReceiverFactory(std::shared_ptr<Ledger> ledger, std::string type,
                                         std::vector<Signal> signals)
    : ledger_(std::move(ledger)), type_(std::move(type)), signals_(std::move(signals)) {}
bool TestReceiverFactory::Supports(Signal signal) const { return Contains(signals_, signal); }
std::unique_ptr<ComponentConfig> TestReceiverFactory::CreateDefaultConfig() const {
  return std::make_unique<TestConfig>();
}
Result<std::unique_ptr<Receiver>> TestReceiverFactory::CreateReceiver(
    const CreateSettings& settings, const ComponentConfig& config, ReceiverConsumers next) const {
  std::unique_ptr<Receiver> r =
      std::make_unique<TestReceiver>(ledger_, settings, AsTestConfig(config), next);
  return r;
}

TestProcessorFactory::TestProcessorFactory(std::shared_ptr<Ledger> ledger, std::string type,
                                           std::vector<Signal> signals)
    : ledger_(std::move(ledger)), type_(std::move(type)), signals_(std::move(signals)) {}
bool TestProcessorFactory::Supports(Signal signal) const { return Contains(signals_, signal); }
std::unique_ptr<ComponentConfig> TestProcessorFactory::CreateDefaultConfig() const {
  return std::make_unique<TestConfig>();
}
Result<std::unique_ptr<Processor>> TestProcessorFactory::CreateProcessor(
    const CreateSettings& settings, const ComponentConfig& config, Signal signal,
    Consumer& next) const {
  std::unique_ptr<Processor> p =
      std::make_unique<TestProcessor>(ledger_, settings, AsTestConfig(config), signal, next);
  return p;
}

SinkExporterFactory::SinkExporterFactory(std::shared_ptr<Ledger> ledger, std::string type,
                                         std::vector<Signal> signals)
    : ledger_(std::move(ledger)), type_(std::move(type)), signals_(std::move(signals)) {}
bool SinkExporterFactory::Supports(Signal signal) const { return Contains(signals_, signal); }
std::unique_ptr<ComponentConfig> SinkExporterFactory::CreateDefaultConfig() const {
  return std::make_unique<TestConfig>();
}
Result<std::unique_ptr<Exporter>> SinkExporterFactory::CreateExporter(
    const CreateSettings& settings, const ComponentConfig& config) const {
  std::unique_ptr<Exporter> e =
      std::make_unique<SinkExporter>(ledger_, settings, AsTestConfig(config));
  return e;
}

TestExtensionFactory::TestExtensionFactory(std::shared_ptr<Ledger> ledger, std::string type)
    : ledger_(std::move(ledger)), type_(std::move(type)) {}
std::unique_ptr<ComponentConfig> TestExtensionFactory::CreateDefaultConfig() const {
  return std::make_unique<TestConfig>();
}
Result<std::unique_ptr<Extension>> TestExtensionFactory::CreateExtension(
    const CreateSettings& settings, const ComponentConfig& config) const {
  std::unique_ptr<Extension> e =
      std::make_unique<TestExtension>(ledger_, settings, AsTestConfig(config));
  return e;
}

// ---- TestHost ----

Extension* TestHost::GetExtension(const config::ComponentId& id) {
  std::lock_guard lock(mu_);
  auto it = extensions_.find(id);
  return it == extensions_.end() ? nullptr : it->second;
}

std::vector<std::pair<config::ComponentId, Extension*>> TestHost::GetExtensions() {
  std::lock_guard lock(mu_);
  return {extensions_.begin(), extensions_.end()};
}

void TestHost::ReportFatalError(const config::ComponentId&, Status status) {
  std::lock_guard lock(mu_);
  fatal_errors_.push_back(std::move(status));
}

void TestHost::AddExtension(const config::ComponentId& id, Extension* extension) {
  std::lock_guard lock(mu_);
  extensions_[id] = extension;
}

std::vector<Status> TestHost::fatal_errors() const {
  std::lock_guard lock(mu_);
  return fatal_errors_;
}

}  // namespace astrolabe::component::test
