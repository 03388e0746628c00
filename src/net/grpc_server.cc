// The gRPC transport module, astrolabe-grpc.so: everything that touches libgrpc++. The
// astrolabe binary loads it on first use (grpc_server_loader.cc), so a process that serves
// no gRPC never maps libgrpc++ and its ~50 libraries (about 7 MB of resident memory). It
// depends on nothing of ours but the plain structs of grpc_server.h.
#include "net/grpc_server.h"

#include <grpc/grpc.h>
#include <grpc/support/log.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <openssl/crypto.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>


namespace astrolabe::net {
namespace {

class GrpcServerImpl;

// One call's state machine: requested → reading the request → finishing → deleted. Each
// step is one operation on the completion queue whose tag is the Call itself.
class Call {
 public:
  explicit Call(GrpcServerImpl* server);
  void Proceed(bool ok);

 private:
  friend class GrpcServerImpl;  // offers the call's context and stream to the service
  enum class State { kRequested, kReading, kFinishing };
  GrpcServerImpl* const server_;
  grpc::GenericServerContext context_;
  grpc::GenericServerAsyncReaderWriter stream_{&context_};
  grpc::ByteBuffer request_;
  State state_ = State::kRequested;
};

class GrpcServerImpl final : public GrpcServer {
 public:
  GrpcServerImpl(GrpcServerOptions options, GrpcHandler handler)
      : options_(std::move(options)), handler_(std::move(handler)) {}
  ~GrpcServerImpl() override { Shutdown(std::chrono::steady_clock::now()); }

  // Empty on success, else what went wrong.
  std::string Start() {
    grpc::ServerBuilder builder;
    builder.AddListeningPort(options_.listen_address, Credentials(), &port_);
    builder.RegisterAsyncGenericService(&service_);
    builder.SetMaxReceiveMessageSize(int(std::min<size_t>(options_.max_receive_message_bytes, INT32_MAX)));
    auto arg = [&](const char* name, auto value) {
      if (value > 0) builder.AddChannelArgument(name, int(value));
    };
    arg(GRPC_ARG_MAX_CONCURRENT_STREAMS, options_.max_concurrent_streams);
    arg(GRPC_ARG_MAX_CONNECTION_IDLE_MS, options_.max_connection_idle.count());
    arg(GRPC_ARG_MAX_CONNECTION_AGE_MS, options_.max_connection_age.count());
    arg(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, options_.max_connection_age_grace.count());
    arg(GRPC_ARG_KEEPALIVE_TIME_MS, options_.keepalive_time.count());
    arg(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, options_.keepalive_timeout.count());
    arg(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, options_.min_ping_interval.count());
    if (options_.permit_keepalive_without_calls) {
      builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    }
    queue_ = builder.AddCompletionQueue();
    server_ = builder.BuildAndStart();
    if (!server_ || port_ == 0) {
      server_.reset();
      return "grpc listen on " + options_.listen_address +
             ": could not bind (address in use, or not a local address?)";
    }
    const int threads = std::max(1, options_.threads);
    for (int i = 0; i < threads; ++i) Spawn();
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Poll(); });
    return "";
  }

  void Shutdown(std::chrono::steady_clock::time_point deadline) override {
    std::lock_guard once(shutdown_mu_);
    if (!server_) return;
    {
      std::lock_guard lock(spawn_mu_);
      stopping_ = true;
    }
    const auto wall = std::chrono::system_clock::now() +
                      std::max(deadline - std::chrono::steady_clock::now(),
                               std::chrono::steady_clock::duration::zero());
    server_->Shutdown(wall);
    queue_->Shutdown();
    for (auto& t : threads_) t.join();
    threads_.clear();
    server_.reset();
  }

  // Plaintext, or TLS from files a watcher re-reads (certificate renewal without restart).
  std::shared_ptr<grpc::ServerCredentials> Credentials() const {
    const ServerTlsOptions& o = options_.tls;
    if (!o.enabled()) return grpc::InsecureServerCredentials();
    namespace x = grpc::experimental;
    const auto interval =
        unsigned(std::max<int64_t>(1, (o.reload_interval.count() + 999) / 1000));
    auto provider = std::make_shared<x::FileWatcherCertificateProvider>(
        o.key_file, o.cert_file, o.client_ca_file, interval);
    x::TlsServerCredentialsOptions tls(provider);
    tls.watch_identity_key_cert_pairs();
    if (!o.client_ca_file.empty()) {
      tls.watch_root_certs();
      tls.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    }
    return grpc::experimental::TlsServerCredentials(tls);
  }

  int port() const override { return port_; }
  std::string address() const override {
    std::string host = options_.listen_address.substr(0, options_.listen_address.rfind(':'));
    return host + ":" + std::to_string(port_);
  }
  GrpcServerStats stats() const override { return {calls_.load(), errors_.load()}; }

  // Offers one more call slot, unless shutting down.
  void Spawn() {
    std::lock_guard lock(spawn_mu_);
    if (stopping_) return;
    auto* call = new Call(this);
    service_.RequestCall(&call->context_, &call->stream_, queue_.get(), queue_.get(), call);
  }

  GrpcReply Handle(std::string_view method, std::string_view request,
                   const GrpcMetadata& metadata) {
    ++calls_;
    GrpcReply reply;
    try {
      reply = handler_(method, request, metadata);
    } catch (const std::exception& e) {
      reply = {13, std::string("internal error: ") + e.what(), ""};
    }
    if (reply.code != 0) ++errors_;
    return reply;
  }

 private:
  void Poll() {
    void* tag = nullptr;
    bool ok = false;
    while (queue_->Next(&tag, &ok)) static_cast<Call*>(tag)->Proceed(ok);
  }

  const GrpcServerOptions options_;
  const GrpcHandler handler_;
  grpc::AsyncGenericService service_;
  std::unique_ptr<grpc::ServerCompletionQueue> queue_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::vector<std::thread> threads_;
  std::mutex shutdown_mu_;
  std::mutex spawn_mu_;
  bool stopping_ = false;  // GUARDED_BY(spawn_mu_)
  std::atomic<uint64_t> calls_{0}, errors_{0};
};

Call::Call(GrpcServerImpl* server) : server_(server) {}

std::string Flatten(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  out.reserve(buffer.Length());
  for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

void Call::Proceed(bool ok) {
  switch (state_) {
    case State::kRequested:
      if (!ok) {  // the server is shutting down: this slot was never used
        delete this;
        return;
      }
      server_->Spawn();
      state_ = State::kReading;
      stream_.Read(&request_, this);
      return;
    case State::kReading: {
      state_ = State::kFinishing;
      if (!ok) {
        stream_.Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                    "the call ended before its request message"),
                       this);
        return;
      }
      const std::string bytes = Flatten(request_);
      GrpcMetadata metadata;
      for (const auto& [key, value] : context_.client_metadata()) {
        metadata.emplace_back(std::string_view(key.data(), key.size()),
                              std::string_view(value.data(), value.size()));
      }
      GrpcReply reply = server_->Handle(context_.method(), bytes, metadata);
      if (reply.code == 0) {
        grpc::Slice slice(reply.body.data(), reply.body.size());
        grpc::ByteBuffer response(&slice, 1);
        stream_.WriteAndFinish(response, grpc::WriteOptions(), grpc::Status::OK, this);
      } else {
        stream_.Finish(grpc::Status(static_cast<grpc::StatusCode>(reply.code), reply.message),
                       this);
      }
      return;
    }
    case State::kFinishing:
      delete this;
      return;
  }
}

}  // namespace
}  // namespace astrolabe::net

// The module's one entry point (grpc_server_loader.cc finds it with dlsym).
extern "C" __attribute__((visibility("default"))) void AstrolabeGrpcServerStart(
    astrolabe::net::GrpcServerOptions* options, astrolabe::net::GrpcHandler* handler,
    std::unique_ptr<astrolabe::net::GrpcServer>* server, std::string* error) {
  using namespace astrolabe::net;
  static std::once_flag once;
  std::call_once(once, [] {
    gpr_set_log_verbosity(GPR_LOG_SEVERITY_ERROR);
    // Before libgrpc first touches OpenSSL: no OpenSSL atexit cleanup, which would run while
    // libgrpc's detached threads still use OpenSSL (openssl_loader.h, "Process exit").
    OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr);
  });
  auto impl = std::make_unique<GrpcServerImpl>(std::move(*options), std::move(*handler));
  *error = impl->Start();
  if (error->empty()) *server = std::move(impl);
}
