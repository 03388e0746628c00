#pragma once
// The GenAI telemetry an instrumented application emits for one model call, in the two shapes
// found in the wild (../shared/reference/genai-signals.md §3):
//
//   Dialect::kLegacy   OpenLLMetry (Traceloop) ≤ 0.47, Python: span `openai.chat` /
//                      `openai.embeddings`, llm.request.type, gen_ai.system,
//                      gen_ai.prompt.N.role/content, gen_ai.completion.N.role/content/
//                      finish_reason, gen_ai.usage.prompt_tokens/completion_tokens,
//                      llm.usage.total_tokens, gen_ai.openai.api_base; content on the span,
//                      no message logs.
//   Dialect::kCurrent  OpenTelemetry GenAI conventions 1.37+: span `chat {model}` /
//                      `embeddings {model}`, gen_ai.operation.name, gen_ai.provider.name,
//                      gen_ai.usage.input_tokens/output_tokens, gen_ai.input.messages /
//                      gen_ai.output.messages (JSON strings), gen_ai.response.finish_reasons,
//                      server.address/port.
//
// and the message logs of the current conventions:
//   MessageLogs::kPerMessage        one record per message (conventions 1.28–1.36, what
//                                   @opentelemetry/instrumentation-openai emits): attribute
//                                   event.name = gen_ai.{system,user,assistant}.message or
//                                   gen_ai.choice, body a kvlist;
//   MessageLogs::kOperationDetails  one record per call, event_name
//                                   gen_ai.client.inference.operation.details, the messages
//                                   as structured attributes (1.37+).
//
// A failed call (HTTP error or no answer) gets status ERROR with the message, error.type (the
// OpenAI SDK's exception class) and, in the legacy dialect, an `exception` event.
//
// Pure functions; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pdata/logs.h"
#include "pdata/traces.h"

namespace astrolabe::demo {

enum class Dialect { kLegacy, kCurrent };
enum class MessageLogs { kNone, kPerMessage, kOperationDetails };
enum class Operation { kChat, kEmbeddings };

std::string_view DialectName(Dialect d);  // "legacy" | "current"

struct ChatMessage {
  std::string role;  // system | user | assistant
  std::string content;
};

// One model call as the application saw it.
struct LlmCall {
  Operation operation = Operation::kChat;
  std::string request_model;
  // chat: the messages sent; embeddings: one entry whose content is the input text.
  std::vector<ChatMessage> input;
  int max_tokens = 0;  // 0: not sent
  double temperature = 0;
  double top_p = 0;
  std::string server_address;  // the gateway the app calls ("127.0.0.1")
  int server_port = 0;
  uint64_t start_unix_nano = 0;
  uint64_t end_unix_nano = 0;

  // The answer. http_status 0 = no answer at all (connection error, timeout).
  int http_status = 200;
  std::string response_id;
  std::string response_model;
  std::string output;         // chat: the completion's text
  std::string finish_reason;  // chat: stop | length
  int64_t input_tokens = -1;  // from the response's usage; -1: unknown
  int64_t output_tokens = -1;
  int embedding_dimensions = 0;
  std::string error_message;  // when failed: the API's error message (or the transport error)

  bool failed() const { return http_status != 200; }
};

// The OpenAI SDKs' exception class for a failed call: 400 BadRequestError, 401
// AuthenticationError, 403 PermissionDeniedError, 404 NotFoundError, 409 ConflictError, 422
// UnprocessableEntityError, 429 RateLimitError, other ≥ 500 InternalServerError, 0
// APIConnectionError, anything else APIStatusError.
std::string_view ErrorType(int http_status);

// The CLIENT span of `call`.
pdata::Span LlmSpan(Dialect dialect, const LlmCall& call, const pdata::TraceId& trace,
                    const pdata::SpanId& id, const pdata::SpanId& parent);

// The message log records of `call` (empty for kNone), linked to its span.
std::vector<pdata::LogRecord> MessageLogRecords(MessageLogs style, const LlmCall& call,
                                                const pdata::TraceId& trace,
                                                const pdata::SpanId& span);

// The INTERNAL span wrapping a workflow's model calls: legacy `{name}.workflow` with
// traceloop.span.kind/workflow.name/entity.name; current `invoke_agent {name}` with
// gen_ai.operation.name = invoke_agent, gen_ai.agent.name, gen_ai.provider.name.
// `error` sets status ERROR with that message.
pdata::Span WorkflowSpan(Dialect dialect, std::string_view name, const pdata::TraceId& trace,
                         const pdata::SpanId& id, const pdata::SpanId& parent,
                         uint64_t start_unix_nano, uint64_t end_unix_nano,
                         std::string_view error = "");

// The SERVER span of the application's own endpoint (`POST {route}`), the trace's root.
// http_status ≥ 500 sets status ERROR.
pdata::Span EndpointSpan(std::string_view route, int http_status, const pdata::TraceId& trace,
                         const pdata::SpanId& id, uint64_t start_unix_nano, uint64_t end_unix_nano);

// gen_ai.input.messages: [{"role":"user","parts":[{"type":"text","content":"..."}]}, ...]
std::string InputMessagesJson(const std::vector<ChatMessage>& messages);
// gen_ai.output.messages: [{"role":"assistant","parts":[...],"finish_reason":"stop"}]
std::string OutputMessagesJson(std::string_view content, std::string_view finish_reason);

}  // namespace astrolabe::demo
