#pragma once
// Ingest: what the otlp receiver does with one export request, whatever the transport.
// It decodes the body (protobuf or OTLP/JSON) straight into pdata, hands it to the
// pipeline, counts accepted and refused items, and says how the request ended in the
// terms both transports need: a Status, the gRPC code and the HTTP status OTLP prescribes.
//
//   decode error                  kInvalidArgument   gRPC 3 INVALID_ARGUMENT   HTTP 400
//   over max_items_per_request    kResourceExhausted gRPC 8 RESOURCE_EXHAUSTED HTTP 413
//   items over attribute limits   dropped; the rest goes on and the answer is a partial
//                                 rejection (component/partial.h); all dropped: 400
//   (limits.h has the keys and the counter)
//   pipeline refused, retryable   kUnavailable       gRPC 14 UNAVAILABLE       HTTP 503
//     (memory_limiter, a full queue: any Status::IsRetryable() code, as upstream)
//   pipeline refused, permanent   kInvalidArgument   gRPC 3 INVALID_ARGUMENT   HTTP 400
//
// An empty request (no resource entries) is a success and reaches no consumer, as the
// specification allows. Thread-safe: transports call Export() concurrently.
//
// Protobuf trace requests are decoded into pooled objects (TracesPool, ingest.cc): when the
// pipeline drops the last reference to a request's pdata, its strings and vectors go back to
// the pool as spares (pdata/spares.h) and the next request is built from them, instead of
// ~25 allocations and frees per GenAI span. The pool keeps a few requests' worth (README,
// "Reusing decoded trace requests").

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "component/component.h"
#include "component/factory.h"
#include "component/telemetry.h"
#include "receiver/otlp/limits.h"

namespace astrolabe::receiver::otlp {

enum class Encoding { kProto, kJson };

class TracesPool;

class Ingest {
 public:
  // `transport` labels the telemetry ("http", "grpc"). Consumers that are null mean the
  // signal is in no pipeline: such requests are refused with kUnimplemented (HTTP 404,
  // gRPC UNIMPLEMENTED), as upstream does.
  Ingest(const component::CreateSettings& settings, component::ReceiverConsumers next,
         const std::string& transport, Limits limits = {});
  ~Ingest();
  Ingest(const Ingest&) = delete;
  Ingest& operator=(const Ingest&) = delete;

  // Decodes `body` for `signal` and passes it on. `items` gets the number of data
  // points / spans / log records decoded (0 when decoding failed).
  Status Export(component::Signal signal, Encoding encoding, std::string_view body,
                size_t* items = nullptr);

  bool HasConsumer(component::Signal signal) const;
  // Counts a request the transport refused before Export (too large, bad encoding).
  void CountBadRequest(component::Signal signal) { instruments(signal).bad_requests->Add(); }

 private:
  struct Instruments {
    component::ReceiverInstruments counters;
    component::Counter* bad_requests = nullptr;
  };
  Instruments& instruments(component::Signal signal);
  // astrolabe_receiver_refused_items_total{..., reason}.
  void CountRefused(component::Signal signal, const std::string& reason, uint64_t items);

  component::CreateSettings settings_;
  std::string transport_;
  Limits limits_;
  component::ReceiverConsumers next_;
  Instruments metrics_, traces_, logs_;
  // Shared with the deleters of the batches in flight, which may outlive this Ingest.
  std::unique_ptr<TracesPool> traces_pool_;
};

// The gRPC status code (google.rpc.Code) OTLP uses for `status`.
int32_t GrpcCode(const Status& status);
// The HTTP status the OTLP/HTTP specification and upstream use for `status`.
int HttpStatus(const Status& status);
// True for the statuses a client should retry (HTTP 429/503, gRPC UNAVAILABLE/RESOURCE_EXHAUSTED).
bool IsThrottled(const Status& status);

}  // namespace astrolabe::receiver::otlp
