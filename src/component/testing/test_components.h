#pragma once
// Test components: small receivers, processors, exporters and extensions for tests of
// the pipeline and of anything that runs one (the app's reload, the health check). They
// record what happens to them in a shared Ledger, so a test can assert the order of
// Start/Shutdown calls, which instances exist, and what data reached an exporter.
//
//   auto ledger = std::make_shared<test::Ledger>();
//   registry.Add(std::make_unique<test::TestReceiverFactory>(ledger));
//   registry.Add(std::make_unique<test::SinkExporterFactory>(ledger));
//   ... build and start a pipeline::Service from "test_receiver" → "sink" ...
//   ledger->Receiver("test_receiver")->EmitMetrics(batch);
//   EXPECT_EQ(ledger->Exporter("sink")->metrics().size(), 1u);
//
// Behaviour is chosen per instance through TestConfig (fail_start, shutdown_delay,
// mutate, fail, ...), so one pipeline can mix well-behaved and misbehaving components.
//
// Thread-safety: every class here is thread-safe. Emit*/Consume* may run on any number
// of threads concurrently with each other and with Shutdown.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "component/component.h"
#include "component/factory.h"
#include "component/host.h"
#include "component/telemetry.h"

namespace astrolabe::component::test {

// The one config type of every test component. Keys are the field names.
struct TestConfig : ComponentConfig {
  bool fail_start = false;     // Start returns Internal("<kind> <id> refused to start")
  bool fail_shutdown = false;  // Shutdown returns Internal (after doing its work)
  bool fail_validate = false;  // Validate returns InvalidArgument
  Duration start_delay{0};     // Start sleeps this long first
  Duration shutdown_delay{0};  // Shutdown sleeps this long, ignoring its deadline
  Duration consume_delay{0};   // processors/exporters: each Consume* sleeps this long
  bool mutate = false;         // processors/exporters: MutatesData() and call Mutable()
  std::string fail;            // processors/exporters: "" | "unavailable" | "permanent"
  bool record_consume = true;  // processors: record "consume processor <id>" events
  // Shutdown waits (up to its deadline) until the ledger records this event; lets a test
  // hold a component in its Shutdown while it inspects the graph.
  std::string shutdown_wait_for;

  void Visit(config::Visitor& v) override;
  Status Validate() const override;
};

class TestReceiver;
class TestProcessor;
class SinkExporter;
class TestExtension;
class TestLifecycle;

// Shared by the test factories of one test: an ordered log of events and the live
// instances. Events read "<verb> <kind> <id>": "start exporter sink", "shutdown receiver
// r/1", "shutdown-done receiver r/1", "consume processor tag/a", "ready extension ext",
// "notready extension ext".
class Ledger {
 public:
  void Record(std::string event);
  std::vector<std::string> events() const;
  // Events starting with `prefix` ("start ", "shutdown "), in order.
  std::vector<std::string> EventsWithPrefix(const std::string& prefix) const;
  void Clear();
  // Waits until `event` has been recorded; false on timeout.
  bool WaitFor(const std::string& event, Duration timeout) const;

  // The live instance with this id (the newest when several exist), or nullptr. Instances
  // unregister in their destructor: a pointer stays valid while its owner (the Service)
  // keeps the component, so look instances up after Start and use them before Shutdown
  // returns or the service is destroyed.
  TestReceiver* Receiver(const std::string& id) const;
  SinkExporter* Exporter(const std::string& id) const;
  TestExtension* Extension(const std::string& id) const;
  // Every live processor instance with this id (one per pipeline), in creation order.
  std::vector<TestProcessor*> Processors(const std::string& id) const;
  // How many instances of (kind, id) were ever created.
  int Created(Kind kind, const std::string& id) const;

  // Called by the components themselves.
  void Register(Kind kind, const std::string& id, TestLifecycle* instance);
  void Unregister(TestLifecycle* instance);

 private:
  struct Live {
    Kind kind;
    std::string id;
    TestLifecycle* instance;
  };
  TestLifecycle* Find(Kind kind, const std::string& id) const;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<std::string> events_;                      // GUARDED_BY(mu_)
  std::vector<Live> live_;                               // GUARDED_BY(mu_)
  std::map<std::pair<Kind, std::string>, int> created_;  // GUARDED_BY(mu_)
};

// Common Start/Shutdown behaviour of the test components.
class TestLifecycle {
 public:
  TestLifecycle(std::shared_ptr<Ledger> ledger, Kind kind, config::ComponentId id,
                const TestConfig& config);
  ~TestLifecycle();
  TestLifecycle(const TestLifecycle&) = delete;
  TestLifecycle& operator=(const TestLifecycle&) = delete;

  Status DoStart(Host& host);
  // Records "shutdown <kind> <id>", runs `stop` (under no lock) on the first call only,
  // sleeps shutdown_delay, records "shutdown-done <kind> <id>".
  Status DoShutdown(Deadline deadline, const std::function<void(Deadline)>& stop);

  const config::ComponentId& id() const { return id_; }
  Ledger& ledger() const { return *ledger_; }
  const TestConfig& config() const { return config_; }
  bool started() const;
  bool shut_down() const;
  int start_calls() const;
  int shutdown_calls() const;
  Host* host() const;

 protected:
  std::string Name() const;  // "<kind> <id>"

  std::shared_ptr<Ledger> ledger_;
  Kind kind_;
  config::ComponentId id_;
  TestConfig config_;
  mutable std::mutex mu_;
  Host* host_ = nullptr;    // GUARDED_BY(mu_)
  bool started_ = false;    // GUARDED_BY(mu_)
  bool shut_down_ = false;  // GUARDED_BY(mu_)
  int start_calls_ = 0;     // GUARDED_BY(mu_)
  int shutdown_calls_ = 0;  // GUARDED_BY(mu_)
};

// A receiver that pushes what the test gives it. Emit* returns the pipeline's answer, or
// kUnavailable when the receiver is not running (before Start, after Shutdown). Shutdown
// waits for in-flight Emit* calls to return (as an HTTP server finishes its requests),
// so nothing reaches the pipeline after Shutdown returns. Counts accepted/refused items
// with ReceiverInstruments (transport "test").
class TestReceiver : public Receiver, public TestLifecycle {
 public:
  TestReceiver(std::shared_ptr<Ledger> ledger, const CreateSettings& settings,
               const TestConfig& config, ReceiverConsumers next);
  Status Start(Host& host) override;
  Status Shutdown(Deadline deadline) override;

  Status EmitMetrics(MetricsBatch batch);
  Status EmitTraces(TracesBatch batch);
  Status EmitLogs(LogsBatch batch);
  // Calls Host::ReportFatalError with this receiver's id. REQUIRES: started.
  void ReportFatal(Status status);
  // The consumers the pipeline gave this receiver.
  const ReceiverConsumers& next() const { return next_; }

 private:
  template <typename B>
  Status Emit(Consumer* consumer, B batch, size_t items, Signal signal);

  ReceiverConsumers next_;
  ReceiverInstruments metrics_inst_, traces_inst_, logs_inst_;
  std::mutex emit_mu_;
  std::condition_variable emit_cv_;
  bool accepting_ = false;  // GUARDED_BY(emit_mu_)
  int in_flight_ = 0;       // GUARDED_BY(emit_mu_)
};

// A processor that records "consume processor <id>" (if record_consume), optionally calls
// Mutable() (mutate), sleeps (consume_delay), fails (fail), then forwards to next.
class TestProcessor : public Processor, public TestLifecycle {
 public:
  TestProcessor(std::shared_ptr<Ledger> ledger, const CreateSettings& settings,
                const TestConfig& config, Signal signal, Consumer& next);
  Status Start(Host& host) override;
  Status Shutdown(Deadline deadline) override;
  Status ConsumeMetrics(MetricsBatch batch) override;
  Status ConsumeTraces(TracesBatch batch) override;
  Status ConsumeLogs(LogsBatch batch) override;
  bool MutatesData() const override { return config_.mutate; }

  Signal signal() const { return signal_; }
  int64_t consumed() const;

 private:
  template <typename B>
  Status Process(B batch);

  Signal signal_;
  Consumer& next_;
  std::atomic<int64_t> consumed_{0};
};

// An exporter that keeps every batch it is given (after Mutable() when mutate), or fails
// with `fail`. Counts sent/failed items with ExporterInstruments, as a real exporter does.
class SinkExporter : public Exporter, public TestLifecycle {
 public:
  SinkExporter(std::shared_ptr<Ledger> ledger, const CreateSettings& settings,
               const TestConfig& config);
  Status Start(Host& host) override;
  Status Shutdown(Deadline deadline) override;
  Status ConsumeMetrics(MetricsBatch batch) override;
  Status ConsumeTraces(TracesBatch batch) override;
  Status ConsumeLogs(LogsBatch batch) override;
  bool MutatesData() const override { return config_.mutate; }

  std::vector<MetricsBatch> metrics() const;
  std::vector<TracesBatch> traces() const;
  std::vector<LogsBatch> logs() const;
  // Batches received after this exporter's Shutdown began (a drain bug when > 0).
  int64_t after_shutdown() const;

 private:
  template <typename B>
  Status Keep(B batch, std::vector<B>& into, size_t items, ExporterInstruments& inst);

  ExporterInstruments metrics_inst_, traces_inst_, logs_inst_;
  mutable std::mutex data_mu_;
  std::vector<MetricsBatch> metrics_;  // GUARDED_BY(data_mu_)
  std::vector<TracesBatch> traces_;    // GUARDED_BY(data_mu_)
  std::vector<LogsBatch> logs_;        // GUARDED_BY(data_mu_)
  std::atomic<int64_t> after_shutdown_{0};
};

// An extension that records "ready extension <id>" / "notready extension <id>".
class TestExtension : public Extension, public TestLifecycle {
 public:
  TestExtension(std::shared_ptr<Ledger> ledger, const CreateSettings& settings,
                const TestConfig& config);
  Status Start(Host& host) override;
  Status Shutdown(Deadline deadline) override;
  void NotifyPipelinesReady() override;
  void NotifyPipelinesNotReady() override;
  bool ready() const { return ready_.load(); }

 private:
  std::atomic<bool> ready_{false};
};

// Factories. `type` is the component type they register under; `signals` the signals
// they support (all three by default).
std::vector<Signal> AllSignals();

class TestReceiverFactory : public ReceiverFactory {
 public:
  explicit TestReceiverFactory(std::shared_ptr<Ledger> ledger, std::string type = "test_receiver",
                               std::vector<Signal> signals = AllSignals());
  std::string_view type() const override { return type_; }
  bool Supports(Signal signal) const override;
  std::unique_ptr<ComponentConfig> CreateDefaultConfig() const override;
  Result<std::unique_ptr<Receiver>> CreateReceiver(const CreateSettings& settings,
                                                   const ComponentConfig& config,
                                                   ReceiverConsumers next) const override;

 private:
  std::shared_ptr<Ledger> ledger_;
  std::string type_;
  std::vector<Signal> signals_;
};

class TestProcessorFactory : public ProcessorFactory {
 public:
  explicit TestProcessorFactory(std::shared_ptr<Ledger> ledger, std::string type = "test_processor",
                                std::vector<Signal> signals = AllSignals());
  std::string_view type() const override { return type_; }
  bool Supports(Signal signal) const override;
  std::unique_ptr<ComponentConfig> CreateDefaultConfig() const override;
  Result<std::unique_ptr<Processor>> CreateProcessor(const CreateSettings& settings,
                                                     const ComponentConfig& config, Signal signal,
                                                     Consumer& next) const override;

 private:
  std::shared_ptr<Ledger> ledger_;
  std::string type_;
  std::vector<Signal> signals_;
};

class SinkExporterFactory : public ExporterFactory {
 public:
  explicit SinkExporterFactory(std::shared_ptr<Ledger> ledger, std::string type = "sink",
                               std::vector<Signal> signals = AllSignals());
  std::string_view type() const override { return type_; }
  bool Supports(Signal signal) const override;
  std::unique_ptr<ComponentConfig> CreateDefaultConfig() const override;
  Result<std::unique_ptr<Exporter>> CreateExporter(const CreateSettings& settings,
                                                   const ComponentConfig& config) const override;

 private:
  std::shared_ptr<Ledger> ledger_;
  std::string type_;
  std::vector<Signal> signals_;
};

class TestExtensionFactory : public ExtensionFactory {
 public:
  explicit TestExtensionFactory(std::shared_ptr<Ledger> ledger,
                                std::string type = "test_extension");
  std::string_view type() const override { return type_; }
  std::unique_ptr<ComponentConfig> CreateDefaultConfig() const override;
  Result<std::unique_ptr<Extension>> CreateExtension(const CreateSettings& settings,
                                                     const ComponentConfig& config) const override;

 private:
  std::shared_ptr<Ledger> ledger_;
  std::string type_;
};

// A Host for tests that run a component outside a pipeline::Service: no extensions
// (unless added), fatal errors recorded, its own Telemetry. Thread-safe.
class TestHost : public Host {
 public:
  Extension* GetExtension(const config::ComponentId& id) override;
  std::vector<std::pair<config::ComponentId, Extension*>> GetExtensions() override;
  void ReportFatalError(const config::ComponentId& id, Status status) override;
  Telemetry& telemetry() override { return telemetry_; }

  void AddExtension(const config::ComponentId& id, Extension* extension);
  std::vector<Status> fatal_errors() const;

 private:
  mutable std::mutex mu_;
  std::map<config::ComponentId, Extension*> extensions_;  // GUARDED_BY(mu_)
  std::vector<Status> fatal_errors_;                      // GUARDED_BY(mu_)
  Telemetry telemetry_;
};

// A consumer that accepts and drops everything; for receivers and processors under test.
class NopConsumer : public Consumer {
 public:
  Status ConsumeMetrics(MetricsBatch) override { return Status::Ok(); }
  Status ConsumeTraces(TracesBatch) override { return Status::Ok(); }
  Status ConsumeLogs(LogsBatch) override { return Status::Ok(); }
};

}  // namespace astrolabe::component::test
