#include "spanstore/chunked_array.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>
#include <utility>

#include "spanstore/span_store_internal.h"

namespace astrolabe::spanstore::internal {
namespace {

struct Item {
  uint64_t a;
  uint32_t b;
};

TEST(ChunkedArrayTest, AppendsAcrossChunksWithoutMovingElements) {
  ChunkedArray<Item> array;
  EXPECT_TRUE(array.empty());
  const size_t per = ChunkedArray<Item>::kPerChunk;
  ASSERT_EQ(per & (per - 1), 0u);  // a power of two
  EXPECT_LE(per * sizeof(Item), ChunkedArray<Item>::kChunkBytes);
  const size_t n = 2 * per + 3;
  array.push_back({0, 0});
  const Item* first = &array[0];
  for (size_t i = 1; i < n; ++i) array.push_back({i * 3, static_cast<uint32_t>(i)});
  ASSERT_EQ(array.size(), n);
  EXPECT_EQ(&array[0], first);  // never moved
  for (size_t i : {size_t{0}, per - 1, per, 2 * per - 1, 2 * per, n - 1}) {
    EXPECT_EQ(array[i].a, i * 3) << i;
    EXPECT_EQ(array[i].b, i) << i;
  }
  // Chunks are 2 MiB-aligned (what transparent huge pages need).
  EXPECT_EQ(reinterpret_cast<uintptr_t>(&array[per]) % ChunkedArray<Item>::kChunkBytes, 0u);
  uint64_t sum = 0;
  size_t count = 0;
  for (const Item& item : std::as_const(array)) {
    EXPECT_EQ(item.b, count);
    sum += item.a;
    ++count;
  }
  EXPECT_EQ(count, n);
  EXPECT_EQ(sum, 3 * (n - 1) * n / 2);
  array[per].a = 7;  // writable in place
  EXPECT_EQ(array[per].a, 7u);
}

TEST(ChunkedArrayTest, MovesAndEmpties) {
  ChunkedArray<Item> a;
  for (uint32_t i = 0; i < 10; ++i) a.push_back({i, i});
  const Item* p = &a[3];
  ChunkedArray<Item> b(std::move(a));
  EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_EQ(b.size(), 10u);
  EXPECT_EQ(&b[3], p);  // the chunks moved, not the elements
  ChunkedArray<Item> c;
  c.push_back({1, 1});
  c = std::move(b);
  EXPECT_EQ(c.size(), 10u);
  EXPECT_EQ(c[9].a, 9u);
  a.push_back({5, 5});  // a moved-from array is usable again
  EXPECT_EQ(a[0].b, 5u);
}

// A chunk is whole huge pages, each cleared whole when first touched: the elements per chunk
// are chosen to fill them.
TEST(ChunkedArrayTest, ChunksFillTheirHugePages) {
  static_assert(ChunkedArray<Entry>::kPerChunk == 65536);
  static_assert(ChunkedArray<Entry>::kChunkBytes == 3 * kHugePageBytes);
  static_assert(ChunkedArray<uint32_t>::kPerChunk == 524288);
  static_assert(ChunkedArray<uint32_t>::kChunkBytes == kHugePageBytes);
  struct Odd {
    char bytes[120];
  };
  // 120 bytes never fill whole huge pages: the first of the equally good sizes.
  static_assert(ChunkedArray<Odd>::kPerChunk == 16384);
  static_assert(ChunkedArray<Odd>::kChunkBytes == kHugePageBytes);
  struct Big {
    char bytes[1536];
  };
  // 1,024 of 1,536 bytes fill 3/4 of a huge page; 4,096 fill three exactly.
  static_assert(ChunkedArray<Big>::kPerChunk == 4096);
  ChunkedArray<Big> bigs;
  for (int i = 0; i < 5000; ++i) {
    Big b;
    b.bytes[0] = static_cast<char>(i);
    b.bytes[1535] = static_cast<char>(i >> 8);
    bigs.push_back(b);
  }
  for (int i = 0; i < 5000; i += 7) {
    EXPECT_EQ(bigs[i].bytes[0], static_cast<char>(i));
    EXPECT_EQ(bigs[i].bytes[1535], static_cast<char>(i >> 8));
  }
}

TEST(ChunkedArrayTest, HoldsIndexEntries) {
  static_assert(ChunkedArray<Entry>::kPerChunk * sizeof(Entry) <= ChunkedArray<Entry>::kChunkBytes);
  ChunkedArray<Entry> entries;
  Entry e;
  e.start = 42;
  e.trace_id.bytes = {1, 2, 3};
  entries.push_back(e);
  EXPECT_EQ(entries[0].start, 42u);
  EXPECT_EQ(entries[0].trace_id.bytes, e.trace_id.bytes);
}

}  // namespace
}  // namespace astrolabe::spanstore::internal
