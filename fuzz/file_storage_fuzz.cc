// Fuzzes the file_storage extension's log reader (src/extension/file_storage/log_store.h):
// arbitrary bytes are replayed as a store file. Replay must never crash, must either refuse
// the bytes (not our magic/version) with a message or report where the good records end,
// and every live value it indexes must lie inside the good part. The live keys are then
// written as one record into a fresh log, which must replay cleanly to the same keys and
// values (round trip of the encoder and reader). Finally the bytes are opened as a real
// file by LogStore::Open (which truncates a torn tail), every key is read back, one more
// record is appended, and the reopened store must hold the same keys plus the new one.
// Seeds: fuzz/corpus/file_storage/ (good stores, torn tails, flipped bytes, bad headers).

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "component/storage.h"
#include "extension/file_storage/log_store.h"

namespace {

using astrolabe::component::StorageOperation;
using namespace astrolabe::extension::file_storage;

void Check(bool ok) {
  if (!ok) std::abort();
}

std::shared_ptr<spdlog::logger> Quiet() {
  static auto logger = std::make_shared<spdlog::logger>("fuzz");  // no sinks: silent
  return logger;
}

std::map<std::string, std::string> LiveValues(std::string_view bytes, const ReplayResult& r) {
  std::map<std::string, std::string> out;
  for (const auto& [key, ref] : r.index) {
    Check(ref.offset <= r.valid_end && ref.size <= r.valid_end - ref.offset);
    out[key] = std::string(bytes.substr(ref.offset, ref.size));
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  StringSource source(bytes);
  auto replayed = Replay(source);
  if (!replayed.ok()) {
    Check(!replayed.status().message().empty());
    return 0;
  }
  const ReplayResult& r = *replayed;
  if (r.empty_file) {
    Check(size < kFileHeaderBytes && r.index.empty());
  } else {
    Check(r.valid_end >= kFileHeaderBytes && r.valid_end <= size);
    Check(r.tail_problem.empty() == (r.valid_end == size));
  }
  std::map<std::string, std::string> live = LiveValues(bytes, r);

  // Round trip: the live state as one record replays to itself.
  std::vector<StorageOperation> ops;
  for (const auto& [k, v] : live) ops.push_back(StorageOperation::Set(k, v));
  std::string log = FileHeader();
  std::vector<uint64_t> offsets;
  Check(EncodeRecord(ops, &log, &offsets).ok());
  StringSource again_source(log);
  auto again = Replay(again_source);
  Check(again.ok() && again->tail_problem.empty() && again->valid_end == log.size());
  Check(LiveValues(log, *again) == live);

  // The real file path: open (truncating the tail), read, append, reopen.
  static const std::string path = "/tmp/file_storage_fuzz." + std::to_string(getpid());
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  LogStoreOptions options;
  options.lock_timeout = std::chrono::milliseconds(0);
  {
    auto store = LogStore::Open(path, options, Quiet());
    Check(store.ok());
    for (const auto& [k, v] : live) {
      auto got = (*store)->Get(k);
      Check(got.ok() && got->has_value() && **got == v);
    }
    StorageOperation op = StorageOperation::Set("fuzz-appended", "x");
    Check((*store)->Apply(std::span<StorageOperation>(&op, 1)).ok());
  }
  {
    auto store = LogStore::Open(path, options, Quiet());
    Check(store.ok());
    live["fuzz-appended"] = "x";
    Check((*store)->key_count() == live.size());
    for (const auto& [k, v] : live) {
      auto got = (*store)->Get(k);
      Check(got.ok() && got->has_value() && **got == v);
    }
  }
  unlink(path.c_str());
  return 0;
}
