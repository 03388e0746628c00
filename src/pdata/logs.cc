#include "pdata/logs.h"

#include <array>

namespace astrolabe::pdata {

std::string_view SeverityNumberName(SeverityNumber n) {
  static constexpr std::array<std::string_view, 25> kNames = {
      "Unspecified", "Trace",  "Trace2", "Trace3", "Trace4", "Debug",  "Debug2", "Debug3", "Debug4",
      "Info",        "Info2",  "Info3",  "Info4",  "Warn",   "Warn2",  "Warn3",  "Warn4",  "Error",
      "Error2",      "Error3", "Error4", "Fatal",  "Fatal2", "Fatal3", "Fatal4"};
  int32_t i = static_cast<int32_t>(n);
  if (i < 0 || i >= static_cast<int32_t>(kNames.size())) return "";
  return kNames[i];
}

Logs Logs::Clone() const { return Logs(resource_logs); }

size_t Logs::LogRecordCount() const {
  size_t n = 0;
  for (const ResourceLogs& rl : resource_logs) {
    for (const ScopeLogs& sl : rl.scope_logs) n += sl.log_records.size();
  }
  return n;
}

}  // namespace astrolabe::pdata
