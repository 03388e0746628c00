#pragma once
// Process logging through spdlog. Components get a logger named after their id
// ("exporter/otlp_http"); the level is set once from service.telemetry.logs.level.

#include <memory>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace astrolabe {

// Returns the shared logger for `name`, creating it (stderr sink) on first use.
std::shared_ptr<spdlog::logger> GetLogger(std::string_view name);

// Sets the level of every existing and future logger. Accepts debug|info|warn|error
// (case-insensitive); returns false for anything else.
bool SetLogLevel(std::string_view level);

}  // namespace astrolabe
