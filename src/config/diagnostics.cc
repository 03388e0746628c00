#include "config/diagnostics.h"

namespace astrolabe::config {

std::string Diagnostic::ToString() const {
  std::string out = mark.ToString();
  out += ": ";
  if (!path.empty()) {
    out += path;
    out += ": ";
  }
  out += message;
  if (!detail.empty()) {
    size_t start = 0;
    while (start < detail.size()) {
      size_t end = detail.find('\n', start);
      if (end == std::string::npos) end = detail.size();
      out += "\n    ";
      out.append(detail, start, end - start);
      start = end + 1;
    }
  }
  return out;
}

void Diagnostics::Error(Mark mark, std::string path, std::string message) {
  errors_.push_back({std::move(mark), std::move(path), std::move(message), ""});
}

void Diagnostics::Warning(Mark mark, std::string path, std::string message, std::string detail) {
  warnings_.push_back({std::move(mark), std::move(path), std::move(message), std::move(detail)});
}

Status Diagnostics::ToStatus() const {
  if (errors_.empty()) return Status::Ok();
  std::string msg;
  for (const auto& e : errors_) {
    if (!msg.empty()) msg += "\n";
    msg += e.ToString();
  }
  return InvalidArgument(std::move(msg));
}

void Diagnostics::Merge(const Diagnostics& other) {
  errors_.insert(errors_.end(), other.errors_.begin(), other.errors_.end());
  warnings_.insert(warnings_.end(), other.warnings_.begin(), other.warnings_.end());
}

}  // namespace astrolabe::config
