#include "spanstore/trace_index.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <vector>

namespace astrolabe::spanstore::internal {
namespace {

pdata::TraceId Id(uint64_t low, uint64_t high) {
  pdata::TraceId id;
  for (int b = 0; b < 8; ++b) {
    id.bytes[size_t(b)] = uint8_t(low >> (8 * b));
    id.bytes[size_t(8 + b)] = uint8_t(high >> (8 * b));
  }
  id.bytes[0] |= 1;
  return id;
}

// A row as 2 * index + (1 for a log).
std::vector<uint64_t> Rows(const TraceIndex& index, const pdata::TraceId& id) {
  std::vector<uint64_t> rows;
  index.ForEach(id, [&](size_t i, bool log) { rows.push_back(2 * uint64_t(i) + (log ? 1 : 0)); });
  return rows;
}

// Against a std::map: spans and logs of many traces interleaved, the table growing many times
// over (past 2 MiB, where it becomes its own mapping), and ids alike in one half (the table
// mixes both with a seed). Prefetch is called as the store does, and must change nothing.
TEST(TraceIndexTest, EveryTraceFindsItsRowsInOrder) {
  std::mt19937_64 rng(11);
  std::vector<pdata::TraceId> ids;
  for (int i = 0; i < 150000; ++i) {
    ids.push_back(i % 5 == 0 && i > 0 ? Id(rng(), 0xABCDEFull) : Id(rng(), rng()));
  }
  TraceIndex index;
  std::map<pdata::TraceId, std::vector<uint64_t>,
           bool (*)(const pdata::TraceId&, const pdata::TraceId&)>
      want([](const pdata::TraceId& a, const pdata::TraceId& b) { return a.bytes < b.bytes; });
  uint32_t spans = 0, logs = 0;
  for (int i = 0; i < 600000; ++i) {
    // Recent traces are likelier, as a trace's rows arrive close together.
    const size_t t = rng() % 3 == 0 ? rng() % ids.size() : (size_t(i) / 4 + rng() % 5) % ids.size();
    const bool log = rng() % 4 == 0;
    const uint32_t row = log ? logs++ : spans++;
    index.Prefetch(ids[(t + 1) % ids.size()]);
    ASSERT_TRUE(index.Add(ids[t], row, log));
    want[ids[t]].push_back(2 * uint64_t(row) + (log ? 1 : 0));
  }
  EXPECT_GT(want.size(), 100000u);  // a table of at least 2^18 slots: 6 MiB or more
  EXPECT_EQ(index.traces(), want.size());
  for (const auto& [id, rows] : want) ASSERT_EQ(Rows(index, id), rows);
  EXPECT_TRUE(Rows(index, Id(12345, 0xABCDEFull)).empty());  // a neighbour that never came
  EXPECT_TRUE(Rows(index, Id(1, 2)).empty());
  EXPECT_TRUE(Rows(TraceIndex(), Id(1, 2)).empty());
  TraceIndex().Prefetch(Id(1, 2));  // an empty table has no slot to ask for

  // A partition's index moves with it (Partition lives in a map, but may be moved).
  TraceIndex moved = std::move(index);
  for (const auto& [id, rows] : want) ASSERT_EQ(Rows(moved, id), rows);
  index = std::move(moved);
  EXPECT_EQ(index.traces(), want.size());
  EXPECT_EQ(Rows(index, want.begin()->first), want.begin()->second);
}

// The index and the kind share 32 bits: an index that would reach the kind's bit is refused
// for both kinds (a span's must not be taken for a log's).
TEST(TraceIndexTest, AnIndexTheTagCannotHoldIsRefused) {
  TraceIndex index;
  const pdata::TraceId id = Id(3, 4);
  for (bool log : {false, true}) {
    EXPECT_FALSE(index.Add(id, 0x7FFFFFFFu, log));
    EXPECT_FALSE(index.Add(id, 0x80000000u, log));
    EXPECT_FALSE(index.Add(id, 0x80000007u, log));
  }
  EXPECT_EQ(index.traces(), 0u);
  EXPECT_TRUE(index.Add(id, 7, false));
  EXPECT_TRUE(index.Add(id, 7, true));
  EXPECT_EQ(Rows(index, id), (std::vector<uint64_t>{14, 15}));
}

}  // namespace
}  // namespace astrolabe::spanstore::internal
