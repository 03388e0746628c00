#include "processor/redaction/config.h"

namespace astrolabe::processor::redaction {

using astrolabe::redaction::Detector;
using astrolabe::redaction::Mode;

void RuleConfig::Visit(config::Visitor& v) {
  v.Field("name", name);
  v.Field("regex", regex);
}

void Config::Visit(config::Visitor& v) {
  std::string m(astrolabe::redaction::ModeName(mode));
  v.Field("mode", m);
  if (v.decoding() && !astrolabe::redaction::ParseMode(m, &mode)) {
    v.Error("mode", "unknown mode \"" + m + "\" (valid: full, redact, hash, drop)");
  }
  v.Field("detectors", detectors);
  v.List("rules", rules);
  v.Field("attributes", attributes);
}

astrolabe::redaction::DetectorOptions Config::DetectorOptions() const {
  astrolabe::redaction::DetectorOptions o;
  o.detectors = detectors;
  for (const RuleConfig& r : rules) o.rules.push_back({r.name, r.regex});
  return o;
}

Status Config::Validate() const {
  for (const std::string& a : attributes) {
    if (a.empty()) return InvalidArgument("attributes: empty key");
  }
  auto d = Detector::Create(DetectorOptions());
  if (!d.ok()) return d.status();
  return Status::Ok();
}

}  // namespace astrolabe::processor::redaction
