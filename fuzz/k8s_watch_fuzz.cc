// Kubernetes API bytes (src/discovery/kubernetes/objects.h): the first byte picks the resource
// kind, the rest is decoded as a list and as one watch event; whatever decodes goes through
// the role and annotation target builders (annotation values — ports, paths, filters — are
// untrusted too).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "discovery/kubernetes/objects.h"
#include "discovery/kubernetes/targets.h"

namespace k8s = astrolabe::discovery::kubernetes;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  constexpr k8s::Kind kKinds[] = {k8s::Kind::kPod, k8s::Kind::kService, k8s::Kind::kEndpoints,
                                  k8s::Kind::kEndpointSlice, k8s::Kind::kNode};
  const k8s::Kind kind = kKinds[data[0] % 5];
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  k8s::Snapshot snap;
  if (auto list = k8s::DecodeList(kind, text); list.ok()) {
    for (auto& o : list->items) snap.Add(std::make_shared<const k8s::Object>(std::move(o)));
  }
  if (auto ev = k8s::DecodeWatchEvent(kind, text); ev.ok() && ev->object) {
    snap.Add(std::make_shared<const k8s::Object>(std::move(*ev->object)));
  }
  for (const char* role : {"pod", "service", "endpoints", "endpointslice", "node"}) {
    (void)k8s::RoleTargets(role, snap);
  }
  (void)k8s::AnnotatedTargets("metrics.astromkey.com", snap);
  (void)k8s::ParseMetricFilter(text);
  return 0;
}
