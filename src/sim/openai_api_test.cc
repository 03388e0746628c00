#include "sim/openai_api.h"

#include <gtest/gtest.h>

namespace astrolabe::sim {
namespace {

ApiError ParseError(ApiKind kind, std::string_view body) {
  ApiRequest req;
  ApiError err;
  EXPECT_FALSE(ParseApiRequest(kind, body, &req, &err)) << body;
  return err;
}

TEST(ParseApiRequest, ChatWithStreamOptions) {
  ApiRequest req;
  ApiError err;
  ASSERT_TRUE(ParseApiRequest(ApiKind::kChat,
                              R"({"model":"m","messages":[{"role":"system","content":"Be brief."},
          {"role":"user","content":[{"type":"text","text":"What is the capital of France?"}]}],
          "max_tokens":32,"stream":true,"stream_options":{"include_usage":true},"temperature":0.2})",
                              &req, &err))
      << err.message;
  EXPECT_EQ(req.model, "m");
  EXPECT_EQ(req.max_tokens, 32);
  EXPECT_TRUE(req.stream);
  EXPECT_TRUE(req.include_usage);
  // (9 + 30 bytes) / 4 rounded up, plus 4 per message.
  EXPECT_EQ(req.prompt_tokens, 10 + 8);
}

TEST(ParseApiRequest, BadRequestsNameTheParameter) {
  EXPECT_EQ(ParseError(ApiKind::kChat, "{not json").param, "");
  EXPECT_EQ(ParseError(ApiKind::kChat, "[1]").status, 400);
  EXPECT_EQ(ParseError(ApiKind::kChat, R"({"messages":[]})").param, "model");
  EXPECT_EQ(ParseError(ApiKind::kChat, R"({"model":"m"})").param, "messages");
  EXPECT_EQ(ParseError(ApiKind::kChat, R"({"model":"m","messages":[]})").param, "messages");
  EXPECT_EQ(
      ParseError(ApiKind::kChat, R"({"model":"m","messages":[{"role":"robot","content":"x"}]})")
          .param,
      "messages");
  EXPECT_EQ(ParseError(ApiKind::kChat,
                       R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":0})")
                .param,
            "max_tokens");
  // Whole doubles far outside int64 (found by sim_openai_fuzz: the cast was undefined).
  for (const char* tokens : {"-3.3e127", "9.3e18", "1e300"}) {
    EXPECT_EQ(ParseError(ApiKind::kChat,
                         std::string(R"({"model":"m","messages":[{"role":"user","content":"x"}],)") +
                             R"("max_tokens":)" + tokens + "}")
                  .param,
              "max_tokens")
        << tokens;
  }
  EXPECT_EQ(
      ParseError(ApiKind::kChat,
                 R"({"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"hot"})")
          .param,
      "temperature");
  EXPECT_EQ(ParseError(ApiKind::kChat, R"({"model":"m","messages":[{"role":"user","content":"x"}],
                                          "stream_options":{"include_usage":true}})")
                .param,
            "stream_options");
  EXPECT_EQ(ParseError(ApiKind::kCompletion, R"({"model":"m"})").param, "prompt");
  EXPECT_EQ(ParseError(ApiKind::kEmbedding, R"({"model":"m","input":[]})").param, "input");
  EXPECT_EQ(
      ParseError(ApiKind::kEmbedding, R"({"model":"m","input":"x","encoding_format":"hex"})").param,
      "encoding_format");
}

TEST(ErrorJson, OpenAiShape) {
  EXPECT_EQ(
      ErrorJson({400, "bad \"x\"", "invalid_request_error", "messages", ""}),
      R"({"error":{"message":"bad \"x\"","type":"invalid_request_error","param":"messages","code":null}})");
}

TEST(CompletionSse, ChunksThenUsageThenDone) {
  ApiRequest req;
  req.kind = ApiKind::kChat;
  req.model = "m";
  req.stream = true;
  req.include_usage = true;
  Completion c;
  c.prompt_tokens = 21;
  c.completion_tokens = 3;
  c.reason = FinishReason::kLength;
  auto tokens = GenerateTokens(1, 3);
  std::string sse = CompletionSse(req, {"chatcmpl-1", 1700000000}, tokens, c);
  EXPECT_EQ(sse.substr(0, 6), "data: ");
  EXPECT_NE(sse.find(R"("delta":{"role":"assistant","content":""})"), std::string::npos);
  EXPECT_NE(sse.find(R"("finish_reason":"length")"), std::string::npos);
  EXPECT_NE(
      sse.find(
          R"("choices":[],"usage":{"prompt_tokens":21,"total_tokens":24,"completion_tokens":3})"),
      std::string::npos);
  EXPECT_EQ(sse.substr(sse.size() - 14), "data: [DONE]\n\n");
  // Role chunk + 3 tokens + finish + usage + [DONE].
  size_t events = 0;
  for (size_t pos = 0; (pos = sse.find("data: ", pos)) != std::string::npos; pos += 6) ++events;
  EXPECT_EQ(events, 7u);
  auto usage = ExtractUsage(sse, true);
  ASSERT_TRUE(usage.has_value());
  EXPECT_EQ(usage->prompt_tokens, 21);
  EXPECT_EQ(usage->completion_tokens, 3);
  EXPECT_EQ(usage->total_tokens, 24);
}

TEST(ExtractUsage, JsonAndGarbage) {
  auto u = ExtractUsage(R"({"usage":{"prompt_tokens":5,"completion_tokens":7}})", false);
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->total_tokens, 12);
  EXPECT_FALSE(ExtractUsage("<html>", false).has_value());
  EXPECT_FALSE(ExtractUsage("data: {\"usage\":null}\n\ndata: [DONE]\n\n", true).has_value());
  EXPECT_FALSE(ExtractUsage(R"({"usage":{"prompt_tokens":-5}})", false).has_value());
}

TEST(GenerateTokens, DeterministicAndSized) {
  auto a = GenerateTokens(9, 50);
  EXPECT_EQ(a.size(), 50u);
  EXPECT_EQ(a, GenerateTokens(9, 50));
  EXPECT_NE(a, GenerateTokens(10, 50));
  EXPECT_NE(a[0][0], ' ');
  EXPECT_EQ(a[1][0], ' ');
  EXPECT_TRUE(GenerateTokens(1, 0).empty());
}

TEST(EmbeddingsJson, FloatAndBase64) {
  ApiRequest req;
  req.kind = ApiKind::kEmbedding;
  req.model = "e";
  req.inputs = 2;
  req.prompt_tokens = 4;
  std::string f = EmbeddingsJson(req, 8);
  EXPECT_NE(f.find(R"("index":1,"embedding":[)"), std::string::npos);
  EXPECT_NE(f.find(R"("usage":{"prompt_tokens":4,"total_tokens":4})"), std::string::npos);
  req.base64 = true;
  req.inputs = 1;
  std::string b = EmbeddingsJson(req, 3);
  // 3 floats = 12 bytes = 16 base64 characters.
  size_t at = b.find(R"("embedding":")");
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(b.find('"', at + 13) - (at + 13), 16u);
}

}  // namespace
}  // namespace astrolabe::sim
