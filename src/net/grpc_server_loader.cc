// GrpcServer::Start: finds the gRPC transport module (grpc_server.cc, built as
// astrolabe-grpc.so beside the binary), loads it once, and starts a server through it.
//
// Where the module is looked for, in order:
//   1. $ASTROLABE_GRPC_MODULE (a path; ctest sets it for the test binaries);
//   2. astrolabe-grpc.so in the directory of the running executable;
//   3. ../lib/astrolabe/astrolabe-grpc.so from there (an installed layout).

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "common/log.h"
#include "net/grpc_server.h"

namespace astrolabe::net {
namespace {

using StartFn = void (*)(GrpcServerOptions*, GrpcHandler*, std::unique_ptr<GrpcServer>*,
                         std::string*);

constexpr const char* kModuleName = "astrolabe-grpc.so";
constexpr const char* kEntryPoint = "AstrolabeGrpcServerStart";

std::vector<std::filesystem::path> Candidates() {
  std::vector<std::filesystem::path> paths;
  if (const char* env = std::getenv("ASTROLABE_GRPC_MODULE"); env != nullptr && *env != '\0') {
    paths.emplace_back(env);
  }
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    paths.push_back(exe.parent_path() / kModuleName);
    paths.push_back(exe.parent_path() / ".." / "lib" / "astrolabe" / kModuleName);
  }
  return paths;
}

// Loads the module once per process (it is never unloaded: servers it made may outlive
// any one caller). Returns the entry point or an error naming every place looked at.
Result<StartFn> LoadModule() {
  static std::mutex mu;
  static StartFn start = nullptr;
  std::lock_guard lock(mu);
  if (start != nullptr) return start;
  std::string tried;
  for (const auto& path : Candidates()) {
    if (!std::filesystem::exists(path)) {
      tried += "\n  " + path.string() + ": not found";
      continue;
    }
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      tried += "\n  " + path.string() + ": " + dlerror();
      continue;
    }
    start = reinterpret_cast<StartFn>(dlsym(handle, kEntryPoint));
    if (start == nullptr) {
      tried += "\n  " + path.string() + ": no " + kEntryPoint + " (not an Astrolabe gRPC module)";
      continue;
    }
    GetLogger("net/grpc_server")->debug("loaded the gRPC transport from {}", path.string());
    return start;
  }
  return FailedPrecondition(std::string("cannot serve gRPC: the transport module ") + kModuleName +
                            " was not found or did not load (install it beside the astrolabe "
                            "binary, or set ASTROLABE_GRPC_MODULE); looked at:" + tried);
}

}  // namespace

Result<std::unique_ptr<GrpcServer>> GrpcServer::Start(GrpcServerOptions options,
                                                      GrpcHandler handler) {
  ASSIGN_OR_RETURN(StartFn start, LoadModule());
  const std::string log_name = options.log_name;
  std::unique_ptr<GrpcServer> server;
  std::string error;
  start(&options, &handler, &server, &error);
  if (!error.empty() || server == nullptr) return Unavailable(error.empty() ? "gRPC start failed" : error);
  GetLogger(log_name)->info("serving gRPC on {}", server->address());
  return server;
}

}  // namespace astrolabe::net
