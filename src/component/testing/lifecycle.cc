#include "component/testing/lifecycle.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "component/testing/test_components.h"

namespace astrolabe::component::test {
namespace {

constexpr auto kShutdownBudget = std::chrono::seconds(10);

Deadline SoonDeadline() { return std::chrono::steady_clock::now() + kShutdownBudget; }

// Creates one component (or one per supported signal for processors) from `factory`.
// Instances keep references to `config` and `next`, which outlive them.
std::vector<std::unique_ptr<Component>> Create(const Factory& factory,
                                               const CreateSettings& settings,
                                               const ComponentConfig& config, Consumer& next) {
  std::vector<std::unique_ptr<Component>> out;
  const std::string what =
      std::string(KindName(factory.kind())) + " " + std::string(factory.type());
  switch (factory.kind()) {
    case Kind::kReceiver: {
      ReceiverConsumers consumers;
      if (factory.Supports(Signal::kMetrics)) consumers.metrics = &next;
      if (factory.Supports(Signal::kTraces)) consumers.traces = &next;
      if (factory.Supports(Signal::kLogs)) consumers.logs = &next;
      auto r =
          static_cast<const ReceiverFactory&>(factory).CreateReceiver(settings, config, consumers);
      if (!r.ok()) {
        ADD_FAILURE() << what << ": CreateReceiver: " << r.status().ToString();
        break;
      }
      out.push_back(std::move(r).value());
      break;
    }
    case Kind::kProcessor: {
      for (Signal s : AllSignals()) {
        if (!factory.Supports(s)) continue;
        auto p = static_cast<const ProcessorFactory&>(factory).CreateProcessor(settings, config, s,
                                                                               next);
        if (!p.ok()) {
          ADD_FAILURE() << what << ": CreateProcessor(" << SignalName(s)
                        << "): " << p.status().ToString();
          continue;
        }
        out.push_back(std::move(p).value());
      }
      break;
    }
    case Kind::kExporter: {
      auto e = static_cast<const ExporterFactory&>(factory).CreateExporter(settings, config);
      if (!e.ok()) {
        ADD_FAILURE() << what << ": CreateExporter: " << e.status().ToString();
        break;
      }
      out.push_back(std::move(e).value());
      break;
    }
    case Kind::kExtension: {
      auto x = static_cast<const ExtensionFactory&>(factory).CreateExtension(settings, config);
      if (!x.ok()) {
        ADD_FAILURE() << what << ": CreateExtension: " << x.status().ToString();
        break;
      }
      out.push_back(std::move(x).value());
      break;
    }
  }
  if (out.empty() && factory.kind() == Kind::kProcessor) {
    ADD_FAILURE() << what << ": supports no signal";
  }
  return out;
}

}  // namespace

void RunLifecycleTests(const Factory& factory) { RunLifecycleTests(factory, nullptr); }

void RunLifecycleTests(const Factory& factory,
                       const std::function<void(ComponentConfig&)>& adjust) {
  RunLifecycleTests(factory, adjust, nullptr);
}

void RunLifecycleTests(const Factory& factory, const std::function<void(ComponentConfig&)>& adjust,
                       const std::function<void(TestHost&)>& prepare) {
  const std::string what =
      std::string(KindName(factory.kind())) + " \"" + std::string(factory.type()) + "\"";
  SCOPED_TRACE(what);

  // 1. The default config is valid as shipped.
  std::unique_ptr<ComponentConfig> config = factory.CreateDefaultConfig();
  ASSERT_NE(config, nullptr) << what << ": CreateDefaultConfig returned null";
  Status valid = config->Validate();
  EXPECT_TRUE(valid.ok()) << what << ": default config is invalid: " << valid.ToString();
  if (adjust) adjust(*config);

  TestHost host;
  if (prepare) prepare(host);
  NopConsumer next;
  CreateSettings settings;
  settings.id = config::ComponentId{std::string(factory.type()), ""};
  settings.telemetry = &host.telemetry();

  // 2. Shutdown without Start.
  {
    SCOPED_TRACE("Shutdown without Start");
    for (auto& c : Create(factory, settings, *config, next)) {
      Status s = c->Shutdown(SoonDeadline());
      EXPECT_TRUE(s.ok()) << what << ": Shutdown without Start: " << s.ToString();
    }
  }

  // 3 and 4. Start, Shutdown, Shutdown again.
  {
    SCOPED_TRACE("Start, Shutdown, Shutdown");
    for (auto& c : Create(factory, settings, *config, next)) {
      Status started = c->Start(host);
      EXPECT_TRUE(started.ok()) << what << ": Start: " << started.ToString();
      auto begin = std::chrono::steady_clock::now();
      Status first = c->Shutdown(SoonDeadline());
      EXPECT_TRUE(first.ok()) << what << ": Shutdown after Start: " << first.ToString();
      EXPECT_LT(std::chrono::steady_clock::now() - begin, kShutdownBudget + std::chrono::seconds(1))
          << what << ": Shutdown overran its deadline";
      Status second = c->Shutdown(SoonDeadline());
      EXPECT_TRUE(second.ok()) << what << ": second Shutdown: " << second.ToString();
    }
  }
  EXPECT_TRUE(host.fatal_errors().empty())
      << what << ": reported a fatal error: " << host.fatal_errors().front().ToString();
}

}  // namespace astrolabe::component::test
