#include "receiver/otlp/otlp_receiver.h"

#include <algorithm>
#include <fstream>
#include <optional>
#include <thread>

#include "common/log.h"
#include "common/strings.h"
#include "component/auth.h"
#include "component/partial.h"
#include "net/grpc_server.h"
#include "net/http_server.h"
#include "net/http_server_config.h"
#include "net/shared_http_server.h"
#include "receiver/otlp/ingest.h"
#include "wire/gzip.h"
#include "wire/otlp_json.h"
#include "wire/otlp_proto.h"
#include "wire/snappy.h"
#include "wire/zstd.h"

namespace astrolabe::receiver::otlp {

using component::Signal;

namespace {

// A consumer that kept part of a batch (component/partial.h) is answered, as the OTLP
// specification says, with success and `partial_success` carrying the rejected count and
// the reason; the sender must not retry. A batch refused whole stays an error (400).
std::optional<wire::ExportResponse> PartialSuccess(const Status& status) {
  auto counts = component::RejectedPoints(status);
  if (!counts || counts->rejected >= counts->total) return std::nullopt;
  wire::ExportResponse response;
  response.partial_success = wire::ExportPartialSuccess{int64_t(counts->rejected), counts->reason};
  return response;
}

constexpr std::string_view kProtoType = "application/x-protobuf";
constexpr std::string_view kJsonType = "application/json";
// The prefix the source documents' platform puts before /v1/<signal>.
constexpr std::string_view kPlatformPrefix = "/api/v2/otlp";

// The media type of a Content-Type value, lower-cased, parameters dropped.
std::string MediaType(std::optional<std::string_view> value) {
  std::string_view v = value.value_or("");
  return AsciiLower(TrimSpace(v.substr(0, v.find(';'))));
}

// `body` decoded by the compression `e` (lower case, not identity).
Result<std::string> Inflate(std::string_view e, std::string_view body, size_t limit) {
  if (e == "gzip") return wire::GzipDecompress(body, limit);
  if (e == "zstd") return wire::ZstdDecompress(body, limit);
  if (e == "snappy") return wire::SnappyDecompressAuto(body, limit);
  if (e == "x-snappy-framed") return wire::SnappyFramedDecompress(body, limit);
  if (e == "deflate" || e == "zlib") return wire::ZlibDecompress(body, limit);
  return InvalidArgument("unsupported Content-Encoding \"" + std::string(e) + "\"");
}

// Decodes the body as its Content-Encoding says, bounded by `limit` bytes of output.
// kResourceExhausted when the output would be larger; kInvalidArgument when the body is not
// what the header says or the encoding is unknown or not allowed. `*out` is the decoded body:
// `body` itself when it is not compressed (no copy; the server keeps the request's buffer for the
// next request), else `storage`.
Status Decompress(std::string_view encoding, std::string_view body, size_t limit,
                  const std::vector<std::string>& allowed, std::string& storage,
                  std::string_view* out) {
  std::string e = AsciiLower(TrimSpace(encoding));
  if (e == "identity") e.clear();
  if (std::find(allowed.begin(), allowed.end(), e) == allowed.end()) {
    return InvalidArgument("unsupported Content-Encoding \"" + std::string(encoding) + "\"");
  }
  if (e.empty()) {
    *out = body;
    return Status::Ok();
  }
  Result<std::string> decoded = Inflate(e, body, limit);
  if (!decoded.ok()) return decoded.status();
  storage = std::move(*decoded);
  *out = storage;
  return Status::Ok();
}

// The body of an error response: google.rpc.Status in the request's encoding.
std::string StatusBody(const Status& status, Encoding encoding) {
  wire::RpcStatus rpc;
  rpc.code = GrpcCode(status);
  rpc.message = status.message();
  return encoding == Encoding::kJson ? wire::EncodeRpcStatusJson(rpc) : wire::EncodeRpcStatus(rpc);
}

wire::OtlpSignal WireSignal(Signal s) {
  switch (s) {
    case Signal::kMetrics: return wire::OtlpSignal::kMetrics;
    case Signal::kTraces: return wire::OtlpSignal::kTraces;
    case Signal::kLogs: return wire::OtlpSignal::kLogs;
  }
  return wire::OtlpSignal::kMetrics;
}

// The gRPC method names of the three OTLP Export calls.
constexpr std::string_view kGrpcMetrics =
    "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
constexpr std::string_view kGrpcTraces =
    "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
constexpr std::string_view kGrpcLogs = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";

}  // namespace

OtlpReceiver::OtlpReceiver(const component::CreateSettings& settings, const Config& config,
                           component::ReceiverConsumers next)
    : settings_(settings), config_(config), next_(next) {
  if (config_.protocols.http && settings_.telemetry != nullptr) {
    http_ingest_ = std::make_unique<Ingest>(settings_, next_, "http", config_.limits);
  }
}

OtlpReceiver::~OtlpReceiver() { (void)Shutdown(std::chrono::steady_clock::now()); }

Status OtlpReceiver::Start(component::Host& host) {
  // Authenticators first: a receiver that cannot check tokens must not listen at all.
  auto find = [&](const std::string& protocol, const std::optional<AuthConfig>& auth,
                  component::Authenticator** out) -> Status {
    if (!auth) return Status::Ok();
    auto found = component::FindAuthenticator(host, auth->authenticator);
    if (!found.ok()) {
      return found.status().Annotate(settings_.id.ToString() + ": protocols::" + protocol +
                                     "::auth");
    }
    *out = *found;
    return Status::Ok();
  };
  if (config_.protocols.http) RETURN_IF_ERROR(find("http", config_.protocols.http->auth, &http_auth_));
  if (config_.protocols.grpc) RETURN_IF_ERROR(find("grpc", config_.protocols.grpc->auth, &grpc_auth_));
  if (config_.protocols.grpc) {
    Status s = StartGrpc(*config_.protocols.grpc);
    if (!s.ok()) return s.Annotate(settings_.id.ToString());
  }
  if (config_.protocols.http) {
    Status s = StartHttp(*config_.protocols.http);
    if (!s.ok()) {
      (void)Shutdown(std::chrono::steady_clock::now());
      return s.Annotate(settings_.id.ToString());
    }
  }
  return Status::Ok();
}

Status OtlpReceiver::StartHttp(const HttpConfig& http) {
  if (!http_ingest_) {
    http_ingest_ = std::make_unique<Ingest>(settings_, next_, "http", config_.limits);
  }
  const std::string owner = "receiver/" + settings_.id.ToString();
  std::vector<net::SharedRoute> routes;
  const std::pair<Signal, const std::string*> signals[] = {
      {Signal::kTraces, &http.traces_url_path},
      {Signal::kMetrics, &http.metrics_url_path},
      {Signal::kLogs, &http.logs_url_path}};
  for (const auto& [signal, configured] : signals) {
    ASSIGN_OR_RETURN(std::string path, SanitizeUrlPath(*configured));
    for (const std::string& p : {path, std::string(kPlatformPrefix) + path}) {
      routes.push_back({"POST", p,
                        [this, signal = signal](net::ServerRequest& req, net::ServerResponse& resp) {
                          ServeHttp(signal, req, resp);
                        }});
      if (http.cors) {
        routes.push_back({"OPTIONS", p, [this](net::ServerRequest& req, net::ServerResponse& resp) {
                            net::ServePreflight(*config_.protocols.http->cors, req, resp);
                          }});
      }
    }
  }
  // The endpoint may be shared with other receivers (prometheus_remote_write's
  // /api/v1/write on 4318, DESIGN.md §5); see net/shared_http_server.h.
  ASSIGN_OR_RETURN(http_, net::ListenShared(net::ToServerOptions(http, owner), owner,
                                            std::move(routes)));
  return Status::Ok();
}

Status OtlpReceiver::StartGrpc(const GrpcConfig& grpc) {
  grpc_ingest_ = std::make_unique<Ingest>(settings_, next_, "grpc", config_.limits);
  net::GrpcServerOptions options;
  options.listen_address = grpc.endpoint;
  options.max_receive_message_bytes = grpc.max_recv_msg_bytes();
  options.max_concurrent_streams = grpc.max_concurrent_streams;
  options.log_name = "receiver/" + settings_.id.ToString();
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  if (grpc.keepalive) {
    if (const auto& p = grpc.keepalive->server_parameters) {
      options.max_connection_idle = duration_cast<milliseconds>(p->max_connection_idle);
      options.max_connection_age = duration_cast<milliseconds>(p->max_connection_age);
      options.max_connection_age_grace = duration_cast<milliseconds>(p->max_connection_age_grace);
      options.keepalive_time = duration_cast<milliseconds>(p->time);
      options.keepalive_timeout = duration_cast<milliseconds>(p->timeout);
    }
    if (const auto& e = grpc.keepalive->enforcement_policy) {
      options.min_ping_interval = duration_cast<milliseconds>(e->min_time);
      options.permit_keepalive_without_calls = e->permit_without_stream;
    }
  }
  if (grpc.tls && grpc.tls->configured()) {
    // gRPC reads the files on its own thread and fails handshakes quietly if they are bad:
    // check here that they exist and hold PEM, so a typo stops the start with its name.
    RETURN_IF_ERROR(net::CheckServerTlsFiles(*grpc.tls, "protocols::grpc"));
    options.tls = net::ToServerTlsOptions(*grpc.tls);
  }
  Ingest* ingest = grpc_ingest_.get();
  component::Authenticator* auth = grpc_auth_;
  auto handler = [ingest, auth](std::string_view method, std::string_view request,
                                const net::GrpcMetadata& metadata) {
    Signal signal;
    if (method == kGrpcMetrics) {
      signal = Signal::kMetrics;
    } else if (method == kGrpcTraces) {
      signal = Signal::kTraces;
    } else if (method == kGrpcLogs) {
      signal = Signal::kLogs;
    } else {
      return net::GrpcReply{12, "unknown method " + std::string(method), ""};
    }
    if (auth != nullptr) {
      Status allowed = auth->Authenticate(metadata, component::IngestScope(signal));
      if (!allowed.ok()) return net::GrpcReply{component::AuthGrpcCode(allowed), allowed.message(), ""};
    }
    Status status = ingest->Export(signal, Encoding::kProto, request);
    if (auto partial = PartialSuccess(status)) {
      return net::GrpcReply{0, "", wire::EncodeExportResponse(*partial)};
    }
    if (!status.ok()) return net::GrpcReply{GrpcCode(status), status.message(), ""};
    return net::GrpcReply{0, "", wire::EncodeExportResponse({})};
  };
  ASSIGN_OR_RETURN(grpc_, net::GrpcServer::Start(options, handler));
  return Status::Ok();
}

void OtlpReceiver::ServeHttp(Signal signal, net::ServerRequest& request,
                             net::ServerResponse& response) {
  const HttpConfig& http = *config_.protocols.http;
  net::ApplyResponseHeaders(http, request, response);
  if (http_auth_ != nullptr) {
    const auto fields = request.header_fields();
    Status allowed = http_auth_->Authenticate(fields, component::IngestScope(signal));
    if (!allowed.ok()) {
      response.Set(component::AuthHttpStatus(allowed), std::string(kJsonType),
                   component::AuthErrorJson(allowed));
      if (allowed.code() == StatusCode::kUnauthenticated) {
        response.headers.Set("WWW-Authenticate", "Api-Token realm=\"astrolabe\"");
      }
      return;
    }
  }

  const std::string type = MediaType(request.header("Content-Type"));
  Encoding encoding;
  if (type == kProtoType) {
    encoding = Encoding::kProto;
  } else if (type == kJsonType) {
    encoding = Encoding::kJson;
  } else {
    response.Set(415, "text/plain; charset=utf-8",
                 "415 unsupported media type \"" + type + "\", supported: [" +
                     std::string(kJsonType) + ", " + std::string(kProtoType) + "]");
    return;
  }
  const std::string content_type(encoding == Encoding::kJson ? kJsonType : kProtoType);
  auto fail = [&](int code, const Status& status) {
    response.Set(code, content_type, StatusBody(status, encoding));
    if (code == 429 || code == 503) response.headers.Set("Retry-After", "1");
  };

  std::string decompressed;
  std::string_view body;
  if (Status s =
          Decompress(request.header("Content-Encoding").value_or(""), request.body(),
                     http.max_request_body_size, http.compression_algorithms, decompressed, &body);
      !s.ok()) {
    const bool too_large = s.code() == StatusCode::kResourceExhausted;
    Status status = too_large
                        ? InvalidArgument("decompressed body exceeds max_request_body_size (" +
                                          std::to_string(http.max_request_body_size) + " bytes)")
                        : InvalidArgument(s.message());
    http_ingest_->CountBadRequest(signal);
    fail(too_large ? 413 : 400, status);
    return;
  }
  Status status = http_ingest_->Export(signal, encoding, body);
  std::optional<wire::ExportResponse> partial = PartialSuccess(status);
  if (!status.ok() && !partial) {
    // kResourceExhausted comes only from a request over a limit (ingest.h; the pipeline's
    // own retryable errors arrive as kUnavailable): 413, not upstream's 429.
    fail(status.code() == StatusCode::kResourceExhausted ? 413 : HttpStatus(status), status);
    return;
  }
  const wire::ExportResponse ok = partial.value_or(wire::ExportResponse{});
  response.Set(200, content_type,
               encoding == Encoding::kJson ? wire::EncodeExportResponseJson(ok, WireSignal(signal))
                                           : wire::EncodeExportResponse(ok));
}

Status OtlpReceiver::Shutdown(component::Deadline deadline) {
  if (http_) {
    http_->Release(deadline);
    http_.reset();
  }
  if (grpc_) {
    grpc_->Shutdown(deadline);
    grpc_.reset();
  }
  return Status::Ok();
}

std::string OtlpReceiver::http_address() const { return http_ ? http_->address() : ""; }
std::string OtlpReceiver::grpc_address() const { return grpc_ ? grpc_->address() : ""; }

}  // namespace astrolabe::receiver::otlp
