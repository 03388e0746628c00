#pragma once
// Config of the debug exporter; keys, defaults and messages as upstream's
// (core exporter/debugexporter):
//
//   exporters:
//     debug:
//       verbosity: basic          # basic | normal | detailed (case-insensitive)
//       sampling_initial: 2       # entries logged per second before sampling starts
//       sampling_thereafter: 1    # then every Nth entry; 1 = no sampling
//       use_internal_logger: true # false: plain output to output_paths
//       output_paths: [stdout]    # only with use_internal_logger: false

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "component/factory.h"

namespace astrolabe::exporter::debug {

// Upstream's configtelemetry levels; kNone parses but is rejected by Validate().
enum class Verbosity { kNone, kBasic, kNormal, kDetailed };

// "none", "basic", "normal", "detailed".
std::string_view VerbosityName(Verbosity v);
// Case-insensitive; nullopt for anything else.
std::optional<Verbosity> ParseVerbosity(std::string_view text);

struct Config : component::ComponentConfig {
  Verbosity verbosity = Verbosity::kBasic;
  int64_t sampling_initial = 2;
  int64_t sampling_thereafter = 1;
  bool use_internal_logger = true;
  // "stdout", "stderr" or file paths. Empty means unset (upstream: nil → ["stdout"]).
  std::vector<std::string> output_paths;

  // An unknown verbosity is a decode error: `unknown metrics level "loud"`.
  void Visit(config::Visitor& v) override;
  // `verbosity level "None" is not supported`;
  // `output_paths is not supported when use_internal_logger is true`.
  Status Validate() const override;
};

}  // namespace astrolabe::exporter::debug
