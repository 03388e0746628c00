#include "sim/openai_api.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "common/base64.h"
#include "common/json_string.h"

namespace astrolabe::sim {

namespace dom = simdjson::dom;

const char* ApiPath(ApiKind kind) {
  switch (kind) {
    case ApiKind::kChat:
      return "/v1/chat/completions";
    case ApiKind::kCompletion:
      return "/v1/completions";
    case ApiKind::kEmbedding:
      return "/v1/embeddings";
  }
  return "";
}

void AppendJsonString(std::string* out, std::string_view s) { astrolabe::AppendJsonString(*out, s); }

namespace {

void AppendNullable(std::string* out, const std::string& s) {
  if (s.empty()) {
    out->append("null");
  } else {
    AppendJsonString(out, s);
  }
}

uint64_t Fnv(uint64_t h, std::string_view s) {
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

bool Fail(ApiError* e, std::string param, std::string message, int status = 400) {
  e->status = status;
  e->type = "invalid_request_error";
  e->param = std::move(param);
  e->message = std::move(message);
  e->code.clear();
  return false;
}

// Text of a message's content: a string, null, or an array of parts ({"type":"text","text":…};
// other parts, such as images, count a fixed 85 tokens' worth of bytes).
bool ContentText(dom::element content, std::string* text, size_t index, ApiError* e) {
  std::string_view s;
  if (content.get(s) == simdjson::SUCCESS) {
    text->append(s);
    return true;
  }
  if (content.is_null()) return true;
  dom::array parts;
  if (content.get(parts) != simdjson::SUCCESS) {
    return Fail(e, "messages",
                "messages[" + std::to_string(index) +
                    "].content: expected a string or an array of content parts");
  }
  for (dom::element part : parts) {
    dom::object p;
    std::string_view type;
    if (part.get(p) != simdjson::SUCCESS || p["type"].get(type) != simdjson::SUCCESS) {
      return Fail(
          e, "messages",
          "messages[" + std::to_string(index) + "].content: each part needs a string 'type'");
    }
    std::string_view t;
    if (type == "text" && p["text"].get(t) == simdjson::SUCCESS) {
      text->append(t);
    } else {
      text->append(340, ' ');
    }
  }
  return true;
}

bool OptionalInt(dom::object obj, const char* key, int64_t lo, int64_t hi, int64_t* out,
                 ApiError* e) {
  dom::element v;
  if (obj[key].get(v) != simdjson::SUCCESS || v.is_null()) return true;
  int64_t i;
  double d;
  if (v.get(i) != simdjson::SUCCESS) {
    // A whole double inside int64's range (2^63 is exact as a double; the cast of anything
    // outside is undefined, e.g. -3.3e127 from the fuzzer).
    if (v.get(d) == simdjson::SUCCESS && d >= -9223372036854775808.0 &&
        d < 9223372036854775808.0 && d == std::trunc(d)) {
      i = static_cast<int64_t>(d);
    } else {
      return Fail(e, key, std::string("'") + key + "' must be an integer");
    }
  }
  if (i < lo || i > hi) {
    return Fail(e, key,
                std::string("'") + key + "' must be between " + std::to_string(lo) + " and " +
                    std::to_string(hi) + ", got " + std::to_string(i));
  }
  *out = i;
  return true;
}

bool OptionalNumber(dom::object obj, const char* key, double lo, double hi, ApiError* e) {
  dom::element v;
  if (obj[key].get(v) != simdjson::SUCCESS || v.is_null()) return true;
  double d;
  if (v.get(d) != simdjson::SUCCESS) {
    return Fail(e, key, std::string("'") + key + "' must be a number");
  }
  if (d < lo || d > hi) {
    return Fail(e, key,
                std::string("'") + key + "' must be between " + std::to_string(lo) + " and " +
                    std::to_string(hi));
  }
  return true;
}

bool OptionalBool(dom::object obj, const char* key, bool* out, ApiError* e) {
  dom::element v;
  if (obj[key].get(v) != simdjson::SUCCESS || v.is_null()) return true;
  if (v.get(*out) != simdjson::SUCCESS) {
    return Fail(e, key, std::string("'") + key + "' must be a boolean");
  }
  return true;
}

}  // namespace

std::string ErrorJson(const ApiError& error) {
  std::string out = "{\"error\":{\"message\":";
  AppendJsonString(&out, error.message);
  out += ",\"type\":";
  AppendJsonString(&out, error.type);
  out += ",\"param\":";
  AppendNullable(&out, error.param);
  out += ",\"code\":";
  AppendNullable(&out, error.code);
  out += "}}";
  return out;
}

int EstimateTokens(std::string_view text) {
  return static_cast<int>(std::max<size_t>(1, (text.size() + 3) / 4));
}

bool ParseApiRequest(ApiKind kind, std::string_view body, ApiRequest* out, ApiError* error) {
  *out = ApiRequest{};
  out->kind = kind;
  thread_local dom::parser parser;
  dom::element root;
  if (body.size() > size_t{8} * 1024 * 1024) {
    return Fail(error, "", "the request body is larger than 8 MiB", 413);
  }
  if (auto err = parser.parse(body.data(), body.size()).get(root); err != simdjson::SUCCESS) {
    return Fail(error, "",
                std::string("We could not parse the JSON body of your request: ") +
                    simdjson::error_message(err));
  }
  dom::object obj;
  if (root.get(obj) != simdjson::SUCCESS) {
    return Fail(error, "", "the request body must be a JSON object");
  }
  std::string_view model;
  if (obj["model"].get(model) != simdjson::SUCCESS || model.empty()) {
    return Fail(error, "model", "you must provide a model parameter");
  }
  out->model = std::string(model);
  std::string text;
  int overhead = 0;
  switch (kind) {
    case ApiKind::kChat: {
      dom::array messages;
      if (obj["messages"].get(messages) != simdjson::SUCCESS) {
        return Fail(error, "messages", "'messages' is required and must be an array");
      }
      size_t i = 0;
      for (dom::element m : messages) {
        dom::object msg;
        std::string_view role;
        if (m.get(msg) != simdjson::SUCCESS) {
          return Fail(error, "messages", "messages[" + std::to_string(i) + "]: expected an object");
        }
        if (msg["role"].get(role) != simdjson::SUCCESS) {
          return Fail(error, "messages",
                      "messages[" + std::to_string(i) + "].role: a string is required");
        }
        if (role != "system" && role != "user" && role != "assistant" && role != "tool" &&
            role != "developer" && role != "function") {
          return Fail(error, "messages",
                      "messages[" + std::to_string(i) + "].role: '" + std::string(role) +
                          "' is not one of system, user, " + "assistant, tool, developer");
        }
        dom::element content;
        if (msg["content"].get(content) != simdjson::SUCCESS) {
          if (role != "assistant") {
            return Fail(error, "messages",
                        "messages[" + std::to_string(i) + "].content: required for role '" +
                            std::string(role) + "'");
          }
        } else if (!ContentText(content, &text, i, error)) {
          return false;
        }
        overhead += 4;
        ++i;
      }
      if (i == 0) return Fail(error, "messages", "'messages' must contain at least one message");
      break;
    }
    case ApiKind::kCompletion: {
      dom::element prompt;
      if (obj["prompt"].get(prompt) != simdjson::SUCCESS) {
        return Fail(error, "prompt", "'prompt' is required");
      }
      std::string_view s;
      dom::array arr;
      if (prompt.get(s) == simdjson::SUCCESS) {
        text.append(s);
      } else if (prompt.get(arr) == simdjson::SUCCESS) {
        for (dom::element p : arr) {
          int64_t token;
          if (p.get(s) == simdjson::SUCCESS) {
            text.append(s);
          } else if (p.get(token) == simdjson::SUCCESS) {
            text.append(4, 'x');  // a token id
          } else {
            return Fail(error, "prompt", "'prompt' must be a string or an array of strings");
          }
        }
        if (arr.size() == 0) return Fail(error, "prompt", "'prompt' must not be empty");
      } else {
        return Fail(error, "prompt", "'prompt' must be a string or an array of strings");
      }
      break;
    }
    case ApiKind::kEmbedding: {
      dom::element input;
      if (obj["input"].get(input) != simdjson::SUCCESS) {
        return Fail(error, "input", "'input' is required");
      }
      std::string_view s;
      dom::array arr;
      if (input.get(s) == simdjson::SUCCESS) {
        if (s.empty()) return Fail(error, "input", "'input' must not be an empty string");
        text.append(s);
      } else if (input.get(arr) == simdjson::SUCCESS) {
        if (arr.size() == 0) return Fail(error, "input", "'input' must not be empty");
        if (arr.size() > 2048) return Fail(error, "input", "'input' holds more than 2048 items");
        out->inputs = static_cast<int>(arr.size());
        for (dom::element p : arr) {
          dom::array ids;
          if (p.get(s) == simdjson::SUCCESS) {
            text.append(s);
          } else if (p.get(ids) == simdjson::SUCCESS) {
            text.append(4 * ids.size(), 'x');
          } else {
            int64_t token;
            if (p.get(token) != simdjson::SUCCESS) {
              return Fail(error, "input", "'input' must be a string or an array of strings");
            }
            text.append(4, 'x');
          }
        }
      } else {
        return Fail(error, "input", "'input' must be a string or an array of strings");
      }
      std::string_view format;
      if (obj["encoding_format"].get(format) == simdjson::SUCCESS) {
        if (format == "base64") {
          out->base64 = true;
        } else if (format != "float") {
          return Fail(error, "encoding_format", "'encoding_format' must be 'float' or 'base64'");
        }
      }
      int64_t dims = 0;
      if (!OptionalInt(obj, "dimensions", 1, 8192, &dims, error)) return false;
      out->dimensions = static_cast<int>(dims);
      break;
    }
  }
  out->prompt_tokens = EstimateTokens(text) + overhead;
  out->text_hash = Fnv(0xcbf29ce484222325ULL, text);
  if (kind == ApiKind::kEmbedding) return true;

  int64_t max_tokens = 0;
  if (!OptionalInt(obj, "max_tokens", 1, 1 << 24, &max_tokens, error)) return false;
  if (!OptionalInt(obj, "max_completion_tokens", 1, 1 << 24, &max_tokens, error)) return false;
  out->max_tokens = static_cast<int>(max_tokens);
  int64_t n = 1;
  if (!OptionalInt(obj, "n", 1, 128, &n, error)) return false;
  if (n != 1) return Fail(error, "n", "this server supports only n=1");
  if (!OptionalNumber(obj, "temperature", 0, 2, error)) return false;
  if (!OptionalNumber(obj, "top_p", 0, 1, error)) return false;
  if (!OptionalNumber(obj, "presence_penalty", -2, 2, error)) return false;
  if (!OptionalNumber(obj, "frequency_penalty", -2, 2, error)) return false;
  if (!OptionalBool(obj, "stream", &out->stream, error)) return false;
  dom::element so;
  if (obj["stream_options"].get(so) == simdjson::SUCCESS && !so.is_null()) {
    if (!out->stream) {
      return Fail(error, "stream_options",
                  "The 'stream_options' parameter is only allowed when 'stream' is enabled.");
    }
    dom::object so_obj;
    if (so.get(so_obj) != simdjson::SUCCESS) {
      return Fail(error, "stream_options", "'stream_options' must be an object");
    }
    if (!OptionalBool(so_obj, "include_usage", &out->include_usage, error)) return false;
  }
  return true;
}

std::vector<std::string> GenerateTokens(uint64_t seed, int n) {
  // Sentences an assistant on an inference platform might say; answers are sentences drawn
  // from here in a seeded order, cut at n tokens (one word with its leading space = one token).
  static constexpr const char* kSentences[] = {
      "Sure, here is a short answer.",
      "The KV cache stores the attention keys and values of every token already processed.",
      "Batching many requests together keeps the GPU busy and raises throughput.",
      "Time to first token depends mostly on the prompt length and the queue in front of it.",
      "Each output token after the first costs one decoding step of the whole batch.",
      "When the cache is full, the scheduler preempts the newest request and recomputes it later.",
      "A smaller model answers faster, but a larger one is usually more accurate.",
      "Streaming lets the user read the answer while the rest is still being generated.",
      "The gateway counts prompt and completion tokens and multiplies them by the price.",
      "Costs add up quickly when long prompts are sent with every request.",
      "Caching frequent system prompts saves both latency and money.",
      "Paris is the capital of France and its largest city.",
      "Kubernetes restarts the pod when the health check fails three times in a row.",
      "The p95 latency rose because the waiting queue grew during the traffic burst.",
      "To reduce cost, route simple questions to the small model.",
      "Observability means you can answer new questions about your system without new code.",
      "Traces show where the time went, metrics show how often, and logs show why.",
      "A rate limit protects the backend when clients send more than it can serve.",
      "In short, measure first, then optimise the slowest step.",
      "Let me know if you would like more detail on any of these points.",
  };
  constexpr size_t kCount = sizeof(kSentences) / sizeof(kSentences[0]);
  Rng rng(seed);
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(std::max(0, n)));
  while (static_cast<int>(out.size()) < n) {
    std::string_view sentence = kSentences[rng.Below(kCount)];
    size_t pos = 0;
    while (pos < sentence.size() && static_cast<int>(out.size()) < n) {
      size_t end = sentence.find(' ', pos);
      if (end == std::string_view::npos) end = sentence.size();
      std::string token = out.empty() ? "" : " ";
      token.append(sentence.substr(pos, end - pos));
      out.push_back(std::move(token));
      pos = end + 1;
    }
  }
  return out;
}

namespace {

const char* FinishText(const Completion& c) {
  return c.reason == FinishReason::kLength ? "length" : "stop";
}

void AppendUsage(std::string* out, const Completion& c) {
  *out += "{\"prompt_tokens\":" + std::to_string(c.prompt_tokens) +
          ",\"total_tokens\":" + std::to_string(c.prompt_tokens + c.completion_tokens) +
          ",\"completion_tokens\":" + std::to_string(c.completion_tokens) + "}";
}

void AppendHead(std::string* out, const ApiRequest& req, const ResponseMeta& meta,
                const char* object) {
  *out += "{\"id\":";
  AppendJsonString(out, meta.id);
  *out += ",\"object\":\"";
  *out += object;
  *out += "\",\"created\":" + std::to_string(meta.created) + ",\"model\":";
  AppendJsonString(out, req.model);
}

}  // namespace

std::string CompletionJson(const ApiRequest& req, const ResponseMeta& meta,
                           const std::vector<std::string>& tokens, const Completion& c) {
  std::string text;
  for (const auto& t : tokens) text += t;
  std::string out;
  bool chat = req.kind == ApiKind::kChat;
  AppendHead(&out, req, meta, chat ? "chat.completion" : "text_completion");
  out += ",\"choices\":[{\"index\":0,";
  if (chat) {
    out += "\"message\":{\"role\":\"assistant\",\"content\":";
    AppendJsonString(&out, text);
    out += "},";
  } else {
    out += "\"text\":";
    AppendJsonString(&out, text);
    out += ",";
  }
  out += "\"logprobs\":null,\"finish_reason\":\"";
  out += FinishText(c);
  out += "\"}],\"usage\":";
  AppendUsage(&out, c);
  out += "}";
  return out;
}

namespace {

// One "data: {...}\n\n" event of a streamed completion with one choice.
std::string SseChunk(const ApiRequest& req, const ResponseMeta& meta, std::string_view choice_body,
                     const char* finish) {
  bool chat = req.kind == ApiKind::kChat;
  std::string out = "data: ";
  AppendHead(&out, req, meta, chat ? "chat.completion.chunk" : "text_completion");
  out += ",\"choices\":[{\"index\":0,";
  out += choice_body;
  out += ",\"logprobs\":null,\"finish_reason\":";
  out += finish ? std::string("\"") + finish + "\"" : "null";
  out += "}]";
  if (req.include_usage) out += ",\"usage\":null";
  out += "}\n\n";
  return out;
}

}  // namespace

std::string SseFirstChunk(const ApiRequest& req, const ResponseMeta& meta) {
  if (req.kind != ApiKind::kChat) return "";
  return SseChunk(req, meta, "\"delta\":{\"role\":\"assistant\",\"content\":\"\"}", nullptr);
}

std::string SseTokenChunk(const ApiRequest& req, const ResponseMeta& meta, std::string_view token) {
  std::string body;
  if (req.kind == ApiKind::kChat) {
    body = "\"delta\":{\"content\":";
    AppendJsonString(&body, token);
    body += "}";
  } else {
    body = "\"text\":";
    AppendJsonString(&body, token);
  }
  return SseChunk(req, meta, body, nullptr);
}

std::string SseLastChunks(const ApiRequest& req, const ResponseMeta& meta, const Completion& c) {
  bool chat = req.kind == ApiKind::kChat;
  std::string out = SseChunk(req, meta, chat ? "\"delta\":{}" : "\"text\":\"\"", FinishText(c));
  if (req.include_usage) {
    out += "data: ";
    AppendHead(&out, req, meta, chat ? "chat.completion.chunk" : "text_completion");
    out += ",\"choices\":[],\"usage\":";
    AppendUsage(&out, c);
    out += "}\n\n";
  }
  out += "data: [DONE]\n\n";
  return out;
}

std::string SseErrorEvent(const ApiError& error) { return "data: " + ErrorJson(error) + "\n\n"; }

std::string CompletionSse(const ApiRequest& req, const ResponseMeta& meta,
                          const std::vector<std::string>& tokens, const Completion& c) {
  std::string out = SseFirstChunk(req, meta);
  for (const auto& t : tokens) out += SseTokenChunk(req, meta, t);
  out += SseLastChunks(req, meta, c);
  return out;
}

namespace {

std::string Base64(const unsigned char* data, size_t n) {
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(data), n));
}

}  // namespace

std::string EmbeddingsJson(const ApiRequest& req, int dimensions) {
  int dims = req.dimensions > 0 ? req.dimensions : dimensions;
  std::string out = "{\"object\":\"list\",\"data\":[";
  Rng rng(req.text_hash);
  std::vector<float> v(static_cast<size_t>(dims));
  char buf[32];
  for (int i = 0; i < req.inputs; ++i) {
    double norm = 0;
    for (float& x : v) {
      x = static_cast<float>(rng.Normal());
      norm += static_cast<double>(x) * x;
    }
    norm = std::sqrt(norm);
    for (float& x : v) x = static_cast<float>(x / norm);
    if (i > 0) out += ",";
    out += "{\"object\":\"embedding\",\"index\":" + std::to_string(i) + ",\"embedding\":";
    if (req.base64) {
      std::vector<unsigned char> bytes(v.size() * 4);
      for (size_t k = 0; k < v.size(); ++k) {
        uint32_t bits;
        std::memcpy(&bits, &v[k], 4);
        for (int b = 0; b < 4; ++b) bytes[k * 4 + b] = static_cast<unsigned char>(bits >> (8 * b));
      }
      out += "\"" + Base64(bytes.data(), bytes.size()) + "\"";
    } else {
      out += "[";
      for (size_t k = 0; k < v.size(); ++k) {
        if (k > 0) out += ",";
        std::snprintf(buf, sizeof buf, "%.6g", static_cast<double>(v[k]));
        out += buf;
      }
      out += "]";
    }
    out += "}";
  }
  out += "],\"model\":";
  AppendJsonString(&out, req.model);
  out += ",\"usage\":{\"prompt_tokens\":" + std::to_string(req.prompt_tokens) +
         ",\"total_tokens\":" + std::to_string(req.prompt_tokens) + "}}";
  return out;
}

std::string ModelsJson(const std::vector<std::string>& models, int64_t created,
                       std::string_view owned_by) {
  std::string out = "{\"object\":\"list\",\"data\":[";
  for (size_t i = 0; i < models.size(); ++i) {
    if (i > 0) out += ",";
    out += "{\"id\":";
    AppendJsonString(&out, models[i]);
    out += ",\"object\":\"model\",\"created\":" + std::to_string(created) + ",\"owned_by\":";
    AppendJsonString(&out, owned_by);
    out += "}";
  }
  out += "]}";
  return out;
}

namespace {

std::optional<Usage> UsageFromJson(std::string_view json) {
  thread_local dom::parser parser;
  dom::element root;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS) return std::nullopt;
  dom::object usage;
  if (root["usage"].get(usage) != simdjson::SUCCESS) return std::nullopt;
  Usage u;
  int64_t v;
  if (usage["prompt_tokens"].get(v) == simdjson::SUCCESS) u.prompt_tokens = v;
  if (usage["completion_tokens"].get(v) == simdjson::SUCCESS) u.completion_tokens = v;
  if (usage["total_tokens"].get(v) == simdjson::SUCCESS) {
    u.total_tokens = v;
  } else {
    u.total_tokens = u.prompt_tokens + u.completion_tokens;
  }
  if (u.prompt_tokens < 0 || u.completion_tokens < 0 || u.total_tokens < 0) return std::nullopt;
  return u;
}

}  // namespace

std::optional<Usage> ExtractUsage(std::string_view body, bool sse) {
  if (!sse) return UsageFromJson(body);
  std::optional<Usage> last;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t eol = body.find('\n', pos);
    if (eol == std::string_view::npos) eol = body.size();
    std::string_view line = body.substr(pos, eol - pos);
    pos = eol + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.substr(0, 5) != "data:") continue;
    line.remove_prefix(5);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (line == "[DONE]" || line.find("\"usage\"") == std::string_view::npos) continue;
    if (auto u = UsageFromJson(line)) last = u;
  }
  return last;
}

}  // namespace astrolabe::sim
