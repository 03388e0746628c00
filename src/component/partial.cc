#include "component/partial.h"

#include <charconv>

namespace astrolabe::component {
namespace {
constexpr std::string_view kPrefix = "partially rejected: ";
constexpr std::string_view kItems[] = {"data points", "spans", "log records"};
}  // namespace

Status PartialRejection(uint64_t rejected, uint64_t total, std::string_view reason,
                        std::string_view items) {
  std::string message(kPrefix);
  message += std::to_string(rejected) + " of " + std::to_string(total) + " ";
  message += items;
  if (!reason.empty()) {
    message += ": ";
    message += reason;
  }
  return InvalidArgument(std::move(message));
}

std::optional<RejectedCount> RejectedPoints(const Status& status) {
  if (status.code() != StatusCode::kInvalidArgument) return std::nullopt;
  std::string_view m = status.message();
  size_t at = m.find(kPrefix);
  if (at == std::string_view::npos) return std::nullopt;
  m.remove_prefix(at + kPrefix.size());
  RejectedCount out;
  auto [p1, e1] = std::from_chars(m.data(), m.data() + m.size(), out.rejected);
  if (e1 != std::errc()) return std::nullopt;
  m.remove_prefix(static_cast<size_t>(p1 - m.data()));
  if (!m.starts_with(" of ")) return std::nullopt;
  m.remove_prefix(4);
  auto [p2, e2] = std::from_chars(m.data(), m.data() + m.size(), out.total);
  if (e2 != std::errc()) return std::nullopt;
  m.remove_prefix(static_cast<size_t>(p2 - m.data()));
  if (!m.starts_with(" ")) return std::nullopt;
  m.remove_prefix(1);
  bool known = false;
  for (std::string_view items : kItems) {
    if (m.starts_with(items)) {
      m.remove_prefix(items.size());
      known = true;
      break;
    }
  }
  if (!known) return std::nullopt;
  if (m.starts_with(": ")) out.reason = std::string(m.substr(2));
  return out;
}

}  // namespace astrolabe::component
