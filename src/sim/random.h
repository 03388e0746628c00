#pragma once
// Rng: a small seeded generator (splitmix64 seeding, xoshiro256**) with the few distributions
// the simulators draw from. Our own, not <random>'s distributions, so that a seed gives the same
// figures with every standard library. Thread-compatible.

#include <cmath>
#include <cstdint>

namespace astrolabe::sim {

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& s : s_) {
      seed += 0x9e3779b97f4a7c15ULL;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      s = z ^ (z >> 31);
    }
  }

  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, n). REQUIRES: n > 0.
  uint64_t Below(uint64_t n) { return Next() % n; }
  bool Bernoulli(double p) { return Uniform() < p; }
  // Exponential with the given rate (mean 1/rate). REQUIRES: rate > 0.
  double Exponential(double rate) { return -std::log1p(-Uniform()) / rate; }
  // Standard normal (Box-Muller; one value per call).
  double Normal() {
    double u1 = Uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * Uniform());
  }
  // Lognormal with the given median and sigma of the log.
  double LogNormal(double median, double sigma) { return median * std::exp(sigma * Normal()); }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace astrolabe::sim
