#pragma once
// The batch processor: gathers the data of many small Consume calls into fewer, larger
// batches (core processor/batchprocessor). One instance per pipeline, for one signal.
//
// Pending data is sent to the next consumer
//   - when it holds send_batch_size items or more (trigger "batch size"); with
//     send_batch_max_size set, in batches of at most that many items, split as split.h says,
//     until fewer than send_batch_size remain;
//   - when the timer fires (trigger "timeout"): the timer runs every `timeout`, restarting
//     after every size-triggered send, as upstream's per-batcher timer does;
//   - at once, in batches of at most send_batch_max_size, when timeout or send_batch_size is
//     0 (there is no timer then);
//   - on Shutdown: everything pending.
// A batch holding no items (a request with resources but no points) is dropped, as upstream.
//
// With metadata_keys, one pending batch (and timer) exists per distinct combination of the
// values of those keys in the batch's client metadata (pdata/client_metadata.h); a key that
// is absent and a key whose value is "" are distinct. Sent batches carry their group's
// metadata (only the listed keys). At most metadata_cardinality_limit groups are ever
// created (0 = no limit); data for a new group past the limit is refused with a permanent
// error "too many batcher metadata-value combinations".
//
// Errors: Consume* returns OK once the data is pending; an error the next consumer returns
// for a send is logged ("Sender failed") and the batch dropped — as upstream, the batch
// processor decouples its callers from the consumers behind it, so put memory_limiter
// before it for back-pressure to reach receivers.
//
// Telemetry (upstream names, label processor=<id>):
//   otelcol_processor_batch_batch_send_size               histogram of items per sent batch
//   otelcol_processor_batch_batch_size_trigger_send_total sends triggered by size
//   otelcol_processor_batch_timeout_trigger_send_total    sends triggered by the timer
//   otelcol_processor_batch_metadata_cardinality          groups in use
//
// Threads: Consume* from any number of threads. Sends happen on the calling thread (size
// trigger) or on the processor's timer thread, one at a time per processor: the pending
// data is guarded by one mutex, held during the send so that batches leave in order.
// After Shutdown, Consume* passes data straight through (split by send_batch_max_size).

#include <memory>

#include "common/status.h"
#include "component/component.h"
#include "component/factory.h"
#include "processor/batch/config.h"

namespace astrolabe::processor::batch {

class BatchProcessor : public component::Processor {
 public:
  // Items waiting to be sent, over every group (for tests).
  virtual size_t PendingItems() const = 0;
  // Groups created so far (1 without metadata_keys).
  virtual size_t MetadataCardinality() const = 0;
};

// Creates the processor for `signal`. `next` must outlive it; settings.telemetry may be
// null (tests). REQUIRES: config.Validate() is OK.
std::unique_ptr<BatchProcessor> NewBatchProcessor(const component::CreateSettings& settings,
                                                  const Config& config, component::Signal signal,
                                                  component::Consumer& next);

}  // namespace astrolabe::processor::batch
