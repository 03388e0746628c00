#pragma once
// Batch<T>: how pdata moves through a pipeline. Copying a Batch shares the data; the
// first consumer that needs to change it calls Mutable(), which clones only when someone
// else still holds the same data. So a fan-out to N read-only exporters copies nothing,
// and a mutating processor pays one clone only when it is not the sole owner.
//
// Thread-safety: a Batch object is used by one thread at a time; distinct Batch objects
// sharing data may be used from different threads (the shared data is never written
// while shared).
//
// A Batch may carry the client metadata of the request it came from (client_metadata.h);
// copies and Mutable() keep it.

#include <memory>
#include <utility>

#include "pdata/client_metadata.h"

namespace astrolabe::pdata {

template <typename T>
class Batch {
 public:
  Batch() : data_(std::make_shared<T>()) {}
  explicit Batch(T data) : data_(std::make_shared<T>(std::move(data))) {}
  // Shares `data`, which may carry its own deleter (recycler.h hands data back to its
  // producer that way). REQUIRES: data != nullptr.
  explicit Batch(std::shared_ptr<T> data) : data_(std::move(data)) {}

  const T& get() const { return *data_; }
  const T& operator*() const { return *data_; }
  const T* operator->() const { return data_.get(); }

  // The data for writing; clones it first when it is shared. T must have Clone().
  T& Mutable() {
    if (data_.use_count() > 1) data_ = std::make_shared<T>(data_->Clone());
    return *data_;
  }

  bool shared() const { return data_.use_count() > 1; }

  // The client metadata attached by the receiver, or nullptr (none kept).
  const ClientMetadata* client_metadata() const { return metadata_.get(); }
  const std::shared_ptr<const ClientMetadata>& shared_client_metadata() const { return metadata_; }
  void set_client_metadata(std::shared_ptr<const ClientMetadata> metadata) {
    metadata_ = std::move(metadata);
  }

 private:
  std::shared_ptr<T> data_;
  std::shared_ptr<const ClientMetadata> metadata_;
};

}  // namespace astrolabe::pdata
