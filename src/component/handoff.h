#pragma once
// Handoff: state a component leaves for the instance that replaces it on a config reload.
//
// A reload (pipeline/supervisor.h) shuts the old graph down and starts a new one built from
// fresh instances, so nothing survives in the components themselves. Some behaviour needs
// to know what the old instance was doing: the prometheus receiver writes stale markers for
// the series of targets (or whole jobs) the new config no longer has, as Prometheus does on
// reload. The Supervisor owns one Handoff for the life of the process and every Service's
// Host returns it (Host::handoff()); an instance Put()s under its component id at Shutdown,
// the next instance with the same id Take()s at Start. Outside a supervisor (tests,
// one-shot runs) Host::handoff() is null and nothing is kept.
//
// What is put is opaque here (shared_ptr<void>); the component that puts it knows its type.
// An entry nobody takes (the component left the config) stays until the next Put under its
// key or the end of the process.
// Thread-safe.

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace astrolabe::component {

class Handoff {
 public:
  // Replaces what `key` held.
  void Put(const std::string& key, std::shared_ptr<void> state) {
    std::lock_guard lock(mu_);
    entries_[key] = std::move(state);
  }
  // What `key` holds, removed; null when nothing.
  std::shared_ptr<void> Take(const std::string& key) {
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return nullptr;
    std::shared_ptr<void> out = std::move(it->second);
    entries_.erase(it);
    return out;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<void>> entries_;  // GUARDED_BY(mu_)
};

}  // namespace astrolabe::component
