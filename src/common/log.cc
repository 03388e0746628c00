#include "common/log.h"

#include <algorithm>
#include <cctype>
#include <mutex>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace astrolabe {
namespace {

std::mutex& LevelMu() {
  static std::mutex mu;
  return mu;
}
spdlog::level::level_enum& CurrentLevel() {
  static spdlog::level::level_enum level = spdlog::level::info;
  return level;
}

}  // namespace

std::shared_ptr<spdlog::logger> GetLogger(std::string_view name) {
  std::string key(name);
  if (auto existing = spdlog::get(key)) return existing;
  std::lock_guard lock(LevelMu());
  if (auto existing = spdlog::get(key)) return existing;
  auto logger = spdlog::stderr_color_mt(key);
  logger->set_level(CurrentLevel());
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ\t%^%l%$\t%n\t%v", spdlog::pattern_time_type::utc);
  return logger;
}

bool SetLogLevel(std::string_view level) {
  std::string l;
  for (char c : level) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  spdlog::level::level_enum v;
  if (l == "debug") v = spdlog::level::debug;
  else if (l == "info") v = spdlog::level::info;
  else if (l == "warn" || l == "warning") v = spdlog::level::warn;
  else if (l == "error") v = spdlog::level::err;
  else if (l == "none" || l == "off") v = spdlog::level::off;
  else return false;
  std::lock_guard lock(LevelMu());
  CurrentLevel() = v;
  spdlog::apply_all([v](const std::shared_ptr<spdlog::logger>& lg) { lg->set_level(v); });
  return true;
}

}  // namespace astrolabe
