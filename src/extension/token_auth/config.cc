#include "extension/token_auth/config.h"

#include "config/visitor.h"

namespace astrolabe::extension::token_auth {

void Config::Visit(config::Visitor& v) { v.Field("tokens_file", tokens_file); }

Status Config::Validate() const {
  if (tokens_file.empty()) return InvalidArgument("tokens_file must be specified");
  return Status::Ok();
}

}  // namespace astrolabe::extension::token_auth
