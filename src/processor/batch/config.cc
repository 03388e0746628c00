#include "processor/batch/config.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "common/strings.h"

namespace astrolabe::processor::batch {
namespace {

// An int64 field that upstream declares uint32: mapstructure's range error, at the key.
void Uint32Field(config::Visitor& v, std::string_view key, int64_t& value) {
  v.Field(key, value);
  if (v.decoding() && (value < 0 || value > 0xFFFFFFFFLL)) {
    v.Error(key, "cannot parse value as 'uint32': " + std::to_string(value) + " overflows uint");
  }
}

}  // namespace

void Config::Visit(config::Visitor& v) {
  v.Field("timeout", timeout);
  Uint32Field(v, "send_batch_size", send_batch_size);
  Uint32Field(v, "send_batch_max_size", send_batch_max_size);
  v.Field("metadata_keys", metadata_keys);
  Uint32Field(v, "metadata_cardinality_limit", metadata_cardinality_limit);
}

Status Config::Validate() const {
  if (send_batch_max_size > 0 && send_batch_max_size < send_batch_size) {
    return InvalidArgument("send_batch_max_size must be greater or equal to send_batch_size");
  }
  std::set<std::string> seen;
  for (const std::string& key : metadata_keys) {
    std::string lower = AsciiLower(key);
    if (!seen.insert(lower).second) {
      return InvalidArgument("duplicate entry in metadata_keys: \"" + lower +
                             "\" (case-insensitive)");
    }
  }
  if (timeout < Duration::zero()) {
    return InvalidArgument("timeout must be greater or equal to 0");
  }
  return Status::Ok();
}

}  // namespace astrolabe::processor::batch
