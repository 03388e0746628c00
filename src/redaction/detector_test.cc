#include "redaction/detector.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace astrolabe::redaction {
namespace {

std::unique_ptr<Detector> Make(DetectorOptions options = {}) {
  auto d = Detector::Create(options);
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return std::move(d).value();
}

std::string Redact(const Detector& d, std::string_view text, Mode mode = Mode::kRedact) {
  std::vector<Match> m;
  d.Find(text, m);
  if (m.empty()) return std::string(text);
  std::string out;
  d.Rewrite(text, m, mode, &out);
  return out;
}

TEST(Luhn, KnownNumbers) {
  EXPECT_TRUE(LuhnValid("4111111111111111"));
  EXPECT_TRUE(LuhnValid("378282246310005"));
  EXPECT_FALSE(LuhnValid("4111111111111112"));
  EXPECT_FALSE(LuhnValid("41111x1111111111"));
}

TEST(Iban, KnownNumbers) {
  EXPECT_TRUE(IbanValid("DE89370400440532013000"));
  EXPECT_TRUE(IbanValid("GB82WEST12345698765432"));
  EXPECT_FALSE(IbanValid("GB82WEST12345698765433"));
  EXPECT_FALSE(IbanValid("gb82WEST12345698765432"));
}

TEST(Detector, EachKind) {
  auto d = Make();
  EXPECT_EQ(Redact(*d, "mail jane.doe+x@mail.example.co.uk now"), "mail [REDACTED:email] now");
  EXPECT_EQ(Redact(*d, "call +1 (415) 555-2671."), "call [REDACTED:phone].");
  EXPECT_EQ(Redact(*d, "card 4111 1111 1111 1111 ok"), "card [REDACTED:card] ok");
  EXPECT_EQ(Redact(*d, "IBAN DE89 3704 0044 0532 0130 00 AND more"),
            "IBAN [REDACTED:iban] AND more");
  EXPECT_EQ(Redact(*d, "from 192.168.1.20 and 2001:db8::8a2e:370:7334"),
            "from [REDACTED:ip] and [REDACTED:ip]");
  EXPECT_EQ(Redact(*d, "key sk-proj-abcdefghijklmnopqrstuvwxyz0123"), "key [REDACTED:api_key]");
  EXPECT_EQ(Redact(*d, "Authorization: Bearer abcdefghijklmnop.qrstuv"),
            "Authorization: Bearer [REDACTED:api_key]");
}

TEST(Detector, HashModeIsStableAndShort) {
  auto d = Make();
  const std::string a = Redact(*d, "a@example.com", Mode::kHash);
  EXPECT_EQ(a.rfind("[HASH:email:", 0), 0u) << a;
  EXPECT_EQ(a.size(), std::string("[HASH:email:]").size() + 16);
  EXPECT_EQ(a, Redact(*d, "a@example.com", Mode::kHash));
  EXPECT_NE(a, Redact(*d, "b@example.com", Mode::kHash));
}

TEST(Detector, JsonEscapesStayIntact) {
  auto d = Make();
  EXPECT_EQ(Redact(*d, R"({"content":"hi\njohn@example.com\n+44 20 7946 0958"})"),
            R"({"content":"hi\n[REDACTED:email]\n[REDACTED:phone]"})");
}

TEST(Detector, OnlyEnabledKinds) {
  DetectorOptions o;
  o.detectors = {"email"};
  auto d = Make(o);
  EXPECT_EQ(Redact(*d, "a@b.io 4111111111111111 10.0.0.1"),
            "[REDACTED:email] 4111111111111111 10.0.0.1");
}

TEST(Detector, UserRules) {
  DetectorOptions o;
  o.rules = {{"employee_id", R"(EMP-\d{6})"}, {"ticket", R"(TCK(\d+))"}};
  auto d = Make(o);
  EXPECT_EQ(Redact(*d, "EMP-123456 filed TCK42 for a@b.io"),
            "[REDACTED:employee_id] filed [REDACTED:ticket] for [REDACTED:email]");
  // A user match overlapping a built-in one gives way.
  DetectorOptions o2;
  o2.rules = {{"domain", R"(example\.com)"}};
  auto d2 = Make(o2);
  EXPECT_EQ(Redact(*d2, "x@example.com and example.com"), "[REDACTED:email] and [REDACTED:domain]");
}

TEST(Detector, BadOptionsNameTheRule) {
  DetectorOptions o;
  o.detectors = {"emial"};
  EXPECT_NE(Detector::Create(o).status().message().find("unknown detector \"emial\""),
            std::string::npos);
  DetectorOptions o2;
  o2.rules = {{"ok", "a"}, {"bad", "(x"}};
  EXPECT_NE(Detector::Create(o2).status().message().find("rules[1] (name \"bad\"): invalid regex"),
            std::string::npos);
  DetectorOptions o3;
  o3.rules = {{"Bad Name", "a"}};
  EXPECT_FALSE(Detector::Create(o3).ok());
  DetectorOptions o4;
  o4.rules = {{"e", "a*"}};
  EXPECT_NE(Detector::Create(o4).status().message().find("matches the empty string"),
            std::string::npos);
  DetectorOptions o5;
  o5.rules = {{"a", "x"}, {"a", "y"}};
  EXPECT_FALSE(Detector::Create(o5).ok());
}

TEST(Detector, LongDottedNumbersAreNotIpsAndDoNotOverflow) {
  auto d = Make();
  // Found by redaction_fuzz: a long group was parsed as an int octet (signed overflow).
  EXPECT_EQ(Redact(*d, "1.2.3.22407820399999999"), "1.2.3.22407820399999999");
  EXPECT_EQ(Redact(*d, "224078203999.1.2.3 and 1.2.3.256"), "224078203999.1.2.3 and 1.2.3.256");
}

TEST(Detector, NothingFoundAppendsNothing) {
  auto d = Make();
  std::vector<Match> m;
  d->Find(
      "The price is $1,299.99 on 2024-01-15 at 10:30:00, version 1.2.3, id "
      "550e8400-e29b-41d4-a716-446655440000.",
      m);
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.capacity(), 0u);  // no allocation
}

// The built-in pass jumps over text without anchor bytes (docs/design/redaction.md
// "Skipping"); it must find exactly what the byte-by-byte pass finds.
void ExpectSkipAgrees(const Detector& d, std::string_view text) {
  std::vector<Match> skipped, unskipped;
  d.FindBuiltinForTest(text, /*skip=*/true, skipped);
  d.FindBuiltinForTest(text, /*skip=*/false, unskipped);
  EXPECT_TRUE(skipped == unskipped) << text;
}

TEST(Detector, SkipFindsWhatTheFullScanFinds) {
  auto d = Make();
  // Items whose try starts before their first anchor, at every offset from a 16-byte step.
  const std::string items[] = {
      "bearer abcdefghijklmnopqrstuvwxyz",  // lower-case token: the 'b' is the anchor
      "Bearer abcdefghijklmnopqrstuvwxyz",
      "sk-abcdefghijklmnopqrstuvwx",
      "github_pat_abcdefghijklmnopqrstuvwxyz",
      "glpat-abcdefghijklmnopqrstu",
      "xoxb-abcdefghijklm",
      "hf_abcdefghijklmnopqrstuvwxyzabcdef",
      "nvapi-abcdefghijklmnopqrstuvwx",
      "eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.abcdefghij",
      "dead:beef::1",
      "fe80::1",
      "::1",
      "john.doe@example.com",
      "+1 (415) 555-0132",
      "4111 1111 1111 1111",
      "10.0.0.1",
      "GB82 WEST 1234 5698 7654 32",
      "BE68 5390 0754 7034",  // 'B' before an upper-case letter, not 'e'
      "AKIAIOSFODNN7EXAMPLE",
      "DEAD:BEEF:CAFE:BABE:DEAD:BEEF:CAFE:BABE",  // no digit: the ':' is the anchor
  };
  int found = 0;
  for (const std::string& item : items) {
    for (size_t pad = 0; pad < 40; ++pad) {
      for (const std::string& lead : {std::string(pad, 'a'), std::string(pad, ' ') + "\\n"}) {
        const std::string text = lead + " " + item + " tail words here and there";
        ExpectSkipAgrees(*d, text);
        ExpectSkipAgrees(*d, lead + item);
        std::vector<Match> m;
        d->FindBuiltinForTest(text, /*skip=*/true, m);
        found += !m.empty();
      }
    }
  }
  EXPECT_EQ(found, static_cast<int>(std::size(items)) * 40 * 2);  // every item, every offset
  // Random text over an alphabet heavy in triggers, anchors and word bytes.
  const std::string alphabet = "abbeghnsxyJkfp_AKIBGEWST0123456789@.:-+() \\n\"/,;#$%&*~^=";
  std::mt19937 rng(42);
  for (int t = 0; t < 20000; ++t) {
    std::string text(rng() % 200, ' ');
    for (char& c : text) c = alphabet[rng() % alphabet.size()];
    ExpectSkipAgrees(*d, text);
    if (HasFailure()) return;
  }
}

}  // namespace
}  // namespace astrolabe::redaction
