#include "net/server_tls_context.h"

#include <sys/stat.h>

#include <openssl/ssl.h>

#include "common/log.h"
#include "net/openssl_loader.h"

namespace astrolabe::net::internal {

namespace ssl = boost::asio::ssl;

FileStamp StampOf(const std::string& path) {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) return {};
  return {int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec, int64_t(st.st_size),
          uint64_t(st.st_ino)};
}

namespace {

// "1.2" -> TLS1_2_VERSION; 0 for "" (no bound); -1 for anything else.
int ProtocolVersion(const std::string& v) {
  if (v.empty()) return 0;
  if (v == "1.0") return TLS1_VERSION;
  if (v == "1.1") return TLS1_1_VERSION;
  if (v == "1.2") return TLS1_2_VERSION;
  if (v == "1.3") return TLS1_3_VERSION;
  return -1;
}

std::string Lower(std::string s) {
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = char(s[0] - 'A' + 'a');
  return s;
}

}  // namespace

Result<std::shared_ptr<ssl::context>> MakeServerTlsContext(const ServerTlsOptions& o) {
  if (o.cert_file.empty() || o.key_file.empty()) {
    return InvalidArgument("tls: cert_file and key_file must both be set");
  }
  const int min = ProtocolVersion(o.min_version);
  const int max = ProtocolVersion(o.max_version);
  if (min < 0) {
    return InvalidArgument("tls::min_version: \"" + o.min_version +
                           "\" is not a TLS version; valid values: 1.0, 1.1, 1.2, 1.3");
  }
  if (max < 0) {
    return InvalidArgument("tls::max_version: \"" + o.max_version +
                           "\" is not a TLS version; valid values: 1.0, 1.1, 1.2, 1.3");
  }
  if (min > 0 && max > 0 && max < min) {
    return InvalidArgument("tls: max_version " + o.max_version + " is below min_version " +
                           o.min_version);
  }
  RETURN_IF_ERROR(LoadOpenSsl());
  std::shared_ptr<ssl::context> ctx;
  try {
    ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  } catch (const std::exception& e) {
    return Unavailable(std::string("tls: cannot create a TLS context: ") + e.what());
  }
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_compression |
                       ssl::context::single_dh_use,
                   ec);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), min > 0 ? min : TLS1_2_VERSION);
  if (max > 0) SSL_CTX_set_max_proto_version(ctx->native_handle(), max);
  ctx->use_certificate_chain_file(o.cert_file, ec);
  if (ec) {
    return InvalidArgument("tls::cert_file " + o.cert_file +
                           ": cannot load the certificate chain: " + Lower(ec.message()));
  }
  ctx->use_private_key_file(o.key_file, ssl::context::pem, ec);
  if (ec && ec.message().find("mismatch") != std::string::npos) {
    return InvalidArgument("tls::key_file " + o.key_file +
                           " does not match the certificate in cert_file " + o.cert_file);
  }
  if (ec) {
    return InvalidArgument("tls::key_file " + o.key_file +
                           ": cannot load the private key: " + Lower(ec.message()));
  }
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    return InvalidArgument("tls::key_file " + o.key_file +
                           " does not match the certificate in cert_file " + o.cert_file);
  }
  if (!o.client_ca_file.empty()) {
    ctx->load_verify_file(o.client_ca_file, ec);
    if (ec) {
      return InvalidArgument("tls::client_ca_file " + o.client_ca_file +
                             ": cannot load the CA certificates: " + Lower(ec.message()));
    }
    // Tell clients which CAs we accept (curl and browsers pick a certificate by it).
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(o.client_ca_file.c_str())) {
      SSL_CTX_set_client_CA_list(ctx->native_handle(), names);
    }
    ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
  } else {
    ctx->set_verify_mode(ssl::verify_none, ec);
  }
  return ctx;
}

ServerTlsContext::ServerTlsContext(ServerTlsOptions options, std::shared_ptr<spdlog::logger> log)
    : options_(std::move(options)), log_(std::move(log)) {}

std::string ServerTlsContext::Stamps() const {
  std::string out;
  for (const std::string* f : {&options_.cert_file, &options_.key_file, &options_.client_ca_file}) {
    FileStamp s = StampOf(*f);
    out += std::to_string(s.mtime_ns) + '/' + std::to_string(s.size) + '/' +
           std::to_string(s.inode) + ';';
  }
  return out;
}

Result<std::unique_ptr<ServerTlsContext>> ServerTlsContext::Create(
    ServerTlsOptions options, std::shared_ptr<spdlog::logger> log) {
  std::unique_ptr<ServerTlsContext> c(new ServerTlsContext(std::move(options), std::move(log)));
  // Stamp before loading: a file replaced while we load is seen as changed next time.
  c->stamps_ = c->Stamps();
  ASSIGN_OR_RETURN(c->current_, MakeServerTlsContext(c->options_));
  c->next_check_ = std::chrono::steady_clock::now() + c->options_.reload_interval;
  return c;
}

std::shared_ptr<ssl::context> ServerTlsContext::Current() {
  std::lock_guard lock(mu_);
  if (options_.reload_interval.count() <= 0) return current_;
  const auto now = std::chrono::steady_clock::now();
  if (now < next_check_) return current_;
  next_check_ = now + options_.reload_interval;
  std::string stamps = Stamps();
  if (stamps == stamps_) return current_;
  stamps_ = std::move(stamps);
  auto next = MakeServerTlsContext(options_);
  if (!next.ok()) {
    ++reload_failures_;
    log_->warn("TLS files changed but cannot be loaded; still serving the previous certificate: {}",
               next.status().message());
    return current_;
  }
  ++reloads_;
  log_->info("TLS certificate reloaded from {}", options_.cert_file);
  current_ = std::move(*next);
  return current_;
}

uint64_t ServerTlsContext::reloads() const {
  std::lock_guard lock(mu_);
  return reloads_;
}

uint64_t ServerTlsContext::reload_failures() const {
  std::lock_guard lock(mu_);
  return reload_failures_;
}

}  // namespace astrolabe::net::internal
