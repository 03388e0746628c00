#pragma once
// Config of the redaction processor (see README.md):
//
//   processors:
//     redaction:
//       mode: redact              # full | redact | hash | drop
//       detectors: [email, phone, card, iban, ip, api_key]   # default: all six
//       rules:                    # user rules, RE2 syntax
//         - name: employee_id     # the kind written into [REDACTED:employee_id]
//           regex: 'EMP-\d{6}'
//       attributes: [app.user_note]   # more attribute keys whose values are content

#include <string>
#include <vector>

#include "component/factory.h"
#include "redaction/detector.h"

namespace astrolabe::processor::redaction {

struct RuleConfig {
  std::string name;
  std::string regex;
  void Visit(config::Visitor& v);
};

struct Config : component::ComponentConfig {
  astrolabe::redaction::Mode mode = astrolabe::redaction::Mode::kRedact;
  std::vector<std::string> detectors = astrolabe::redaction::DetectorOptions().detectors;
  std::vector<RuleConfig> rules;
  std::vector<std::string> attributes;

  // An unknown mode is a decode error at its position: `unknown mode "x" (valid: full,
  // redact, hash, drop)`.
  void Visit(config::Visitor& v) override;
  // The detector's messages (`unknown detector "x" …`, `rules[1] (name "emp"): invalid
  // regex: …`), and `attributes: empty key`.
  Status Validate() const override;

  astrolabe::redaction::DetectorOptions DetectorOptions() const;
};

}  // namespace astrolabe::processor::redaction
