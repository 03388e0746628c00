// Fuzzes the prometheus_remote_write receiver's direct path (receiver/prometheus_remote_write/
// direct_write.h): arbitrary bytes (snappy-block-decompressed when they are a snappy block, as
// the receiver does) are decoded as a 1.0 and as a 2.0 request; every request that decodes is
// written by a DirectWriter into a fresh in-memory tsdb::Head, which validates and stores
// whatever labels, timestamps, values, metadata and native histograms the bytes carry.
// Checks: no crash or sanitizer report; Write succeeds (a head without a WAL cannot fail a
// Commit); stored + refused samples never exceed the samples sent; invalid series never
// exceed the series sent. Seeds: fuzz/corpus/remote_write_direct/ (the remote_write seeds:
// real vmagent 1.79 and Prometheus 2.42 requests and hand-built 1.0/2.0 requests).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "receiver/prometheus_remote_write/direct_write.h"
#include "tsdb/head.h"
#include "wire/remote_write.h"
#include "wire/snappy.h"

namespace {

using namespace astrolabe;
namespace prw = wire::prw;

void WriteOne(std::string_view bytes, prw::Version version) {
  auto req = prw::Decode(version, bytes);
  if (!req.ok()) return;
  tsdb::Head head;
  receiver::prometheus_remote_write::TranslateLimits limits;
  limits.max_labels_per_series = 64;
  limits.max_label_value_length = 4096;
  receiver::prometheus_remote_write::DirectWriter writer(limits);
  receiver::prometheus_remote_write::DirectResult result;
  Status st = writer.Write(head, *req, &result);
  if (!st.ok()) std::abort();
  if (result.samples + result.rejected > req->SampleCount() + req->HistogramCount()) std::abort();
  if (result.invalid > req->timeseries.size()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto raw = wire::SnappyDecompress(bytes, 1 << 20);
  const std::string_view body = raw.ok() ? std::string_view(*raw) : bytes;
  WriteOne(body, prw::Version::k1);
  WriteOne(body, prw::Version::k2);
  return 0;
}
