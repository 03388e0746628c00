#include "net/openssl_loader.h"

#include <atomic>
#include <mutex>

#include <openssl/crypto.h>

#ifdef ASTROLABE_LAZY_OPENSSL
#include <dlfcn.h>
#include <openssl/opensslv.h>
#endif

namespace astrolabe::net::internal {

#ifndef ASTROLABE_LAZY_OPENSSL

namespace {
std::atomic<bool> loaded{false};
}  // namespace

Status LoadOpenSsl() {
  static std::once_flag once;
  std::call_once(once, [] { OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr); });
  loaded = true;
  return Status::Ok();
}
bool OpenSslLoaded() { return loaded.load(); }

#else

// clang-format off
// Every OpenSSL function astrolabe_net calls (asio::ssl's engine and context, and ours). A
// missing one fails the link with "undefined reference", never silently.
#define ASTROLABE_OPENSSL_FUNCTIONS(X)                                                          \
  X(BIO_ctrl) X(BIO_ctrl_pending) X(BIO_free) X(BIO_new_bio_pair) X(BIO_read) X(BIO_write)     \
  X(ERR_clear_error) X(ERR_get_error) X(ERR_lib_error_string) X(ERR_reason_error_string)       \
  X(SSL_CTX_ctrl) X(SSL_CTX_free) X(SSL_CTX_get_default_passwd_cb_userdata)                    \
  X(SSL_CTX_get_ex_data) X(SSL_CTX_get_verify_callback) X(SSL_CTX_load_verify_locations)       \
  X(SSL_CTX_new) X(SSL_CTX_set_default_passwd_cb_userdata) X(SSL_CTX_set_default_verify_paths) \
  X(SSL_CTX_set_ex_data) X(SSL_CTX_set_options) X(SSL_CTX_set_verify)                          \
  X(SSL_CTX_use_PrivateKey_file) X(SSL_CTX_use_certificate_chain_file) X(SSL_accept)           \
  X(SSL_connect) X(SSL_ctrl) X(SSL_free) X(SSL_get0_param) X(SSL_get_error) X(SSL_get_ex_data) \
  X(SSL_get_shutdown) X(SSL_get_verify_result) X(SSL_new) X(SSL_read) X(SSL_set_bio)           \
  X(SSL_set_ex_data) X(SSL_write) X(TLS_client_method) X(TLS_method) X(TLS_server_method)      \
  X(X509_VERIFY_PARAM_set1_host) X(X509_VERIFY_PARAM_set1_ip_asc)                              \
  X(X509_verify_cert_error_string) X(SSL_shutdown) X(SSL_CTX_check_private_key)        \
  X(SSL_load_client_CA_file) X(SSL_CTX_set_client_CA_list)

// The address each trampoline jumps through; filled by LoadOpenSsl().
#define ASTROLABE_DECLARE_SLOT(name) \
  __attribute__((visibility("hidden"))) void* astrolabe_ossl_##name;
extern "C" {
ASTROLABE_OPENSSL_FUNCTIONS(ASTROLABE_DECLARE_SLOT)
}

// The trampolines: functions with OpenSSL's names, hidden (never exported, so the real
// libssl's own calls are unaffected), that tail-jump through their slot. Signature-agnostic,
// like the stubs a linker's delay-load support generates.
#if defined(__x86_64__)
#define ASTROLABE_TRAMPOLINE(name)                                                     \
  ".globl " #name "\n.hidden " #name "\n.type " #name ",@function\n.p2align 4\n" #name \
  ":\n\tjmp *astrolabe_ossl_" #name "(%rip)\n.size " #name ",.-" #name "\n"
#elif defined(__aarch64__)
#define ASTROLABE_TRAMPOLINE(name)                                                     \
  ".globl " #name "\n.hidden " #name "\n.type " #name ",%function\n.p2align 4\n" #name \
  ":\n\tadrp x16, astrolabe_ossl_" #name "\n\tldr x16, [x16, :lo12:astrolabe_ossl_" #name  \
  "]\n\tbr x16\n.size " #name ",.-" #name "\n"
#else
#error "ASTROLABE_LAZY_OPENSSL supports x86_64 and aarch64; configure with it OFF"
#endif
asm(".text\n" ASTROLABE_OPENSSL_FUNCTIONS(ASTROLABE_TRAMPOLINE) ".previous\n");
// clang-format on

namespace {

#define ASTROLABE_STR2(x) #x
#define ASTROLABE_STR(x) ASTROLABE_STR2(x)
constexpr const char* kLibSsl = "libssl.so." ASTROLABE_STR(OPENSSL_VERSION_MAJOR);

Status load_status = Unavailable("OpenSSL not loaded yet");
std::atomic<bool> loaded{false};

Status Load() {
  void* handle = ::dlopen(kLibSsl, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    return Unavailable(std::string("TLS is unavailable: cannot load ") + kLibSsl + ": " +
                       (why != nullptr ? why : "unknown error"));
  }
#define ASTROLABE_RESOLVE(name)                                                           \
  astrolabe_ossl_##name = ::dlsym(handle, #name);                                         \
  if (astrolabe_ossl_##name == nullptr) {                                                 \
    return Unavailable(std::string("TLS is unavailable: ") + kLibSsl + " has no " #name); \
  }
  ASTROLABE_OPENSSL_FUNCTIONS(ASTROLABE_RESOLVE)
  // Before any other call into OpenSSL (openssl_loader.h, "Process exit"). Called through
  // dlsym rather than a trampoline: a hidden OPENSSL_init_crypto in astrolabe_net would
  // capture the calls of every binary linking it, before LoadOpenSsl filled its slot.
  using InitCrypto = int (*)(uint64_t, const OPENSSL_INIT_SETTINGS*);
  auto init = reinterpret_cast<InitCrypto>(::dlsym(handle, "OPENSSL_init_crypto"));
  if (init == nullptr || init(OPENSSL_INIT_NO_ATEXIT, nullptr) != 1) {
    return Unavailable(std::string("TLS is unavailable: ") + kLibSsl +
                       ": OPENSSL_init_crypto failed");
  }
  return Status::Ok();
}

}  // namespace

Status LoadOpenSsl() {
  static std::once_flag once;
  std::call_once(once, [] {
    load_status = Load();
    loaded = load_status.ok();
  });
  return load_status;
}

bool OpenSslLoaded() { return loaded.load(); }

#endif

}  // namespace astrolabe::net::internal
