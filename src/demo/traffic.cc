#include "demo/traffic.h"

#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "common/clock.h"
#include "common/log.h"
#include "net/http_client.h"
#include "sim/openai_api.h"
#include "sim/random.h"
#include "wire/otlp_proto.h"

namespace astrolabe::demo {
namespace {

namespace dom = simdjson::dom;

// A model no gateway route serves: the app's typo or a model not rolled out yet (404).
constexpr const char* kUnknownModel = "gpt-5-preview";
// Far over any simulated model's context length: the request is refused with 400.
constexpr int kOversizedMaxTokens = 1'000'000;
constexpr int kMaxTokens[] = {256, 512, 1024};
constexpr double kTemperatures[] = {0.2, 0.7, 1.0};

uint64_t NowNanos() { return static_cast<uint64_t>(Clock::Real().NowUnixNanos()); }

pdata::TraceId NewTraceId(sim::Rng& rng) {
  pdata::TraceId id;
  for (size_t i = 0; i < 16; i += 8) {
    uint64_t v = rng.Next();
    for (size_t j = 0; j < 8; ++j) id.bytes[i + j] = static_cast<uint8_t>(v >> (8 * j));
  }
  return id;
}

pdata::SpanId NewSpanId(sim::Rng& rng) {
  pdata::SpanId id;
  uint64_t v = rng.Next() | 1;  // never the all-zero "unset" id
  for (size_t j = 0; j < 8; ++j) id.bytes[j] = static_cast<uint8_t>(v >> (8 * j));
  return id;
}

std::string ChatBody(const LlmCall& call) {
  std::string body = "{\"model\":";
  sim::AppendJsonString(&body, call.request_model);
  body += ",\"messages\":[";
  for (size_t i = 0; i < call.input.size(); ++i) {
    if (i > 0) body += ',';
    body += "{\"role\":";
    sim::AppendJsonString(&body, call.input[i].role);
    body += ",\"content\":";
    sim::AppendJsonString(&body, call.input[i].content);
    body += '}';
  }
  body += "],\"max_tokens\":" + std::to_string(call.max_tokens);
  char numbers[64];
  std::snprintf(numbers, sizeof numbers, ",\"temperature\":%g,\"top_p\":%g}", call.temperature,
                call.top_p);
  return body + numbers;
}

std::string EmbeddingsBody(const LlmCall& call) {
  std::string body = "{\"model\":";
  sim::AppendJsonString(&body, call.request_model);
  body += ",\"input\":";
  sim::AppendJsonString(&body, call.input.empty() ? "" : call.input[0].content);
  return body + "}";
}

}  // namespace

void ReadModelAnswer(std::string_view body, LlmCall& call) {
  dom::parser parser;
  dom::element root;
  if (parser.parse(body.data(), body.size()).get(root) != simdjson::SUCCESS) {
    if (!call.failed()) call.http_status = 0;  // a 200 without a usable answer
    call.error_message =
        call.http_status == 0 ? "the answer is not JSON" : std::string(body.substr(0, 200));
    return;
  }
  std::string_view s;
  if (call.failed()) {
    if (root["error"]["message"].get(s) == simdjson::SUCCESS ||
        root["message"].get(s) == simdjson::SUCCESS) {
      call.error_message = std::string(s);
    }
    return;
  }
  if (root["id"].get(s) == simdjson::SUCCESS) call.response_id = std::string(s);
  if (root["model"].get(s) == simdjson::SUCCESS) call.response_model = std::string(s);
  int64_t n = 0;
  if (root["usage"]["prompt_tokens"].get(n) == simdjson::SUCCESS && n >= 0) call.input_tokens = n;
  if (call.operation == Operation::kChat) {
    if (root["usage"]["completion_tokens"].get(n) == simdjson::SUCCESS && n >= 0) {
      call.output_tokens = n;
    }
    dom::array choices;
    if (root["choices"].get(choices) == simdjson::SUCCESS && choices.size() > 0 &&
        choices.at(0)["finish_reason"].get(s) == simdjson::SUCCESS) {
      call.finish_reason = std::string(s);
    }
  } else {
    dom::array data, vector;
    if (root["data"].get(data) == simdjson::SUCCESS && data.size() > 0 &&
        data.at(0)["embedding"].get(vector) == simdjson::SUCCESS) {
      call.embedding_dimensions = static_cast<int>(std::min<size_t>(vector.size(), INT32_MAX));
    }
  }
}

namespace {

// The corpus answer as the app records it: whole when the model stopped by itself; cut to
// about as many words as tokens were generated when it ran into max_tokens.
std::string AnswerText(std::string_view answer, const LlmCall& call) {
  if (call.finish_reason != "length" || call.output_tokens < 0) return std::string(answer);
  const int64_t keep_words = std::max<int64_t>(1, call.output_tokens * 3 / 4);
  size_t pos = 0;
  for (int64_t w = 0; w < keep_words && pos != std::string_view::npos; ++w) {
    pos = answer.find(' ', pos + 1);
  }
  return std::string(pos == std::string_view::npos ? answer : answer.substr(0, pos));
}

pdata::Resource ServiceResource(const ServiceProfile& s) {
  pdata::Resource r;
  r.attributes = {{"service.name", s.name},
                  {"service.version", "1.4.2"},
                  {"service.instance.id", s.name + "-0"},
                  {"deployment.environment.name", "demo"},
                  {"telemetry.sdk.name", "opentelemetry"},
                  {"telemetry.sdk.language", s.sdk_language}};
  return r;
}

}  // namespace

std::vector<ServiceProfile> DefaultServices() {
  std::vector<ServiceProfile> s(4);
  s[0] = {"support-bot",
          Dialect::kLegacy,
          MessageLogs::kNone,
          "opentelemetry.instrumentation.openai.v1",
          "0.47.5",
          "python",
          "/api/support/reply",
          {Topic::kSupport},
          0.0,
          0.3};
  s[1] = {"search-api",
          Dialect::kLegacy,
          MessageLogs::kNone,
          "opentelemetry.instrumentation.openai.v1",
          "0.47.5",
          "python",
          "/api/search/answer",
          {Topic::kSupport, Topic::kCoding},
          0.8,
          0.2};
  s[2] = {"code-assistant",
          Dialect::kCurrent,
          MessageLogs::kOperationDetails,
          "opentelemetry.instrumentation.genai.openai",
          "2.1b0",
          "python",
          "/api/code/ask",
          {Topic::kCoding},
          0.2,
          0.25};
  s[3] = {"doc-summarizer",
          Dialect::kCurrent,
          MessageLogs::kPerMessage,
          "@opentelemetry/instrumentation-openai",
          "0.21.0",
          "nodejs",
          "/api/summaries",
          {Topic::kSummarisation},
          0.3,
          0.25};
  return s;
}

TrafficGenerator::TrafficGenerator(TrafficOptions options) : options_(std::move(options)) {
  if (options_.services.empty()) options_.services = DefaultServices();
  while (!options_.gateway_url.empty() && options_.gateway_url.back() == '/') {
    options_.gateway_url.pop_back();
  }
  while (!options_.otlp_url.empty() && options_.otlp_url.back() == '/')
    options_.otlp_url.pop_back();
  net::HttpClientOptions client;
  client.timeout = options_.call_timeout;
  client.user_agent = "OpenAI/Python 1.54.4";
  calls_client_ = std::make_unique<net::HttpClient>(client);
  export_client_ = std::make_unique<net::HttpClient>();
}

TrafficGenerator::~TrafficGenerator() { Shutdown(std::chrono::milliseconds(0)); }

void TrafficGenerator::Start() {
  started_ = true;
  const int workers = std::max(1, options_.concurrency);
  sim::Rng seeds(options_.seed);
  for (int i = 0; i < workers; ++i) {
    workers_.emplace_back([this, seed = seeds.Next()] { Worker(seed); });
  }
  if (!options_.otlp_url.empty()) exporter_ = std::thread([this] { Exporter(); });
}

void TrafficGenerator::Shutdown(std::chrono::milliseconds flush_timeout) {
  if (shut_down_) return;
  shut_down_ = true;
  stopping_ = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    cv_.notify_all();
  }
  calls_client_->Shutdown();
  for (auto& w : workers_) w.join();
  if (exporter_.joinable()) exporter_.join();
  if (!options_.otlp_url.empty() && flush_timeout.count() > 0) {
    if (Status s = FlushWithin(flush_timeout); !s.ok()) {
      GetLogger("demo/traffic")->warn("last export: {}", s.message());
    }
  }
  export_client_->Shutdown();
}

void TrafficGenerator::Worker(uint64_t seed) {
  sim::Rng rng(seed);
  const double per_worker_rate = std::max(1e-6, options_.rate / std::max(1, options_.concurrency));
  for (;;) {
    const auto pause = std::chrono::duration<double>(rng.Exponential(per_worker_rate));
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (cv_.wait_for(lock, pause, [this] { return stopping_.load(); })) return;
    }
    if (!RunWorkflow(rng)) return;
  }
}

void TrafficGenerator::Exporter() {
  auto log = GetLogger("demo/traffic");
  uint64_t reported_errors = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (cv_.wait_for(lock, options_.export_interval, [this] { return stopping_.load(); })) {
        return;
      }
    }
    if (Status s = FlushWithin(std::chrono::seconds(10)); !s.ok()) {
      // The first failure and then every hundredth: a server that is down says so once.
      if (reported_errors++ % 100 == 0) log->warn("export: {}", s.message());
    }
  }
}

void TrafficGenerator::RunWorkflows(int n) {
  sim::Rng rng(options_.seed);
  for (int i = 0; i < n; ++i) {
    if (!RunWorkflow(rng)) return;
  }
}

bool TrafficGenerator::Call(LlmCall& call, const std::string& fail_header) {
  const bool chat = call.operation == Operation::kChat;
  net::HttpRequest request;
  request.method = "POST";
  request.url = options_.gateway_url + (chat ? "/v1/chat/completions" : "/v1/embeddings");
  request.headers.Set("Content-Type", "application/json");
  request.headers.Set("Authorization", "Bearer sk-demo");
  if (!fail_header.empty()) request.headers.Set("x-sim-fail", fail_header);
  request.body = chat ? ChatBody(call) : EmbeddingsBody(call);
  call.start_unix_nano = NowNanos();
  Result<net::HttpResponse> response = calls_client_->Send(std::move(request)).get();
  call.end_unix_nano = std::max(NowNanos(), call.start_unix_nano + 1);
  calls_.fetch_add(1, std::memory_order_relaxed);
  if (!response.ok()) {
    if (stopping_) return false;
    call.http_status = 0;
    call.error_message = response.status().message();
  } else {
    call.http_status = response->status;
    ReadModelAnswer(response->body, call);
  }
  if (call.failed()) failed_calls_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool TrafficGenerator::RunWorkflow(sim::Rng& rng) {
  if (stopping_ || options_.chat_models.empty()) return false;
  double total = 0;
  for (const auto& s : options_.services) total += s.weight;
  double pick = rng.Uniform() * total;
  const ServiceProfile* service = &options_.services.back();
  for (const auto& s : options_.services) {
    if (pick < s.weight) {
      service = &s;
      break;
    }
    pick -= s.weight;
  }
  std::vector<const Conversation*> candidates;
  for (const Conversation& c : Corpus()) {
    if (std::find(service->topics.begin(), service->topics.end(), c.topic) !=
        service->topics.end()) {
      candidates.push_back(&c);
    }
  }
  if (candidates.empty()) return false;
  const Conversation& conversation = *candidates[rng.Below(candidates.size())];

  const pdata::TraceId trace = NewTraceId(rng);
  const pdata::SpanId root = NewSpanId(rng), workflow = NewSpanId(rng);
  const uint64_t start = NowNanos();
  const std::string address = "127.0.0.1";
  const int port = [&] {
    size_t colon = options_.gateway_url.rfind(':');
    return colon == std::string::npos ? 80 : std::atoi(options_.gateway_url.c_str() + colon + 1);
  }();
  std::vector<LlmCall> calls;

  if (!options_.embedding_model.empty() && rng.Bernoulli(service->retrieval_share)) {
    LlmCall e;
    e.operation = Operation::kEmbeddings;
    e.request_model = options_.embedding_model;
    e.input = {{"user", std::string(conversation.user)}};
    e.server_address = address;
    e.server_port = port;
    if (!Call(e, "")) return false;
    calls.push_back(std::move(e));
  }

  LlmCall chat;
  chat.request_model = options_.chat_models[rng.Below(options_.chat_models.size())];
  chat.input.push_back({"system", std::string(conversation.system)});
  if (!conversation.earlier_user.empty()) {
    chat.input.push_back({"user", std::string(conversation.earlier_user)});
    chat.input.push_back({"assistant", std::string(conversation.earlier_answer)});
  }
  chat.input.push_back({"user", std::string(conversation.user)});
  chat.max_tokens = kMaxTokens[rng.Below(std::size(kMaxTokens))];
  chat.temperature = kTemperatures[rng.Below(std::size(kTemperatures))];
  chat.top_p = rng.Bernoulli(0.5) ? 1.0 : 0.9;
  chat.server_address = address;
  chat.server_port = port;
  std::string fail_header;
  double u = rng.Uniform();
  if ((u -= options_.server_error_share) < 0) {
    fail_header = "error";
  } else if ((u -= options_.bad_request_share) < 0) {
    chat.max_tokens = kOversizedMaxTokens;
  } else if ((u -= options_.unknown_model_share) < 0) {
    chat.request_model = kUnknownModel;
  }
  if (!Call(chat, fail_header)) return false;
  if (!chat.failed()) chat.output = AnswerText(conversation.answer, chat);
  calls.push_back(std::move(chat));
  const LlmCall& answer = calls.back();
  const uint64_t end = NowNanos() + 200'000;  // the app's own work after the answer

  // The app answers its caller 500 for its own bad request, 502 for a failing model.
  const int app_status = !answer.failed() ? 200 : answer.http_status == 400 ? 500 : 502;
  const std::string error =
      answer.failed() ? std::string(ErrorType(answer.http_status)) + ": " + answer.error_message
                      : "";

  pdata::ResourceSpans rs;
  rs.resource = ServiceResource(*service);
  pdata::ScopeSpans app_scope, llm_scope;
  app_scope.scope.name = service->name;
  app_scope.scope.version = "1.4.2";
  app_scope.spans.push_back(EndpointSpan(service->route, app_status, trace, root, start, end));
  app_scope.spans.push_back(WorkflowSpan(service->dialect, conversation.workflow, trace, workflow,
                                         root, start + 50'000, end - 100'000, error));
  llm_scope.scope.name = service->scope_name;
  llm_scope.scope.version = service->scope_version;
  pdata::ResourceLogs rl;
  rl.resource = rs.resource;
  pdata::ScopeLogs log_scope;
  log_scope.scope = llm_scope.scope;
  for (const LlmCall& call : calls) {
    const pdata::SpanId id = NewSpanId(rng);
    llm_scope.spans.push_back(LlmSpan(service->dialect, call, trace, id, workflow));
    for (auto& r : MessageLogRecords(service->logs, call, trace, id)) {
      log_scope.log_records.push_back(std::move(r));
    }
  }
  rs.scope_spans.push_back(std::move(app_scope));
  rs.scope_spans.push_back(std::move(llm_scope));
  workflows_.fetch_add(1, std::memory_order_relaxed);
  if (options_.otlp_url.empty()) return true;
  std::lock_guard<std::mutex> lock(mu_);
  spans_.push_back(std::move(rs));
  if (!log_scope.log_records.empty()) {
    rl.scope_logs.push_back(std::move(log_scope));
    logs_.push_back(std::move(rl));
  }
  return true;
}

Status TrafficGenerator::Flush() { return FlushWithin(std::chrono::seconds(10)); }

Status TrafficGenerator::FlushWithin(std::chrono::milliseconds timeout) {
  if (options_.otlp_url.empty()) return Status::Ok();
  std::lock_guard<std::mutex> export_lock(export_mu_);
  pdata::Traces traces;
  pdata::Logs logs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    traces.resource_spans.swap(spans_);
    logs.resource_logs.swap(logs_);
  }
  Status first = Status::Ok();
  if (!traces.empty()) {
    const size_t n = traces.SpanCount();
    Status s = Post("/v1/traces", wire::EncodeTracesRequest(traces), timeout);
    if (s.ok())
      spans_exported_.fetch_add(n, std::memory_order_relaxed);
    else
      first = s;
  }
  if (!logs.empty()) {
    const size_t n = logs.LogRecordCount();
    Status s = Post("/v1/logs", wire::EncodeLogsRequest(logs), timeout);
    if (s.ok())
      logs_exported_.fetch_add(n, std::memory_order_relaxed);
    else if (first.ok())
      first = s;
  }
  return first;
}

Status TrafficGenerator::Post(const std::string& path, std::string body,
                              std::chrono::milliseconds timeout) {
  net::HttpRequest request;
  request.method = "POST";
  request.url = options_.otlp_url + path;
  request.headers.Set("Content-Type", "application/x-protobuf");
  if (!options_.api_token.empty()) {
    request.headers.Set("Authorization", "Api-Token " + options_.api_token);
  }
  request.body = std::move(body);
  request.timeout = timeout;
  Result<net::HttpResponse> response = export_client_->Send(std::move(request)).get();
  if (!response.ok()) {
    export_errors_.fetch_add(1, std::memory_order_relaxed);
    return response.status();
  }
  if (response->status != 200) {
    export_errors_.fetch_add(1, std::memory_order_relaxed);
    return Unavailable("POST " + options_.otlp_url + path + ": HTTP " +
                       std::to_string(response->status) + ": " + response->body.substr(0, 200));
  }
  return Status::Ok();
}

TrafficStats TrafficGenerator::stats() const {
  TrafficStats s;
  s.workflows = workflows_.load(std::memory_order_relaxed);
  s.calls = calls_.load(std::memory_order_relaxed);
  s.failed_calls = failed_calls_.load(std::memory_order_relaxed);
  s.spans_exported = spans_exported_.load(std::memory_order_relaxed);
  s.logs_exported = logs_exported_.load(std::memory_order_relaxed);
  s.export_errors = export_errors_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace astrolabe::demo
