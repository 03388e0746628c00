#include "processor/genaimetrics/config.h"

namespace astrolabe::processor::genaimetrics {

void Config::Visit(config::Visitor& v) {
  v.Field("metrics_flush_interval", metrics_flush_interval);
}

Status Config::Validate() const {
  if (metrics_flush_interval < std::chrono::milliseconds(100)) {
    return InvalidArgument("metrics_flush_interval must be at least 100ms");
  }
  return Status::Ok();
}

}  // namespace astrolabe::processor::genaimetrics
