#include "genai/normalize.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <map>
#include <string_view>
#include <utility>
#include <vector>

#include "common/same_bytes.h"
#include "common/strings.h"
#include "genai/key_index.h"
#include "genai/messages.h"

namespace astrolabe::genai {

namespace {

using pdata::AnyValue;
using pdata::Attributes;
using pdata::KeyValue;
using pdata::KeyValueList;

// Indices above this in gen_ai.prompt.N / llm.input_messages.N are treated as garbage: a
// real conversation never has that many messages, and a hostile key must not make us build
// a huge array.
constexpr int64_t kMaxIndex = 100'000;

bool ParseInt(std::string_view s, int64_t* out) {
  s = TrimSpace(s);
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

// Everything an extraction accumulates besides the call itself. Keys are looked up through
// the span's KeyIndex (key_index.h), built once per span.
struct Context {
  Context(const Attributes& a, const KeyIndex& i) : attrs(a), index(i) {}
  const Attributes& attrs;
  const KeyIndex& index;
  int64_t malformed = 0;
  // Canonical request attributes with no LlmCall field (penalties, stop sequences, ...).
  std::vector<std::pair<KeyId, AnyValue>> extra;

  const AnyValue* Find(KeyId key) const { return index.Find(key); }

  // A string attribute (borrowed from the span); a present value of another type counts as
  // malformed.
  const std::string* Str(KeyId key) {
    const AnyValue* v = Find(key);
    if (v == nullptr || v->empty()) return nullptr;
    if (v->type() != AnyValue::Type::kString) {
      ++malformed;
      return nullptr;
    }
    return &v->string_value();
  }

  // A token count: int, integral double or decimal string (OTLP/JSON int64 as text) >= 0.
  std::optional<int64_t> Count(KeyId key) {
    const AnyValue* v = Find(key);
    if (v == nullptr || v->empty()) return std::nullopt;
    int64_t n = -1;
    switch (v->type()) {
      case AnyValue::Type::kInt:
        n = v->int_value();
        break;
      case AnyValue::Type::kDouble: {
        double d = v->double_value();
        if (std::isfinite(d) && d >= 0 && d < 9e18 && d == std::floor(d))
          n = static_cast<int64_t>(d);
        break;
      }
      case AnyValue::Type::kString:
        if (!ParseInt(v->string_value(), &n)) n = -1;
        break;
      default:
        break;
    }
    if (n < 0) {
      ++malformed;
      return std::nullopt;
    }
    return n;
  }

  std::optional<double> Number(KeyId key) {
    const AnyValue* v = Find(key);
    if (v == nullptr || v->empty()) return std::nullopt;
    if (v->type() == AnyValue::Type::kDouble && std::isfinite(v->double_value())) {
      return v->double_value();
    }
    if (v->type() == AnyValue::Type::kInt) return static_cast<double>(v->int_value());
    ++malformed;
    return std::nullopt;
  }

  std::optional<bool> Bool(KeyId key) {
    const AnyValue* v = Find(key);
    if (v == nullptr || v->empty()) return std::nullopt;
    if (v->type() == AnyValue::Type::kBool) return v->bool_value();
    if (v->type() == AnyValue::Type::kString) {
      std::string s = AsciiLower(v->string_value());
      if (s == "true") return true;
      if (s == "false") return false;
    }
    ++malformed;
    return std::nullopt;
  }

  // The first of `keys` that yields a count (every present one is checked for garbage).
  std::optional<int64_t> FirstCount(std::initializer_list<KeyId> keys) {
    std::optional<int64_t> out;
    for (KeyId k : keys) {
      if (Find(k) == nullptr) continue;
      std::optional<int64_t> n = Count(k);
      if (!out) out = n;
    }
    return out;
  }
};

// The value as text: strings as they are, anything else as its JSON-ish text.
std::string Text(const AnyValue& v) {
  if (v.type() == AnyValue::Type::kString) return v.string_value();
  return pdata::AnyValueToString(v);
}

// "12.role" → (12, "role"). False when `rest` does not start with an index and a dot.
bool SplitIndex(std::string_view rest, int64_t* index, std::string_view* tail) {
  size_t dot = rest.find('.');
  if (dot == 0 || dot == std::string_view::npos || dot > 18) return false;
  for (size_t i = 0; i < dot; ++i) {
    if (rest[i] < '0' || rest[i] > '9') return false;
  }
  if (!ParseInt(rest.substr(0, dot), index)) return false;
  *tail = rest.substr(dot + 1);
  return true;
}

// Indexed keys under `prefix` ("gen_ai.prompt.") grouped by index in numeric order
// (gen_ai.prompt.10 after gen_ai.prompt.2): index → (tail → value).
using Indexed = std::map<int64_t, std::vector<std::pair<std::string_view, const AnyValue*>>>;

Indexed CollectIndexed(Context& ctx, Prefix which) {
  Indexed out;
  if (!ctx.index.HasPrefix(which)) return out;  // no key starts with it
  const std::string_view prefix = PrefixText(which);
  for (const KeyValue& kv : ctx.attrs) {
    std::string_view key = kv.key;
    if (!StartsWith(key, prefix)) continue;
    int64_t index;
    std::string_view tail;
    if (!SplitIndex(key.substr(prefix.size()), &index, &tail))
      continue;  // e.g. prompt_filter_results
    if (index > kMaxIndex) {
      ++ctx.malformed;
      continue;
    }
    out[index].emplace_back(tail, &kv.value);
  }
  return out;
}

const AnyValue* Field(const std::vector<std::pair<std::string_view, const AnyValue*>>& fields,
                      std::string_view name) {
  for (const auto& [k, v] : fields) {
    if (k == name) return v;
  }
  return nullptr;
}

std::string FieldText(const std::vector<std::pair<std::string_view, const AnyValue*>>& fields,
                      std::string_view name) {
  const AnyValue* v = Field(fields, name);
  return v == nullptr || v->empty() ? "" : Text(*v);
}

// Tool calls of one indexed message: `<calls>.{j}.<id|name|arguments>` (OpenLLMetry) or
// `<calls>.{j}.tool_call.<id|function.name|function.arguments>` (OpenInference).
void IndexedToolCalls(Context& ctx,
                      const std::vector<std::pair<std::string_view, const AnyValue*>>& fields,
                      std::string_view calls_prefix, std::string_view item_prefix, Message* m) {
  std::map<int64_t, MessagePart> calls;
  for (const auto& [k, v] : fields) {
    if (!StartsWith(k, calls_prefix)) continue;
    int64_t j;
    std::string_view tail;
    if (!SplitIndex(k.substr(calls_prefix.size()), &j, &tail) || j > kMaxIndex) {
      ++ctx.malformed;
      continue;
    }
    if (!item_prefix.empty()) {
      if (!StartsWith(tail, item_prefix)) continue;
      tail = tail.substr(item_prefix.size());
    }
    MessagePart& p = calls[j];
    p.type = MessagePart::Type::kToolCall;
    if (tail == "id") p.id = Text(*v);
    if (tail == "name" || tail == "function.name") p.name = Text(*v);
    if (tail == "arguments" || tail == "function.arguments") p.arguments = Text(*v);
  }
  for (auto& [j, p] : calls) m->parts.push_back(std::move(p));
}

// OpenLLMetry's gen_ai.prompt.{i}.* / gen_ai.completion.{i}.*.
std::vector<Message> LegacyMessages(Context& ctx, Prefix prefix, bool output,
                                    std::vector<std::string>* finish_reasons) {
  std::vector<Message> out;
  for (auto& [index, fields] : CollectIndexed(ctx, prefix)) {
    Message m;
    m.role = FieldText(fields, "role");
    if (m.role.empty()) m.role = output ? "assistant" : "user";
    std::string content = FieldText(fields, "content");
    std::string tool_call_id = FieldText(fields, "tool_call_id");
    if (m.role == "tool" && !tool_call_id.empty()) {
      m.parts.push_back({MessagePart::Type::kToolCallResponse, content, tool_call_id, "", ""});
    } else if (Field(fields, "content") != nullptr) {
      m.parts.push_back({MessagePart::Type::kText, content, "", "", ""});
    }
    std::string refusal = FieldText(fields, "refusal");
    if (!refusal.empty()) m.parts.push_back({MessagePart::Type::kText, refusal, "", "", ""});
    IndexedToolCalls(ctx, fields, "tool_calls.", "", &m);
    if (output) {
      m.finish_reason = FieldText(fields, "finish_reason");
      if (finish_reasons != nullptr && !m.finish_reason.empty()) {
        finish_reasons->push_back(m.finish_reason);
      }
    }
    out.push_back(std::move(m));
  }
  return out;
}

// OpenInference's llm.input_messages.{i}.message.* / llm.output_messages.{i}.message.*.
std::vector<Message> OpenInferenceMessages(Context& ctx, Prefix prefix, bool output) {
  std::vector<Message> out;
  for (auto& [index, fields] : CollectIndexed(ctx, prefix)) {
    Message m;
    m.role = FieldText(fields, "message.role");
    if (m.role.empty()) m.role = output ? "assistant" : "user";
    std::string tool_call_id = FieldText(fields, "message.tool_call_id");
    if (Field(fields, "message.content") != nullptr) {
      std::string content = FieldText(fields, "message.content");
      if (m.role == "tool" && !tool_call_id.empty()) {
        m.parts.push_back({MessagePart::Type::kToolCallResponse, content, tool_call_id, "", ""});
      } else {
        m.parts.push_back({MessagePart::Type::kText, content, "", "", ""});
      }
    }
    // message.contents.{k}.message_content.{type,text}
    std::map<int64_t, std::string> contents;
    for (const auto& [k, v] : fields) {
      constexpr std::string_view kContents = "message.contents.";
      if (!StartsWith(k, kContents)) continue;
      int64_t j;
      std::string_view tail;
      if (!SplitIndex(k.substr(kContents.size()), &j, &tail) || j > kMaxIndex) {
        ++ctx.malformed;
        continue;
      }
      if (tail == "message_content.text") contents[j] = Text(*v);
    }
    for (auto& [j, text] : contents) {
      m.parts.push_back({MessagePart::Type::kText, std::move(text), "", "", ""});
    }
    IndexedToolCalls(ctx, fields, "message.tool_calls.", "tool_call.", &m);
    out.push_back(std::move(m));
  }
  return out;
}

// A message from the fields of a deprecated GenAI message event (span event attributes or
// a log record's kvlist body). `name` is the event name. False when it is not one.
bool MessageFromEvent(std::string_view name, const KeyValueList& fields, Message* m,
                      bool* is_output, int64_t* malformed) {
  static constexpr std::pair<std::string_view, std::string_view> kRoles[] = {
      {"gen_ai.system.message", "system"},
      {"gen_ai.user.message", "user"},
      {"gen_ai.assistant.message", "assistant"},
      {"gen_ai.tool.message", "tool"},
      {"gen_ai.choice", "assistant"},
  };
  std::string_view role;
  for (const auto& [n, r] : kRoles) {
    if (n == name) role = r;
  }
  if (role.empty()) return false;
  *is_output = name == "gen_ai.choice";
  const KeyValueList* body = &fields;
  if (*is_output) {
    if (const AnyValue* fr = pdata::FindAttribute(fields, "finish_reason")) {
      m->finish_reason = Text(*fr);
    }
    if (const AnyValue* msg = pdata::FindAttribute(fields, "message")) {
      if (msg->type() == AnyValue::Type::kKvList) {
        body = &msg->kvlist_value();
      } else if (!msg->empty()) {
        ++*malformed;
      }
    }
  }
  m->role = std::string(role);
  if (const AnyValue* r = pdata::FindAttribute(*body, "role")) {
    if (r->type() == AnyValue::Type::kString && !r->string_value().empty()) {
      m->role = r->string_value();
    }
  }
  std::string id;
  if (const AnyValue* v = pdata::FindAttribute(*body, "id")) id = Text(*v);
  if (const AnyValue* c = pdata::FindAttribute(*body, "content")) {
    if (!c->empty()) {
      bool tool = m->role == "tool" && !id.empty();
      m->parts.push_back({tool ? MessagePart::Type::kToolCallResponse : MessagePart::Type::kText,
                          Text(*c), tool ? id : "", "", ""});
    }
  }
  if (const AnyValue* calls = pdata::FindAttribute(*body, "tool_calls")) {
    if (calls->type() == AnyValue::Type::kArray) {
      for (const AnyValue& call : calls->array_value()) {
        if (call.type() != AnyValue::Type::kKvList) {
          ++*malformed;
          continue;
        }
        MessagePart p;
        p.type = MessagePart::Type::kToolCall;
        const KeyValueList& c = call.kvlist_value();
        if (const AnyValue* v = pdata::FindAttribute(c, "id")) p.id = Text(*v);
        const KeyValueList* fn = &c;
        if (const AnyValue* f = pdata::FindAttribute(c, "function")) {
          if (f->type() == AnyValue::Type::kKvList) fn = &f->kvlist_value();
        }
        if (const AnyValue* v = pdata::FindAttribute(*fn, "name")) p.name = Text(*v);
        if (const AnyValue* v = pdata::FindAttribute(*fn, "arguments")) p.arguments = Text(*v);
        m->parts.push_back(std::move(p));
      }
    } else if (calls->type() == AnyValue::Type::kString) {
      std::vector<Message> tmp;
      std::string wrapped = "[{\"tool_calls\":" + calls->string_value() + "}]";
      if (ParseMessagesJson(wrapped, &tmp) && tmp.size() == 1) {
        for (MessagePart& p : tmp[0].parts) m->parts.push_back(std::move(p));
      } else {
        ++*malformed;
      }
    } else if (!calls->empty()) {
      ++*malformed;
    }
  }
  return true;
}

// Messages from a span's events: the deprecated per-message events (v1.28–v1.36), the v1.26
// gen_ai.content.prompt / gen_ai.content.completion events and v1.37's
// gen_ai.client.inference.operation.details.
void EventMessages(Context& ctx, const pdata::Span& span, size_t max_bytes,
                   std::vector<Message>* in, std::vector<Message>* out) {
  for (const pdata::SpanEvent& e : span.events) {
    if (!StartsWith(e.name, "gen_ai.")) continue;
    Message m;
    bool is_output = false;
    if (MessageFromEvent(e.name, e.attributes, &m, &is_output, &ctx.malformed)) {
      (is_output ? out : in)->push_back(std::move(m));
      continue;
    }
    auto json_attr = [&](std::string_view key, std::vector<Message>* dst) {
      const AnyValue* v = pdata::FindAttribute(e.attributes, key);
      if (v == nullptr) return;
      std::string text =
          v->type() == AnyValue::Type::kString ? v->string_value() : pdata::AnyValueToString(*v);
      if (!ParseMessagesJson(text, dst, max_bytes)) ++ctx.malformed;
    };
    if (e.name == "gen_ai.content.prompt") json_attr("gen_ai.prompt", in);
    if (e.name == "gen_ai.content.completion") json_attr("gen_ai.completion", out);
    if (e.name == "gen_ai.client.inference.operation.details") {
      json_attr("gen_ai.input.messages", in);
      json_attr("gen_ai.output.messages", out);
    }
  }
}

// OpenInference's input.value / output.value: JSON of an OpenAI-style request or response
// ({"messages":[...]}, {"choices":[{"message":...,"finish_reason":...}]}) or plain text.
void ValueMessages(Context& ctx, KeyId key, bool output, size_t max_bytes,
                   std::vector<Message>* dst, std::vector<std::string>* finish_reasons) {
  const std::string* v = ctx.Str(key);
  if (v == nullptr || v->empty()) return;
  if (v->size() > max_bytes) {
    ++ctx.malformed;
    return;
  }
  namespace dom = simdjson::dom;
  dom::parser parser;
  dom::element doc;
  size_t first = v->find_first_not_of(" \t\r\n");
  bool looks_json = first != std::string::npos && ((*v)[first] == '{' || (*v)[first] == '[');
  if (looks_json && parser.parse(v->data(), v->size(), true).get(doc) == simdjson::SUCCESS) {
    dom::array arr;
    if (!output && doc["messages"].get_array().get(arr) == simdjson::SUCCESS) {
      std::string json = simdjson::minify(arr);
      if (!ParseMessagesJson(json, dst, max_bytes)) ++ctx.malformed;
      return;
    }
    if (output && doc["choices"].get_array().get(arr) == simdjson::SUCCESS) {
      for (dom::element c : arr) {
        dom::element msg;
        if (c["message"].get(msg) != simdjson::SUCCESS) continue;
        std::vector<Message> one;
        std::string json = "[" + simdjson::minify(msg) + "]";
        if (!ParseMessagesJson(json, &one, max_bytes) || one.size() != 1) continue;
        std::string_view fr;
        if (c["finish_reason"].get_string().get(fr) == simdjson::SUCCESS) {
          one[0].finish_reason = std::string(fr);
          if (finish_reasons != nullptr) finish_reasons->push_back(std::string(fr));
        }
        if (one[0].role.empty()) one[0].role = "assistant";
        dst->push_back(std::move(one[0]));
      }
      return;
    }
    return;  // JSON of another shape: no messages from it
  }
  Message m;
  m.role = output ? "assistant" : "user";
  m.parts.push_back({MessagePart::Type::kText, *v, "", "", ""});
  dst->push_back(std::move(m));
}

// llm.invocation_parameters (OpenInference): a JSON object of the request parameters.
void InvocationParameters(Context& ctx, LlmCall* call) {
  const std::string* v = ctx.Str(K("llm.invocation_parameters"));
  if (v == nullptr) return;
  namespace dom = simdjson::dom;
  dom::parser parser;
  dom::object o;
  if (v->size() > (1u << 20) ||
      parser.parse(v->data(), v->size(), true).get_object().get(o) != simdjson::SUCCESS) {
    ++ctx.malformed;
    return;
  }
  bool stream;
  if (call != nullptr && !call->stream && o["stream"].get_bool().get(stream) == simdjson::SUCCESS) {
    call->stream = stream;
  }
  auto number = [&](std::string_view json_key, KeyId attr) {
    if (ctx.Find(attr) != nullptr) return;
    double d;
    int64_t i;
    if (o[json_key].get_int64().get(i) == simdjson::SUCCESS) {
      ctx.extra.emplace_back(attr, AnyValue(i));
    } else if (o[json_key].get_double().get(d) == simdjson::SUCCESS) {
      ctx.extra.emplace_back(attr, AnyValue(d));
    }
  };
  number("max_tokens", K("gen_ai.request.max_tokens"));
  number("max_completion_tokens", K("gen_ai.request.max_tokens"));
  number("temperature", K("gen_ai.request.temperature"));
  number("top_p", K("gen_ai.request.top_p"));
  number("frequency_penalty", K("gen_ai.request.frequency_penalty"));
  number("presence_penalty", K("gen_ai.request.presence_penalty"));
  number("seed", K("gen_ai.request.seed"));
}

// llm.request.functions.{i}.{name,description,parameters|arguments} → gen_ai.tool.definitions.
std::string ToolDefinitions(Context& ctx) {
  Indexed fns = CollectIndexed(ctx, Prefix::kLlmRequestFunctions);
  if (fns.empty()) return "";
  std::string out = "[";
  bool first = true;
  for (auto& [i, fields] : fns) {
    if (!first) out += ',';
    first = false;
    out += "{\"type\":\"function\",\"name\":";
    AppendJsonString(out, FieldText(fields, "name"));
    std::string description = FieldText(fields, "description");
    if (!description.empty()) {
      out += ",\"description\":";
      AppendJsonString(out, description);
    }
    std::string params = FieldText(fields, "parameters");
    if (params.empty()) params = FieldText(fields, "arguments");
    if (!params.empty()) {
      out += ",\"parameters\":";
      std::string minified;
      if (IsJson(params, &minified)) {
        out += minified;
      } else {
        AppendJsonString(out, params);
      }
    }
    out += '}';
  }
  out += ']';
  return out;
}

// "https://host:port/path" → host, port (443/80 by scheme when absent).
bool ParseBaseUrl(std::string_view url, std::string* host, int64_t* port) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return false;
  std::string scheme = AsciiLower(url.substr(0, scheme_end));
  std::string_view rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  size_t at = rest.rfind('@');
  if (at != std::string_view::npos) rest = rest.substr(at + 1);
  std::string_view h = rest;
  *port = scheme == "https" ? 443 : scheme == "http" ? 80 : 0;
  if (!rest.empty() && rest.front() == '[') {  // [ipv6]:port
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return false;
    h = rest.substr(1, close - 1);
    rest = rest.substr(close + 1);
    if (!rest.empty() && rest.front() == ':' && !ParseInt(rest.substr(1), port)) return false;
  } else if (size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    h = rest.substr(0, colon);
    if (!ParseInt(rest.substr(colon + 1), port)) return false;
  }
  if (h.empty() || *port < 0 || *port > 65535) return false;
  *host = std::string(h);
  return true;
}

std::string OperationFromOpenInferenceKind(std::string_view kind) {
  std::string k = AsciiLower(kind);
  if (k == "llm") return "chat";
  if (k == "embedding") return "embeddings";
  if (k == "reranker") return "rerank";
  return "";
}

// Inline (common/strings.h's StartsWith is a call): DetectDialect runs it on every attribute
// of every span.
inline bool HasPrefix(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && std::memcmp(s.data(), p.data(), p.size()) == 0;
}

std::optional<Dialect> DetectDialect(const pdata::Span& span) {
  bool oi = false, legacy = false, otel = false;
  // The keys of the three dialects are disjoint, so each key is classified once, dispatched
  // on its first byte and namespace: most keys of a span (server.*, http.*, traceloop.*) are
  // skipped after one comparison.
  for (const KeyValue& kv : span.attributes) {
    std::string_view k = kv.key;
    if (k.empty()) continue;
    switch (k[0]) {
      case 'o':
        if (SameBytes(k, "openinference.span.kind")) oi = true;
        break;
      case 'e':
        if (SameBytes(k, "embedding.model_name")) oi = true;
        break;
      case 'l': {
        if (!HasPrefix(k, "llm.")) break;
        std::string_view r = k.substr(4);
        if (SameBytes(r, "model_name") || SameBytes(r, "provider") ||
            SameBytes(r, "invocation_parameters") || HasPrefix(r, "token_count.") ||
            HasPrefix(r, "input_messages.") || HasPrefix(r, "output_messages.")) {
          oi = true;
        } else if (SameBytes(r, "request.type") || SameBytes(r, "usage.total_tokens") ||
                   SameBytes(r, "is_streaming") || HasPrefix(r, "request.functions.")) {
          legacy = true;
        }
        break;
      }
      case 'g': {
        if (!HasPrefix(k, "gen_ai.")) break;
        std::string_view r = k.substr(7);
        if (HasPrefix(r, "prompt.") || HasPrefix(r, "completion.") || HasPrefix(r, "openai.")) {
          legacy = true;
        } else if (SameBytes(r, "operation.name") || SameBytes(r, "provider.name") ||
                   SameBytes(r, "system") || SameBytes(r, "request.model") ||
                   SameBytes(r, "response.model") || HasPrefix(r, "usage.") ||
                   SameBytes(r, "input.messages") || SameBytes(r, "output.messages")) {
          otel = true;
        }
        break;
      }
      default:
        break;
    }
  }
  if (!otel) {
    for (const pdata::SpanEvent& e : span.events) {
      if (StartsWith(e.name, "gen_ai.")) otel = true;
    }
  }
  if (oi) return Dialect::kOpenInference;
  if (legacy) return Dialect::kOpenLlmetry;
  if (otel) return Dialect::kOtel;
  return std::nullopt;
}

void PutIfAbsent(Attributes& attrs, std::string_view key, AnyValue value) {
  if (pdata::FindAttribute(attrs, key) != nullptr) return;
  attrs.push_back({std::string(key), std::move(value)});
}

std::vector<std::string> FinishReasonsOf(const std::vector<Message>& messages) {
  std::vector<std::string> out;
  for (const Message& m : messages) {
    if (!m.finish_reason.empty()) out.push_back(m.finish_reason);
  }
  return out;
}

}  // namespace

std::string_view DialectName(Dialect dialect) {
  switch (dialect) {
    case Dialect::kOtel:
      return "otel";
    case Dialect::kOpenLlmetry:
      return "openllmetry";
    case Dialect::kOpenInference:
      return "openinference";
  }
  return "otel";
}

std::string ProviderFromSystem(std::string_view system) {
  std::string s = AsciiLower(TrimSpace(system));
  static constexpr std::pair<std::string_view, std::string_view> kMap[] = {
      {"azure", "azure.ai.openai"},
      {"az.ai.openai", "azure.ai.openai"},
      {"azure_openai", "azure.ai.openai"},
      {"az.ai.inference", "azure.ai.inference"},
      {"aws", "aws.bedrock"},
      {"bedrock", "aws.bedrock"},
      {"google", "gcp.gen_ai"},
      {"vertex_ai", "gcp.vertex_ai"},
      {"vertexai", "gcp.vertex_ai"},
      {"gemini", "gcp.gemini"},
      {"mistralai", "mistral_ai"},
      {"mistral", "mistral_ai"},
      {"xai", "x_ai"},
      {"watsonx", "ibm.watsonx.ai"},
  };
  for (const auto& [from, to] : kMap) {
    if (s == from) return std::string(to);
  }
  return s;
}

std::string OperationFromRequestType(std::string_view type) {
  std::string t = AsciiLower(TrimSpace(type));
  if (t == "completion") return "text_completion";
  if (t == "embedding") return "embeddings";
  return t;
}

std::optional<LlmCall> Normalizer::Extract(const pdata::Span& span, Outcome* outcome) const {
  std::optional<KeyIndex> index;
  LlmCall call;
  if (!ExtractImpl(span, outcome, /*all_messages=*/true, &index, &call)) return std::nullopt;
  return call;
}

bool Normalizer::ExtractImpl(const pdata::Span& span, Outcome* outcome, bool all_messages,
                             std::optional<KeyIndex>* index, LlmCall* out) const {
  std::optional<Dialect> dialect = DetectDialect(span);
  if (!dialect) return false;
  if ((*dialect == Dialect::kOtel && !options_.otel) ||
      (*dialect == Dialect::kOpenLlmetry && !options_.openllmetry) ||
      (*dialect == Dialect::kOpenInference && !options_.openinference)) {
    return false;
  }
  index->emplace(span.attributes);
  Context ctx{span.attributes, **index};
  LlmCall& call = *out;
  call.Reset();
  call.dialect = *dialect;
  call.time_unix_nano = span.start_time_unix_nano;

  if (*dialect == Dialect::kOpenInference) {
    const std::string* kind = ctx.Str(K("openinference.span.kind"));
    if (kind != nullptr && OperationFromOpenInferenceKind(*kind).empty())
      return false;  // CHAIN, TOOL...
  }

  // Operation.
  if (auto op = ctx.Str(K("gen_ai.operation.name"))) {
    call.operation = *op;
  } else if (auto type = ctx.Str(K("llm.request.type"))) {
    call.operation = OperationFromRequestType(*type);
    if (call.operation == "unknown") call.operation.clear();
  } else if (auto kind = ctx.Str(K("openinference.span.kind"))) {
    call.operation = OperationFromOpenInferenceKind(*kind);
  } else if (*dialect == Dialect::kOpenInference) {
    call.operation = "chat";
  }

  // Provider.
  if (auto p = ctx.Str(K("gen_ai.provider.name"))) {
    call.provider = *p;
  }
  for (KeyId key : {K("gen_ai.system"), K("llm.provider"), K("llm.system")}) {
    if (auto s = ctx.Str(key)) {
      if (call.provider.empty()) call.provider = ProviderFromSystem(*s);
    }
  }

  // Models.
  if (auto m = ctx.Str(K("gen_ai.request.model"))) call.request_model = *m;
  for (KeyId key : {K("llm.model_name"), K("embedding.model_name")}) {
    if (auto m = ctx.Str(key)) {
      if (call.request_model.empty()) call.request_model = *m;
    }
  }
  if (auto m = ctx.Str(K("gen_ai.response.model"))) call.response_model = *m;

  // Token counts: current keys first (pitfall 15: mixed spans), then the older spellings.
  call.input_tokens =
      ctx.FirstCount({K("gen_ai.usage.input_tokens"), K("gen_ai.usage.prompt_tokens"),
                      K("llm.token_count.prompt")});
  call.output_tokens =
      ctx.FirstCount({K("gen_ai.usage.output_tokens"), K("gen_ai.usage.completion_tokens"),
                      K("llm.token_count.completion")});
  call.total_tokens = ctx.FirstCount(
      {K("gen_ai.usage.total_tokens"), K("llm.usage.total_tokens"), K("llm.token_count.total")});
  call.cache_read_input_tokens = ctx.FirstCount({K("gen_ai.usage.cache_read.input_tokens"),
                                                 K("gen_ai.usage.cache_read_input_tokens"),
                                                 K("llm.token_count.prompt_details.cache_read")});
  call.cache_creation_input_tokens = ctx.FirstCount(
      {K("gen_ai.usage.cache_creation.input_tokens"), K("gen_ai.usage.cache_creation_input_tokens"),
       K("llm.token_count.prompt_details.cache_write")});
  call.reasoning_output_tokens = ctx.FirstCount(
      {K("gen_ai.usage.reasoning.output_tokens"), K("gen_ai.usage.reasoning_tokens"),
       K("llm.usage.reasoning_tokens"), K("llm.token_count.completion_details.reasoning")});
  if (!call.total_tokens && call.input_tokens && call.output_tokens) {
    call.total_tokens = *call.input_tokens + *call.output_tokens;
  }

  // Streaming and time to first token.
  for (KeyId key : {K("gen_ai.request.stream"), K("llm.is_streaming"), K("gen_ai.is_streaming")}) {
    if (ctx.Find(key) == nullptr) continue;
    std::optional<bool> b = ctx.Bool(key);
    if (!call.stream) call.stream = b;
  }
  for (KeyId key :
       {K("gen_ai.response.time_to_first_chunk"), K("gen_ai.server.time_to_first_token")}) {
    if (ctx.Find(key) == nullptr || call.time_to_first_token) continue;
    std::optional<double> d = ctx.Number(key);
    if (d && *d >= 0) call.time_to_first_token = d;
  }
  InvocationParameters(ctx, &call);

  // Finish reasons.
  if (const AnyValue* fr = ctx.Find(K("gen_ai.response.finish_reasons"))) {
    if (fr->type() == AnyValue::Type::kArray) {
      for (const AnyValue& e : fr->array_value()) {
        if (e.type() == AnyValue::Type::kString) {
          call.finish_reasons.push_back(e.string_value());
        } else {
          ++ctx.malformed;
        }
      }
    } else if (fr->type() == AnyValue::Type::kString) {
      call.finish_reasons.push_back(fr->string_value());
    } else {
      ++ctx.malformed;
    }
  }

  // Messages: the current JSON attributes, else the indexed keys of the dialect, else events,
  // else OpenInference's input.value / output.value.
  std::vector<std::string> reasons;
  // Present messages are parsed only when something is read from them: always for Extract,
  // for NormalizeSpan only the output messages and only when finish reasons are missing (the
  // JSON can be large and is on most spans of an instrumented app).
  auto json_messages = [&](KeyId key, std::vector<Message>* dst, bool parse) {
    const AnyValue* v = ctx.Find(key);
    if (v == nullptr) return false;
    if (!parse && (v->type() == AnyValue::Type::kString || v->type() == AnyValue::Type::kArray)) {
      return true;
    }
    if (v->type() == AnyValue::Type::kString) {
      if (!ParseMessagesJson(v->string_value(), dst, options_.max_message_bytes)) ++ctx.malformed;
    } else if (v->type() == AnyValue::Type::kArray) {
      // Structured (future) form: read through its JSON text.
      if (!ParseMessagesJson(pdata::AnyValueToString(*v), dst, options_.max_message_bytes)) {
        ++ctx.malformed;
      }
    } else {
      ++ctx.malformed;
    }
    return true;
  };
  bool have_in = json_messages(K("gen_ai.input.messages"), &call.input_messages, all_messages);
  bool have_out = json_messages(K("gen_ai.output.messages"), &call.output_messages,
                                all_messages || call.finish_reasons.empty());
  if (!have_in) {
    call.input_messages = LegacyMessages(ctx, Prefix::kGenAiPrompt, false, nullptr);
    if (call.input_messages.empty()) {
      call.input_messages = OpenInferenceMessages(ctx, Prefix::kLlmInputMessages, false);
    }
  }
  if (!have_out) {
    call.output_messages = LegacyMessages(ctx, Prefix::kGenAiCompletion, true, &reasons);
    if (call.output_messages.empty()) {
      call.output_messages = OpenInferenceMessages(ctx, Prefix::kLlmOutputMessages, true);
    }
  }
  if (call.input_messages.empty() && call.output_messages.empty() && !have_in && !have_out) {
    EventMessages(ctx, span, options_.max_message_bytes, &call.input_messages,
                  &call.output_messages);
  }
  if (*dialect == Dialect::kOpenInference) {
    if (call.input_messages.empty() && !have_in) {
      ValueMessages(ctx, K("input.value"), false, options_.max_message_bytes, &call.input_messages,
                    nullptr);
    }
    if (call.output_messages.empty() && !have_out) {
      ValueMessages(ctx, K("output.value"), true, options_.max_message_bytes, &call.output_messages,
                    &reasons);
    }
  }
  if (call.finish_reasons.empty()) {
    call.finish_reasons = reasons.empty() ? FinishReasonsOf(call.output_messages) : reasons;
  }
  if (auto si = ctx.Str(K("gen_ai.system_instructions"))) call.system_instructions = *si;

  if (outcome != nullptr) {
    outcome->recognised = true;
    outcome->dialect = *dialect;
    outcome->malformed += ctx.malformed;
  }
  return true;
}

Outcome Normalizer::NormalizeSpan(pdata::Span& span, pdata::TracesSpares* spares) const {
  Outcome outcome;
  std::optional<KeyIndex> index_holder;
  // One call per thread, its strings' capacity kept from span to span (not re-entered: nothing
  // below normalizes another span).
  thread_local LlmCall scratch;
  if (!ExtractImpl(span, &outcome, /*all_messages=*/false, &index_holder, &scratch)) {
    return outcome;
  }
  const LlmCall& call = scratch;
  Attributes& a = span.attributes;
  // Every change to `a` below is an append through the index (Put), so it stays right until
  // the removals of keep_original_attributes=false.
  KeyIndex& index = *index_holder;
  // The value is built only when the key is absent (most spans have most canonical keys).
  auto put = [&](KeyId key, auto&& value) {
    if (!index.Has(key)) {
      index.PutIfAbsent(a, key, AnyValue(std::forward<decltype(value)>(value)), spares);
    }
  };

  put(K("astrolabe.genai.dialect"), DialectName(call.dialect));
  if (!call.operation.empty()) put(K("gen_ai.operation.name"), call.operation);
  if (!call.provider.empty()) put(K("gen_ai.provider.name"), call.provider);
  if (!call.request_model.empty()) put(K("gen_ai.request.model"), call.request_model);
  if (!call.response_model.empty()) put(K("gen_ai.response.model"), call.response_model);
  auto put_count = [&](KeyId key, const std::optional<int64_t>& v) {
    if (v) put(key, *v);
  };
  put_count(K("gen_ai.usage.input_tokens"), call.input_tokens);
  put_count(K("gen_ai.usage.output_tokens"), call.output_tokens);
  put_count(K("gen_ai.usage.cache_read.input_tokens"), call.cache_read_input_tokens);
  put_count(K("gen_ai.usage.cache_creation.input_tokens"), call.cache_creation_input_tokens);
  put_count(K("gen_ai.usage.reasoning.output_tokens"), call.reasoning_output_tokens);
  if (!call.finish_reasons.empty() && !index.Has(K("gen_ai.response.finish_reasons"))) {
    pdata::ArrayValue arr;
    for (const std::string& r : call.finish_reasons) arr.emplace_back(r);
    put(K("gen_ai.response.finish_reasons"), std::move(arr));
  }
  auto put_messages = [&](KeyId key, const std::vector<Message>& messages) {
    if (messages.empty() || index.Has(key)) return;
    std::string json = MessagesToJson(messages);
    if (json.size() > options_.max_message_bytes) {
      outcome.oversize = true;
      return;
    }
    put(key, std::move(json));
  };
  put_messages(K("gen_ai.input.messages"), call.input_messages);
  put_messages(K("gen_ai.output.messages"), call.output_messages);
  if (call.stream) put(K("gen_ai.request.stream"), *call.stream);
  if (call.time_to_first_token) {
    put(K("astrolabe.genai.time_to_first_token"), *call.time_to_first_token);
  }

  // Request parameters and vendor keys of the mapping table (no LlmCall field).
  // (Extract already counted their malformed values; this pass only collects.)
  {
    Context extra_ctx{a, index};
    InvocationParameters(extra_ctx, nullptr);
    for (auto& [key, value] : extra_ctx.extra) put(key, std::move(value));
  }
  static constexpr std::pair<KeyId, KeyId> kRenames[] = {
      {K("llm.frequency_penalty"), K("gen_ai.request.frequency_penalty")},
      {K("llm.presence_penalty"), K("gen_ai.request.presence_penalty")},
      {K("llm.top_k"), K("gen_ai.request.top_k")},
      {K("llm.chat.stop_sequences"), K("gen_ai.request.stop_sequences")},
      {K("gen_ai.openai.system_fingerprint"), K("openai.response.system_fingerprint")},
      {K("gen_ai.openai.response.system_fingerprint"), K("openai.response.system_fingerprint")},
      {K("gen_ai.openai.request.seed"), K("gen_ai.request.seed")},
      {K("gen_ai.openai.request.service_tier"), K("openai.request.service_tier")},
      {K("gen_ai.openai.response.service_tier"), K("openai.response.service_tier")},
  };
  std::vector<std::pair<std::string_view, std::string_view>> renamed;
  for (const auto& [from, to] : kRenames) {
    if (const AnyValue* v = index.Find(from)) {
      if (!index.Has(to)) {
        AnyValue copy = *v;  // before the append moves the attributes
        put(to, std::move(copy));
      }
      renamed.emplace_back(KeyName(from), KeyName(to));
    }
  }
  if (const AnyValue* base = index.Find(K("gen_ai.openai.api_base"))) {
    std::string host;
    int64_t port = 0;
    if (base->type() == AnyValue::Type::kString &&
        ParseBaseUrl(base->string_value(), &host, &port)) {
      put(K("server.address"), host);
      if (port > 0) put(K("server.port"), port);
    } else {
      ++outcome.malformed;
    }
  }
  if (index.HasPrefix(Prefix::kLlmRequestFunctions)) {
    Context tools_ctx{a, index};
    std::string defs = ToolDefinitions(tools_ctx);
    if (!defs.empty()) put(K("gen_ai.tool.definitions"), std::move(defs));
  }

  // Cost.
  if (!prices_.empty() && (call.input_tokens || call.output_tokens)) {
    if (const PriceEntry* price = prices_.Find(call)) {
      if (std::optional<Cost> cost = ComputeCost(*price, call)) {
        put(K("astrolabe.genai.cost"), cost->amount);
        put(K("astrolabe.genai.cost.currency"), cost->currency);
        outcome.cost_applied = true;
      }
    } else {
      outcome.unknown_model = true;
    }
  }

  if (!options_.keep_original_attributes) {
    // An original goes only when its canonical key is on the span now.
    auto drop_if_canonical = [&](std::string_view from, std::string_view to) {
      if (from != to && pdata::FindAttribute(a, to) != nullptr) pdata::RemoveAttribute(a, from);
    };
    static constexpr std::pair<std::string_view, std::string_view> kLegacy[] = {
        {"llm.request.type", "gen_ai.operation.name"},
        {"gen_ai.system", "gen_ai.provider.name"},
        {"llm.provider", "gen_ai.provider.name"},
        {"llm.system", "gen_ai.provider.name"},
        {"llm.model_name", "gen_ai.request.model"},
        {"embedding.model_name", "gen_ai.request.model"},
        {"gen_ai.usage.prompt_tokens", "gen_ai.usage.input_tokens"},
        {"llm.token_count.prompt", "gen_ai.usage.input_tokens"},
        {"gen_ai.usage.completion_tokens", "gen_ai.usage.output_tokens"},
        {"llm.token_count.completion", "gen_ai.usage.output_tokens"},
        {"gen_ai.usage.cache_read_input_tokens", "gen_ai.usage.cache_read.input_tokens"},
        {"llm.token_count.prompt_details.cache_read", "gen_ai.usage.cache_read.input_tokens"},
        {"gen_ai.usage.cache_creation_input_tokens", "gen_ai.usage.cache_creation.input_tokens"},
        {"llm.token_count.prompt_details.cache_write", "gen_ai.usage.cache_creation.input_tokens"},
        {"gen_ai.usage.reasoning_tokens", "gen_ai.usage.reasoning.output_tokens"},
        {"llm.usage.reasoning_tokens", "gen_ai.usage.reasoning.output_tokens"},
        {"llm.token_count.completion_details.reasoning", "gen_ai.usage.reasoning.output_tokens"},
        {"llm.is_streaming", "gen_ai.request.stream"},
        {"gen_ai.is_streaming", "gen_ai.request.stream"},
    };
    for (const auto& [from, to] : kLegacy) drop_if_canonical(from, to);
    for (const auto& [from, to] : renamed) drop_if_canonical(from, to);
    auto drop_indexed = [&](std::string_view prefix, std::string_view canonical,
                            std::string_view keep_tail) {
      if (pdata::FindAttribute(a, canonical) == nullptr) return;
      std::erase_if(a, [&](const KeyValue& kv) {
        if (!StartsWith(kv.key, prefix)) return false;
        int64_t i;
        std::string_view tail;
        if (!SplitIndex(std::string_view(kv.key).substr(prefix.size()), &i, &tail)) return false;
        return keep_tail.empty() || tail != keep_tail;
      });
    };
    drop_indexed("gen_ai.prompt.", "gen_ai.input.messages", "");
    drop_indexed("gen_ai.completion.", "gen_ai.output.messages", "content_filter_results");
    drop_indexed("llm.input_messages.", "gen_ai.input.messages", "");
    drop_indexed("llm.output_messages.", "gen_ai.output.messages", "");
    drop_indexed("llm.request.functions.", "gen_ai.tool.definitions", "");
  }
  return outcome;
}

Outcome Normalizer::NormalizeLog(pdata::LogRecord& record) const {
  Outcome outcome;
  if (!options_.otel) return outcome;
  std::string name = record.event_name;
  if (name.empty()) {
    if (const AnyValue* v = pdata::FindAttribute(record.attributes, "event.name")) {
      if (v->type() == AnyValue::Type::kString) name = v->string_value();
    }
  }
  if (!StartsWith(name, "gen_ai.")) return outcome;
  Attributes& a = record.attributes;
  bool details = name == "gen_ai.client.inference.operation.details";
  Message m;
  bool is_output = false;
  bool message_event = false;
  if (!details) {
    static const KeyValueList kEmpty;
    const KeyValueList* body = &kEmpty;
    KeyValueList text_body;
    if (record.body.type() == AnyValue::Type::kKvList) {
      body = &record.body.kvlist_value();
    } else if (record.body.type() == AnyValue::Type::kString) {
      text_body.push_back({"content", record.body.string_value()});
      body = &text_body;
    } else if (!record.body.empty()) {
      ++outcome.malformed;
    }
    message_event = MessageFromEvent(name, *body, &m, &is_output, &outcome.malformed);
    if (!message_event) return outcome;
  }
  outcome.recognised = true;
  outcome.dialect = Dialect::kOtel;
  PutIfAbsent(a, "astrolabe.genai.dialect", std::string(DialectName(Dialect::kOtel)));
  if (const AnyValue* s = pdata::FindAttribute(a, "gen_ai.system")) {
    if (s->type() == AnyValue::Type::kString) {
      PutIfAbsent(a, "gen_ai.provider.name", ProviderFromSystem(s->string_value()));
    } else {
      ++outcome.malformed;
    }
  }
  if (message_event) {
    std::string json = MessagesToJson({m});
    if (json.size() > options_.max_message_bytes) {
      outcome.oversize = true;
    } else {
      PutIfAbsent(a, is_output ? "gen_ai.output.messages" : "gen_ai.input.messages",
                  std::move(json));
    }
    if (is_output && !m.finish_reason.empty()) {
      PutIfAbsent(a, "gen_ai.response.finish_reasons",
                  pdata::ArrayValue{AnyValue(m.finish_reason)});
    }
  }
  return outcome;
}

}  // namespace astrolabe::genai
