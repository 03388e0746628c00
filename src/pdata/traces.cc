#include "pdata/traces.h"

#include "pdata/spares.h"

namespace astrolabe::pdata {

std::string_view SpanKindName(SpanKind kind) {
  switch (kind) {
    case SpanKind::kUnspecified:
      return "Unspecified";
    case SpanKind::kInternal:
      return "Internal";
    case SpanKind::kServer:
      return "Server";
    case SpanKind::kClient:
      return "Client";
    case SpanKind::kProducer:
      return "Producer";
    case SpanKind::kConsumer:
      return "Consumer";
  }
  return "";
}

std::string_view SpanStatusCodeName(SpanStatus::Code code) {
  switch (code) {
    case SpanStatus::Code::kUnset:
      return "Unset";
    case SpanStatus::Code::kOk:
      return "Ok";
    case SpanStatus::Code::kError:
      return "Error";
  }
  return "";
}

Traces::Traces() = default;
Traces::Traces(std::vector<ResourceSpans> rs) : resource_spans(std::move(rs)) {}
Traces::Traces(Traces&&) noexcept = default;
Traces& Traces::operator=(Traces&&) noexcept = default;
Traces::~Traces() = default;

Traces Traces::Clone() const { return Traces(resource_spans); }

size_t Traces::SpanCount() const {
  size_t n = 0;
  for (const ResourceSpans& rs : resource_spans) {
    for (const ScopeSpans& ss : rs.scope_spans) n += ss.spans.size();
  }
  return n;
}

}  // namespace astrolabe::pdata
