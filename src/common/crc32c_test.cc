#include "common/crc32c.h"

#include <random>
#include <string>

#include <gtest/gtest.h>

namespace astrolabe {
namespace {

// RFC 3720 (iSCSI) appendix B.4 test vectors, plus the common "123456789" check value.
TEST(Crc32cTest, KnownVectors) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(""), 0u);
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(std::string(32, '\xff')), 0x62A8AB43u);
  std::string ascending;
  std::string descending;
  for (int i = 0; i < 32; ++i) {
    ascending.push_back(static_cast<char>(i));
    descending.push_back(static_cast<char>(31 - i));
  }
  EXPECT_EQ(Crc32c(ascending), 0x46DD794Eu);
  EXPECT_EQ(Crc32c(descending), 0x113FDB5Cu);
  // An iSCSI SCSI Read (10) command PDU.
  const unsigned char pdu[48] = {0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00,
                                 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00,
                                 0x00, 0x18, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  EXPECT_EQ(Crc32cExtend(0, pdu, sizeof(pdu)), 0xD9963A56u);
}

TEST(Crc32cTest, HardwareMatchesTableAtEveryLengthAndAlignment) {
  std::mt19937 rng(7);
  std::string data(1024 + 16, '\0');
  for (auto& c : data) c = static_cast<char>(rng());
  for (size_t align = 0; align < 8; ++align) {
    for (size_t len = 0; len <= 1024; len += (len < 64 ? 1 : 37)) {
      const char* p = data.data() + align;
      ASSERT_EQ(Crc32cExtend(0, p, len), Crc32cExtendPortable(0, p, len))
          << "align " << align << " len " << len;
    }
  }
}

TEST(Crc32cTest, ExtendIsConcatenation) {
  std::string a = "write-ahead ";
  std::string b = "log segment";
  for (auto impl : {&Crc32cExtend, &Crc32cExtendPortable}) {
    uint32_t part = impl(0, a.data(), a.size());
    EXPECT_EQ(impl(part, b.data(), b.size()), Crc32c(a + b));
  }
}

TEST(Crc32cTest, ReportsAcceleration) {
#if defined(__x86_64__)
  // Every x86-64 machine this project targets has SSE4.2; the test documents which path ran.
  RecordProperty("hardware", Crc32cHardwareAccelerated() ? "sse4.2" : "table");
#endif
  SUCCEED();
}

}  // namespace
}  // namespace astrolabe
