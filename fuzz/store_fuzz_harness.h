#pragma once
// The server's store behind a fuzzed receiver, in-process and without sockets: a `store`
// extension on a fresh directory under /dev/shm (tsdb and span store, sync: interval so that
// no input waits for an fsync) and the `store` exporter started against it, as the server's
// built-in pipeline wires them (src/app/server_config.cc). Every `kRenewEvery` inputs the
// store is shut down, reopened on the same directory once (WAL replay and span-store open
// over fuzzed data), then replaced by an empty one, so memory and disk stay bounded.
// Used by otlp_http_store_fuzz.cc and remote_write_store_fuzz.cc.

#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "component/host.h"
#include "component/telemetry.h"
#include "exporter/store/store_exporter.h"
#include "extension/store/store_extension.h"
#include "scratch_dir.h"

namespace astrolabe::fuzz {

class FuzzHost : public component::Host {
 public:
  component::Extension* GetExtension(const config::ComponentId& id) override {
    auto it = extensions_.find(id);
    return it == extensions_.end() ? nullptr : it->second;
  }
  std::vector<std::pair<config::ComponentId, component::Extension*>> GetExtensions() override {
    return {extensions_.begin(), extensions_.end()};
  }
  void ReportFatalError(const config::ComponentId& id, Status status) override {
    std::fprintf(stderr, "fatal error from %s: %s\n", id.ToString().c_str(),
                 status.ToString().c_str());
    std::abort();
  }
  component::Telemetry& telemetry() override { return telemetry_; }
  void Set(const config::ComponentId& id, component::Extension* e) { extensions_[id] = e; }

 private:
  std::map<config::ComponentId, component::Extension*> extensions_;
  component::Telemetry telemetry_;
};

class StoreHarness {
 public:
  static constexpr int kRenewEvery = 2000;

  // Shuts the store down at exit (its background threads must not outlive the loggers and
  // other statics they use); registered after Open so that it runs before their destructors.
  StoreHarness() {
    Open(NewDir());
    current_ = this;
    std::atexit([] {
      if (current_ != nullptr) current_->Close(/*remove=*/true);
      current_ = nullptr;
    });
  }
  ~StoreHarness() {
    Close(/*remove=*/true);
    if (current_ == this) current_ = nullptr;
  }

  component::Consumer& consumer() { return *exporter_; }
  component::Telemetry& telemetry() { return host_.telemetry(); }

  // Call once per input, before using consumer().
  void Tick() {
    if (++inputs_ % kRenewEvery != 0) return;
    const std::string dir = dir_;
    Close(/*remove=*/false);
    Open(dir);  // reopen over what the inputs wrote: must work
    Close(/*remove=*/true);
    Open(NewDir());
  }

 private:
  static std::string NewDir() { return MakeTempDir("astrolabe-store-fuzz"); }

  void Open(const std::string& dir) {
    dir_ = dir;
    extension::store::Config c;
    c.directory = dir;
    c.metrics.wal.sync = "interval";
    c.spans.sync = "interval";
    component::CreateSettings s;
    s.id = {"store", ""};
    s.telemetry = &host_.telemetry();
    store_ = std::make_unique<extension::store::StoreExtension>(s, c);
    Status started = store_->Start(host_);
    if (!started.ok()) {
      std::fprintf(stderr, "store did not start on %s: %s\n", dir.c_str(),
                   started.ToString().c_str());
      std::abort();
    }
    host_.Set({"store", ""}, store_.get());
    exporter_ = std::make_unique<exporter::store::StoreExporter>(s, exporter::store::Config{});
    if (!exporter_->Start(host_).ok()) std::abort();
  }

  void Close(bool remove) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    if (exporter_) (void)exporter_->Shutdown(deadline);
    if (store_) (void)store_->Shutdown(deadline);
    exporter_.reset();
    store_.reset();
    if (remove) std::filesystem::remove_all(dir_);
  }

  FuzzHost host_;
  std::unique_ptr<extension::store::StoreExtension> store_;
  std::unique_ptr<exporter::store::StoreExporter> exporter_;
  std::string dir_;
  long inputs_ = 0;
  static inline StoreHarness* current_ = nullptr;
};

}  // namespace astrolabe::fuzz
