#pragma once
// Config of the token_auth extension:
//
//   extensions:
//     token_auth:
//       tokens_file: /var/lib/astrolabe/tokens.json   # default astrolabe-data/tokens.json

#include <string>

#include "component/factory.h"

namespace astrolabe::extension::token_auth {

struct Config : component::ComponentConfig {
  std::string tokens_file = "astrolabe-data/tokens.json";

  void Visit(config::Visitor& v) override;
  // "tokens_file must be specified".
  Status Validate() const override;
};

}  // namespace astrolabe::extension::token_auth
