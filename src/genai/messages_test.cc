#include "genai/messages.h"

#include <gtest/gtest.h>

namespace astrolabe::genai {
namespace {

TEST(AppendJsonString, EscapesAndReplacesBadUtf8) {
  std::string out;
  AppendJsonString(out, std::string("a\"b\\c\n\x01\x7f", 8));
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001\x7f\"");  // DEL as is, as Go writes it
  out.clear();
  AppendJsonString(out, "caf\xc3\xa9 \xff \xed\xa0\x80 \xe2\x82");  // é, bad byte, surrogate, cut
  EXPECT_EQ(out, "\"caf\xc3\xa9 \\ufffd \\ufffd\\ufffd\\ufffd \\ufffd\\ufffd\"");
  EXPECT_TRUE(IsJson("[" + out + "]"));
}

TEST(MessagesToJson, CurrentConventionShape) {
  Message user{"user", {{MessagePart::Type::kText, "Hi", "", "", ""}}, ""};
  Message tool_call{
      "assistant",
      {{MessagePart::Type::kToolCall, "", "call_1", "get_weather", "{\"city\": \"Paris\"}"},
       {MessagePart::Type::kToolCall, "", "", "bad", "not json"}},
      "tool_call"};
  Message tool{"tool", {{MessagePart::Type::kToolCallResponse, "18C", "call_1", "", ""}}, ""};
  EXPECT_EQ(MessagesToJson({user, tool_call, tool}),
            "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"Hi\"}]},"
            "{\"role\":\"assistant\",\"parts\":[{\"type\":\"tool_call\",\"id\":\"call_1\","
            "\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\"}},{\"type\":\"tool_call\","
            "\"name\":\"bad\",\"arguments\":\"not json\"}],\"finish_reason\":\"tool_call\"},"
            "{\"role\":\"tool\",\"parts\":[{\"type\":\"tool_call_response\",\"id\":\"call_1\","
            "\"response\":\"18C\"}]}]");
  EXPECT_EQ(MessagesToJson({}), "[]");
}

TEST(ParseMessagesJson, RoundTripsOurOutput) {
  Message m{"assistant",
            {{MessagePart::Type::kText, "x\ny", "", "", ""},
             {MessagePart::Type::kToolCall, "", "c", "f", "{\"a\":[1,2]}"}},
            "stop"};
  std::vector<Message> back;
  ASSERT_TRUE(ParseMessagesJson(MessagesToJson({m}), &back));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].role, "assistant");
  EXPECT_EQ(back[0].finish_reason, "stop");
  ASSERT_EQ(back[0].parts.size(), 2u);
  EXPECT_EQ(back[0].parts[0].content, "x\ny");
  EXPECT_EQ(back[0].parts[1].type, MessagePart::Type::kToolCall);
  EXPECT_EQ(back[0].parts[1].arguments, "{\"a\":[1,2]}");
}

TEST(ParseMessagesJson, OpenAiChatShape) {
  std::vector<Message> out;
  ASSERT_TRUE(ParseMessagesJson(
      R"([{"role":"system","content":"Be terse."},
          {"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},
          {"role":"assistant","content":null,"tool_calls":[{"id":"t1","type":"function",
            "function":{"name":"f","arguments":"{\"x\":1}"}}]},
          {"role":"tool","tool_call_id":"t1","content":"42"}])",
      &out));
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].parts[0].content, "Be terse.");
  ASSERT_EQ(out[1].parts.size(), 2u);
  EXPECT_EQ(out[1].parts[1].content, "b");
  ASSERT_EQ(out[2].parts.size(), 1u);
  EXPECT_EQ(out[2].parts[0].name, "f");
  EXPECT_EQ(out[2].parts[0].arguments, "{\"x\":1}");
  EXPECT_EQ(out[3].parts[0].type, MessagePart::Type::kToolCallResponse);
  EXPECT_EQ(out[3].parts[0].id, "t1");
}

TEST(ParseMessagesJson, RejectsGarbageWithoutTouchingOutput) {
  std::vector<Message> out = {Message{"keep", {}, ""}};
  for (std::string_view bad : {"", "{", "{}", "[1]", "[{\"role\":\"u\"}, 3]", "null", "\"x\""}) {
    EXPECT_FALSE(ParseMessagesJson(bad, &out)) << bad;
  }
  EXPECT_EQ(out.size(), 1u);
  EXPECT_FALSE(ParseMessagesJson("[{}]", &out, /*max_bytes=*/3));
}

TEST(IsJson, OnlyObjectsAndArrays) {
  std::string min;
  EXPECT_TRUE(IsJson(" { \"a\" : 1 } ", &min));
  EXPECT_EQ(min, "{\"a\":1}");
  EXPECT_FALSE(IsJson("12"));
  EXPECT_FALSE(IsJson("\"s\""));
  EXPECT_FALSE(IsJson("{bad}"));
  // Too deep to embed in a message and read back: stays a string.
  std::string deep = std::string(300, '[') + std::string(300, ']');
  EXPECT_FALSE(IsJson(deep));
  Message m{"assistant", {{MessagePart::Type::kToolCall, "", "", "f", deep}}, ""};
  std::vector<Message> back;
  ASSERT_TRUE(ParseMessagesJson(MessagesToJson({m}), &back));
  EXPECT_EQ(back[0].parts[0].arguments, deep);
}

}  // namespace
}  // namespace astrolabe::genai
