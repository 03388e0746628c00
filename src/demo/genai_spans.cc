#include "demo/genai_spans.h"

#include "sim/openai_api.h"

namespace astrolabe::demo {
namespace {

using pdata::AnyValue;
using pdata::Attributes;
using pdata::KeyValueList;

// The OpenAI SDK's error text: "Error code: 500 - {body}" for an HTTP error.
std::string StatusMessage(const LlmCall& call) {
  if (call.http_status == 0) return "Connection error: " + call.error_message;
  return "Error code: " + std::to_string(call.http_status) + " - " + call.error_message;
}

void SetError(pdata::Span& span, std::string_view type, std::string message) {
  span.status.code = pdata::SpanStatus::Code::kError;
  span.status.message = std::move(message);
  span.attributes.push_back({"error.type", std::string(type)});
}

std::string ApiBase(const LlmCall& call) {
  return "http://" + call.server_address + ":" + std::to_string(call.server_port) + "/v1/";
}

void LegacyChat(const LlmCall& call, Attributes& a) {
  for (size_t i = 0; i < call.input.size(); ++i) {
    const std::string prefix = "gen_ai.prompt." + std::to_string(i);
    a.push_back({prefix + ".role", call.input[i].role});
    a.push_back({prefix + ".content", call.input[i].content});
  }
  if (call.failed()) return;
  a.push_back({"gen_ai.response.model", call.response_model});
  a.push_back({"gen_ai.response.id", call.response_id});
  if (call.input_tokens >= 0 && call.output_tokens >= 0) {
    a.push_back({"llm.usage.total_tokens", call.input_tokens + call.output_tokens});
  }
  if (call.output_tokens >= 0) a.push_back({"gen_ai.usage.completion_tokens", call.output_tokens});
  if (call.input_tokens >= 0) a.push_back({"gen_ai.usage.prompt_tokens", call.input_tokens});
  a.push_back({"gen_ai.completion.0.finish_reason", call.finish_reason});
  a.push_back({"gen_ai.completion.0.role", "assistant"});
  a.push_back({"gen_ai.completion.0.content", call.output});
}

void LegacyEmbeddings(const LlmCall& call, Attributes& a) {
  if (!call.input.empty()) a.push_back({"gen_ai.prompt.0.content", call.input[0].content});
  if (call.failed()) return;
  a.push_back({"gen_ai.response.model", call.response_model});
  if (call.input_tokens >= 0) {
    a.push_back({"llm.usage.total_tokens", call.input_tokens});
    a.push_back({"gen_ai.usage.prompt_tokens", call.input_tokens});
  }
}

pdata::Span Legacy(const LlmCall& call) {
  pdata::Span span;
  const bool chat = call.operation == Operation::kChat;
  span.name = chat ? "openai.chat" : "openai.embeddings";
  Attributes& a = span.attributes;
  a.push_back({"llm.request.type", chat ? "chat" : "embedding"});
  a.push_back({"gen_ai.system", "openai"});
  a.push_back({"gen_ai.openai.api_base", ApiBase(call)});
  a.push_back({"gen_ai.request.model", call.request_model});
  if (chat) {
    if (call.max_tokens > 0) a.push_back({"gen_ai.request.max_tokens", call.max_tokens});
    a.push_back({"gen_ai.request.temperature", call.temperature});
    a.push_back({"gen_ai.request.top_p", call.top_p});
    a.push_back({"llm.is_streaming", false});
    LegacyChat(call, a);
  } else {
    LegacyEmbeddings(call, a);
  }
  if (call.failed()) {
    const std::string_view type = ErrorType(call.http_status);
    SetError(span, type, StatusMessage(call));
    pdata::SpanEvent event;
    event.time_unix_nano = call.end_unix_nano;
    event.name = "exception";
    event.attributes = {{"exception.type", "openai." + std::string(type)},
                        {"exception.message", StatusMessage(call)},
                        {"exception.escaped", "False"}};
    span.events.push_back(std::move(event));
  }
  return span;
}

pdata::Span Current(const LlmCall& call) {
  pdata::Span span;
  const bool chat = call.operation == Operation::kChat;
  const std::string operation = chat ? "chat" : "embeddings";
  span.name = operation + " " + call.request_model;
  Attributes& a = span.attributes;
  a.push_back({"gen_ai.operation.name", operation});
  a.push_back({"gen_ai.provider.name", "openai"});
  a.push_back({"gen_ai.request.model", call.request_model});
  if (chat) {
    if (call.max_tokens > 0) a.push_back({"gen_ai.request.max_tokens", call.max_tokens});
    a.push_back({"gen_ai.request.temperature", call.temperature});
    a.push_back({"gen_ai.request.top_p", call.top_p});
  }
  a.push_back({"server.address", call.server_address});
  a.push_back({"server.port", call.server_port});
  if (chat) a.push_back({"gen_ai.input.messages", InputMessagesJson(call.input)});
  if (call.failed()) {
    SetError(span, ErrorType(call.http_status), StatusMessage(call));
    return span;
  }
  if (!call.response_id.empty()) a.push_back({"gen_ai.response.id", call.response_id});
  a.push_back({"gen_ai.response.model", call.response_model});
  if (chat) {
    a.push_back({"gen_ai.response.finish_reasons", pdata::ArrayValue{call.finish_reason}});
  }
  if (call.input_tokens >= 0) a.push_back({"gen_ai.usage.input_tokens", call.input_tokens});
  if (chat && call.output_tokens >= 0) {
    a.push_back({"gen_ai.usage.output_tokens", call.output_tokens});
  }
  if (chat) {
    a.push_back({"gen_ai.output.messages", OutputMessagesJson(call.output, call.finish_reason)});
  } else if (call.embedding_dimensions > 0) {
    a.push_back({"gen_ai.embeddings.dimension.count", call.embedding_dimensions});
  }
  return span;
}

pdata::LogRecord Record(uint64_t time, const pdata::TraceId& trace, const pdata::SpanId& span) {
  pdata::LogRecord r;
  r.time_unix_nano = time;
  r.observed_time_unix_nano = time;
  r.severity_number = pdata::SeverityNumber::kInfo;
  r.trace_id = trace;
  r.span_id = span;
  r.flags = 1;
  return r;
}

// [{role, parts: [{type: text, content}]}] as structured values.
AnyValue MessagesValue(const std::vector<ChatMessage>& messages, std::string_view finish_reason) {
  pdata::ArrayValue list;
  for (const ChatMessage& m : messages) {
    KeyValueList part = {{"type", "text"}, {"content", m.content}};
    KeyValueList message = {{"role", m.role}, {"parts", pdata::ArrayValue{AnyValue(part)}}};
    if (!finish_reason.empty()) message.push_back({"finish_reason", std::string(finish_reason)});
    list.emplace_back(std::move(message));
  }
  return list;
}

void AppendMessages(std::string* out, const std::vector<ChatMessage>& messages,
                    std::string_view finish_reason) {
  *out += '[';
  for (size_t i = 0; i < messages.size(); ++i) {
    if (i > 0) *out += ',';
    *out += "{\"role\":";
    sim::AppendJsonString(out, messages[i].role);
    *out += ",\"parts\":[{\"type\":\"text\",\"content\":";
    sim::AppendJsonString(out, messages[i].content);
    *out += "}]";
    if (!finish_reason.empty()) {
      *out += ",\"finish_reason\":";
      sim::AppendJsonString(out, finish_reason);
    }
    *out += '}';
  }
  *out += ']';
}

}  // namespace

std::string_view DialectName(Dialect d) { return d == Dialect::kLegacy ? "legacy" : "current"; }

std::string_view ErrorType(int status) {
  switch (status) {
    case 0:
      return "APIConnectionError";
    case 400:
      return "BadRequestError";
    case 401:
      return "AuthenticationError";
    case 403:
      return "PermissionDeniedError";
    case 404:
      return "NotFoundError";
    case 409:
      return "ConflictError";
    case 422:
      return "UnprocessableEntityError";
    case 429:
      return "RateLimitError";
    default:
      return status >= 500 ? "InternalServerError" : "APIStatusError";
  }
}

pdata::Span LlmSpan(Dialect dialect, const LlmCall& call, const pdata::TraceId& trace,
                    const pdata::SpanId& id, const pdata::SpanId& parent) {
  pdata::Span span = dialect == Dialect::kLegacy ? Legacy(call) : Current(call);
  span.trace_id = trace;
  span.span_id = id;
  span.parent_span_id = parent;
  span.flags = 0x101;  // sampled; the parent is known to be local
  span.kind = pdata::SpanKind::kClient;
  span.start_time_unix_nano = call.start_unix_nano;
  span.end_time_unix_nano = call.end_unix_nano;
  return span;
}

std::vector<pdata::LogRecord> MessageLogRecords(MessageLogs style, const LlmCall& call,
                                                const pdata::TraceId& trace,
                                                const pdata::SpanId& span) {
  std::vector<pdata::LogRecord> out;
  if (style == MessageLogs::kNone || call.operation != Operation::kChat) return out;
  if (style == MessageLogs::kPerMessage) {
    for (const ChatMessage& m : call.input) {
      pdata::LogRecord r = Record(call.start_unix_nano, trace, span);
      r.attributes = {{"event.name", "gen_ai." + m.role + ".message"}, {"gen_ai.system", "openai"}};
      KeyValueList body = {{"content", m.content}};
      if (m.role == "assistant") body.push_back({"role", "assistant"});
      r.body = std::move(body);
      out.push_back(std::move(r));
    }
    if (!call.failed()) {
      pdata::LogRecord r = Record(call.end_unix_nano, trace, span);
      r.attributes = {{"event.name", "gen_ai.choice"}, {"gen_ai.system", "openai"}};
      r.body = KeyValueList{{"finish_reason", call.finish_reason},
                            {"index", 0},
                            {"message", KeyValueList{{"content", call.output}}}};
      out.push_back(std::move(r));
    }
    return out;
  }
  pdata::LogRecord r = Record(call.end_unix_nano, trace, span);
  r.event_name = "gen_ai.client.inference.operation.details";
  r.attributes = {{"gen_ai.operation.name", "chat"},
                  {"gen_ai.provider.name", "openai"},
                  {"gen_ai.request.model", call.request_model},
                  {"gen_ai.input.messages", MessagesValue(call.input, "")}};
  if (call.failed()) {
    r.severity_number = pdata::SeverityNumber::kWarn;
    r.attributes.push_back({"error.type", std::string(ErrorType(call.http_status))});
  } else {
    r.attributes.push_back({"gen_ai.response.model", call.response_model});
    r.attributes.push_back(
        {"gen_ai.response.finish_reasons", pdata::ArrayValue{call.finish_reason}});
    r.attributes.push_back({"gen_ai.usage.input_tokens", call.input_tokens});
    r.attributes.push_back({"gen_ai.usage.output_tokens", call.output_tokens});
    r.attributes.push_back(
        {"gen_ai.output.messages",
         MessagesValue({ChatMessage{"assistant", call.output}}, call.finish_reason)});
  }
  out.push_back(std::move(r));
  return out;
}

pdata::Span WorkflowSpan(Dialect dialect, std::string_view name, const pdata::TraceId& trace,
                         const pdata::SpanId& id, const pdata::SpanId& parent,
                         uint64_t start_unix_nano, uint64_t end_unix_nano, std::string_view error) {
  pdata::Span span;
  span.trace_id = trace;
  span.span_id = id;
  span.parent_span_id = parent;
  span.flags = 0x101;
  span.kind = pdata::SpanKind::kInternal;
  span.start_time_unix_nano = start_unix_nano;
  span.end_time_unix_nano = end_unix_nano;
  if (dialect == Dialect::kLegacy) {
    span.name = std::string(name) + ".workflow";
    span.attributes = {{"traceloop.span.kind", "workflow"},
                       {"traceloop.workflow.name", std::string(name)},
                       {"traceloop.entity.name", std::string(name)},
                       {"traceloop.entity.path", ""}};
  } else {
    span.name = "invoke_agent " + std::string(name);
    span.attributes = {{"gen_ai.operation.name", "invoke_agent"},
                       {"gen_ai.provider.name", "openai"},
                       {"gen_ai.agent.name", std::string(name)}};
  }
  if (!error.empty()) {
    span.status.code = pdata::SpanStatus::Code::kError;
    span.status.message = std::string(error);
  }
  return span;
}

pdata::Span EndpointSpan(std::string_view route, int http_status, const pdata::TraceId& trace,
                         const pdata::SpanId& id, uint64_t start_unix_nano,
                         uint64_t end_unix_nano) {
  pdata::Span span;
  span.trace_id = trace;
  span.span_id = id;
  span.flags = 0x301;  // sampled; no parent, known to be local
  span.kind = pdata::SpanKind::kServer;
  span.name = "POST " + std::string(route);
  span.start_time_unix_nano = start_unix_nano;
  span.end_time_unix_nano = end_unix_nano;
  span.attributes = {{"http.request.method", "POST"},
                     {"http.route", std::string(route)},
                     {"url.scheme", "http"},
                     {"http.response.status_code", http_status}};
  if (http_status >= 500) {
    span.status.code = pdata::SpanStatus::Code::kError;
    span.attributes.push_back({"error.type", std::to_string(http_status)});
  }
  return span;
}

std::string InputMessagesJson(const std::vector<ChatMessage>& messages) {
  std::string out;
  AppendMessages(&out, messages, "");
  return out;
}

std::string OutputMessagesJson(std::string_view content, std::string_view finish_reason) {
  std::string out;
  AppendMessages(&out, {ChatMessage{"assistant", std::string(content)}}, finish_reason);
  return out;
}

}  // namespace astrolabe::demo
