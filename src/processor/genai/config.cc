#include "processor/genai/config.h"

namespace astrolabe::processor::genai {

void Config::Visit(config::Visitor& v) {
  v.Field("dialects", dialects);
  v.Field("keep_original_attributes", keep_original_attributes);
  v.ByteSize("max_message_bytes", max_message_bytes);
  v.Field("default_prices", default_prices);
  v.Field("prices_file", prices_file);
  v.List("prices", prices);
}

Status Config::Validate() const {
  for (const std::string& d : dialects) {
    if (d != "otel" && d != "openllmetry" && d != "openinference") {
      return InvalidArgument("unknown dialect \"" + d +
                             "\" (valid: otel, openllmetry, openinference)");
    }
  }
  if (max_message_bytes < 1024) return InvalidArgument("max_message_bytes must be at least 1KiB");
  for (size_t i = 0; i < prices.size(); ++i) {
    astrolabe::genai::PriceEntry copy = prices[i];
    Status s = copy.Validate();
    if (!s.ok()) return InvalidArgument("prices[" + std::to_string(i) + "]: " + s.message());
  }
  if (!prices_file.empty()) {
    Result<astrolabe::genai::PriceTable> t = astrolabe::genai::PriceTable::FromFile(prices_file);
    if (!t.ok()) return InvalidArgument("prices_file: " + t.status().message());
  }
  return Status::Ok();
}

}  // namespace astrolabe::processor::genai
