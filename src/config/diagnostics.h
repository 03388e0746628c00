#pragma once
// Diagnostics collects the errors and warnings found while loading and decoding a config,
// so that one run reports every problem at once, each with its position and key path.

#include <string>
#include <vector>

#include "common/status.h"
#include "config/node.h"

namespace astrolabe::config {

struct Diagnostic {
  Mark mark;
  std::string path;     // "receivers.prometheus.config.scrape_configs[0].scrape_intervall"
  std::string message;  // "unknown key (did you mean scrape_interval?)"
  std::string detail;   // optional extra lines, e.g. the corrected YAML of a fixed slip

  // "nim.yaml:32:9: receivers.prometheus...: unknown key (did you mean scrape_interval?)"
  // followed by `detail` indented on the next lines when present.
  std::string ToString() const;
};

class Diagnostics {
 public:
  void Error(Mark mark, std::string path, std::string message);
  void Warning(Mark mark, std::string path, std::string message, std::string detail = "");

  bool has_errors() const { return !errors_.empty(); }
  const std::vector<Diagnostic>& errors() const { return errors_; }
  const std::vector<Diagnostic>& warnings() const { return warnings_; }

  // OK when there are no errors; otherwise InvalidArgument whose message lists every
  // error, one per line, in the order found.
  Status ToStatus() const;

  void Merge(const Diagnostics& other);

 private:
  std::vector<Diagnostic> errors_;
  std::vector<Diagnostic> warnings_;
};

}  // namespace astrolabe::config
