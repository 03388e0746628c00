#pragma once
// The lifecycle test every factory in the project passes, from its own test:
//
//   TEST(OtlpHttpExporterFactory, Lifecycle) {
//     component::test::RunLifecycleTests(OtlpHttpExporterFactory());
//   }
//
// It asserts, with GoogleTest non-fatal failures naming the factory and step:
//   1. CreateDefaultConfig() returns a config whose Validate() is OK;
//   2. a component created from it can be shut down without being started;
//   3. a fresh component starts and shuts down cleanly;
//   4. a second Shutdown is OK (Shutdown is idempotent).
// Receivers get a NopConsumer for every signal the factory Supports(); processors are
// created once per supported signal; extensions and exporters once. Components are
// started with a component::test::TestHost.
//
// A default config that cannot start in a test (a fixed port already in use, an
// endpoint that must be set) is adjusted through `adjust`, called on the default config
// before steps 2-4 (not before step 1, which checks the default as shipped):
//
//   RunLifecycleTests(factory, [](ComponentConfig& c) {
//     static_cast<OtlpConfig&>(c).http.endpoint = "127.0.0.1:0";
//   });
//
// Thread: call from a test body (the GoogleTest thread).

#include <functional>

#include "component/factory.h"

namespace astrolabe::component::test {

void RunLifecycleTests(const Factory& factory);
void RunLifecycleTests(const Factory& factory, const std::function<void(ComponentConfig&)>& adjust);
// As above; `prepare` is called on the TestHost before anything starts, for components
// that need an extension to start (the store exporter needs a store extension).
class TestHost;
void RunLifecycleTests(const Factory& factory, const std::function<void(ComponentConfig&)>& adjust,
                       const std::function<void(TestHost&)>& prepare);

}  // namespace astrolabe::component::test
