#include "node_series.h"

#include <cmath>
#include <string>

namespace astrolabe::bench {

NodeFleet::NodeFleet(NodeOptions options) : options_(options), rng_(options.seed) {
  std::uniform_real_distribution<double> u(0, 1);
  const char* modes[] = {"user", "system", "idle", "iowait", "irq", "softirq", "steal", "nice"};
  const double mode_share[] = {0.25, 0.08, 0.62, 0.02, 0.005, 0.01, 0.005, 0.01};
  const char* mem[] = {"MemTotal",  "MemFree",  "MemAvailable", "Buffers",  "Cached",
                       "SwapTotal", "SwapFree", "Active",       "Inactive", "Dirty"};
  for (int h = 0; h < options_.hosts; ++h) {
    std::string inst = "10.0." + std::to_string(h / 250) + "." + std::to_string(h % 250) + ":9100";
    auto L = [&](std::string name, std::vector<std::pair<std::string, std::string>> extra = {}) {
      std::vector<std::pair<std::string, std::string>> l = {
          {"__name__", std::move(name)}, {"instance", inst}, {"job", "node"}};
      l.insert(l.end(), extra.begin(), extra.end());
      return l;
    };
    double busy = 0.3 + 0.6 * u(rng_);
    for (int c = 0; c < 8; ++c) {
      for (int m = 0; m < 8; ++m) {
        // steal and nice stay at zero on most hosts.
        double share = m == 2 ? 1 - busy : (m == 6 || m == 7) ? 0 : mode_share[m] * busy / 0.38;
        Add(L("node_cpu_seconds_total", {{"cpu", std::to_string(c)}, {"mode", modes[m]}}),
            Kind::kCpu, std::floor(1e6 * u(rng_)) / 100, 15 * share);
      }
    }
    for (int i = 0; i < 10; ++i) {
      bool fixed = i == 0 || i == 5;
      Add(L(std::string("node_memory_") + mem[i] + "_bytes"),
          fixed ? Kind::kConst : Kind::kPageGauge, 4096.0 * std::floor(4e6 * u(rng_)),
          fixed ? 0 : 2000);
    }
    const char* mounts[] = {"/", "/var", "/boot"};
    for (const char* mp : mounts) {
      std::vector<std::pair<std::string, std::string>> fl = {
          {"device", "/dev/sda1"}, {"fstype", "ext4"}, {"mountpoint", mp}};
      Add(L("node_filesystem_avail_bytes", fl), Kind::kSlowPageGauge,
          4096.0 * std::floor(2e7 * u(rng_)), 50);
      Add(L("node_filesystem_size_bytes", fl), Kind::kConst, 4096.0 * 3e7, 0);
      Add(L("node_filesystem_files", fl), Kind::kConst, 6553600, 0);
      Add(L("node_filesystem_files_free", fl), Kind::kSmallGauge, 6e6, 3);
    }
    for (const char* dev : {"eth0", "lo"}) {
      double scale = dev[0] == 'e' ? 1 : 0.1;
      for (const char* dir : {"receive", "transmit"}) {
        std::vector<std::pair<std::string, std::string>> d = {{"device", dev}};
        Add(L(std::string("node_network_") + dir + "_bytes_total", d), Kind::kCounterInt,
            1e9 * u(rng_), 3e6 * scale);
        Add(L(std::string("node_network_") + dir + "_packets_total", d), Kind::kCounterInt,
            1e7 * u(rng_), 4e3 * scale);
        Add(L(std::string("node_network_") + dir + "_errs_total", d), Kind::kCounterInt, 0, 0.001);
        Add(L(std::string("node_network_") + dir + "_drop_total", d), Kind::kCounterInt, 10, 0.01);
      }
    }
    for (const char* dev : {"sda", "sdb"}) {
      std::vector<std::pair<std::string, std::string>> d = {{"device", dev}};
      Add(L("node_disk_reads_completed_total", d), Kind::kCounterInt, 1e6 * u(rng_), 20);
      Add(L("node_disk_writes_completed_total", d), Kind::kCounterInt, 1e6 * u(rng_), 120);
      Add(L("node_disk_read_bytes_total", d), Kind::kCounterInt, 4096 * std::floor(1e6 * u(rng_)),
          4096 * 200);
      Add(L("node_disk_written_bytes_total", d), Kind::kCounterInt,
          4096 * std::floor(1e6 * u(rng_)), 4096 * 900);
      Add(L("node_disk_io_time_seconds_total", d), Kind::kCounterMs, 1e4 * u(rng_), 0.6);
      Add(L("node_disk_read_time_seconds_total", d), Kind::kCounterMs, 1e4 * u(rng_), 0.2);
      Add(L("node_disk_write_time_seconds_total", d), Kind::kCounterMs, 1e4 * u(rng_), 1.1);
    }
    for (const char* l : {"node_load1", "node_load5", "node_load15"})
      Add(L(l), Kind::kLoad, 8 * busy, 0.3);
    Add(L("node_procs_running"), Kind::kSmallGauge, 3, 1);
    Add(L("node_procs_blocked"), Kind::kSmallGauge, 0, 0.3);
    Add(L("node_context_switches_total"), Kind::kCounterInt, 1e9 * u(rng_), 6e4);
    Add(L("node_intr_total"), Kind::kCounterInt, 1e9 * u(rng_), 4e4);
    Add(L("node_forks_total"), Kind::kCounterInt, 1e6 * u(rng_), 40);
    Add(L("node_boot_time_seconds"), Kind::kConst, 1763000000, 0);
    Add(L("node_time_seconds"), Kind::kTime, 0, 0);
    Add(L("node_entropy_available_bits"), Kind::kSmallGauge, 256, 0);
    Add(L("node_sockstat_TCP_inuse"), Kind::kSmallGauge, 40, 2);
    Add(L("node_timex_offset_seconds"), Kind::kNoise, 0, 1e-5);
  }
}

void NodeFleet::Add(const std::vector<std::pair<std::string, std::string>>& labels, Kind kind,
                    double value, double rate) {
  std::vector<std::pair<std::string_view, std::string_view>> v(labels.begin(), labels.end());
  labels_.push_back(storage::Labels::FromPairs(std::move(v)));
  state_.push_back({kind, value, rate});
}

void NodeFleet::Step(std::vector<storage::Sample>& out) {
  out.resize(state_.size());
  const int64_t t = options_.start_ms + step_ * options_.interval_ms;
  std::normal_distribution<double> n(0, 1);
  std::uniform_real_distribution<double> u(0, 1);
  for (size_t i = 0; i < state_.size(); ++i) {
    S& s = state_[i];
    switch (s.kind) {
      case Kind::kCpu:  // USER_HZ ticks: increments are multiples of 0.01 s
        s.value = std::round((s.value + std::max(0.0, s.rate * (1 + 0.2 * n(rng_)))) * 100) / 100;
        break;
      case Kind::kPageGauge:
        s.value = std::max(0.0, s.value + 4096.0 * std::round(s.rate * n(rng_)));
        break;
      case Kind::kSlowPageGauge:  // log files growing: a change in one scrape out of five
        if (u(rng_) < 0.2) s.value = std::max(0.0, s.value - 4096.0 * std::round(s.rate * u(rng_)));
        break;
      case Kind::kConst:
        break;
      case Kind::kCounterInt:
        if (s.rate < 1) {
          if (u(rng_) < s.rate) s.value += 1;
        } else {
          s.value += std::round(std::max(0.0, s.rate * (1 + 0.3 * n(rng_))));
        }
        break;
      case Kind::kCounterMs:
        s.value = std::round((s.value + std::max(0.0, s.rate * (1 + 0.3 * n(rng_)))) * 1000) / 1000;
        break;
      case Kind::kLoad:
        s.value = std::round(std::max(0.0, s.value + s.rate * n(rng_) * 0.3) * 100) / 100;
        break;
      case Kind::kSmallGauge:
        if (s.rate > 0 && u(rng_) < 0.5)
          s.value = std::max(0.0, s.value + std::round(s.rate * n(rng_)));
        break;
      case Kind::kTime:
        s.value = static_cast<double>(t + static_cast<int64_t>(u(rng_) * 3)) / 1000.0;
        break;
      case Kind::kNoise:
        s.value = s.rate * n(rng_);
        break;
    }
    out[i] = {t, s.value};
  }
  ++step_;
}

}  // namespace astrolabe::bench
