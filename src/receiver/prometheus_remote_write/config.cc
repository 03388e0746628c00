#include "receiver/prometheus_remote_write/config.h"

#include <utility>

#include "config/visitor.h"

namespace astrolabe::receiver::prometheus_remote_write {

void Config::Visit(config::Visitor& v) {
  http.Visit(v);
  v.Field("max_series_per_request", max_series_per_request);
  v.Field("max_labels_per_series", max_labels_per_series);
  v.Field("max_label_name_length", max_label_name_length);
  v.Field("max_label_value_length", max_label_value_length);
  v.Field("time_threshold", time_threshold);
  v.Field("store", store);
}

config::ComponentId Config::StoreId() const {
  Result<config::ComponentId> id = config::ComponentId::Parse(store);
  return id.ok() ? *id : config::ComponentId{};
}

Status Config::Validate() const {
  if (http.endpoint.empty()) return InvalidArgument("endpoint: must be set (host:port)");
  const std::pair<const char*, int64_t> limits[] = {
      {"max_series_per_request", max_series_per_request},
      {"max_labels_per_series", max_labels_per_series},
      {"max_label_name_length", max_label_name_length},
      {"max_label_value_length", max_label_value_length}};
  for (const auto& [key, value] : limits) {
    if (value < 0) {
      return InvalidArgument(std::string(key) + ": invalid value " + std::to_string(value) +
                             ", must be >= 0 (0: unlimited)");
    }
  }
  if (!store.empty()) {
    Result<config::ComponentId> id = config::ComponentId::Parse(store);
    if (!id.ok()) return id.status().Annotate("store");
  }
  return net::ValidateHttpServerConfig(http, "prometheus_remote_write");
}

}  // namespace astrolabe::receiver::prometheus_remote_write
