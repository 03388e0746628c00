// `astrolabe server`: the built-in pipeline (server_config.h) run by the collector's run loop,
// plus the server's rules: API tokens on every ingest and API listener (or --auth none on
// loopback), the data directory, and the admin token made on the first start.

#if __has_include(<malloc.h>)
#include <malloc.h>  // mallopt (glibc)
#endif

#include <filesystem>
#include <iostream>

#include "api/token_store.h"
#include "app/commands.h"
#include "app/run.h"
#include "app/server_config.h"
#include "common/log.h"

namespace astrolabe::app {
namespace {

Status MakeDirectory(const std::string& dir) {
  if (dir.empty()) return Status::Ok();
  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) return Status::Ok();
  std::filesystem::create_directories(dir, ec);
  if (ec) return Unavailable("cannot create the data directory " + dir + ": " + ec.message());
  // Tokens and stored data are nobody else's business.
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
  return Status::Ok();
}

// On the first start (no tokens file, or one with no token) makes an admin token with every
// scope and prints it once on stdout: the only way in until someone creates more.
Status FirstStartToken(const std::string& tokens_file) {
  if (tokens_file.empty()) return Status::Ok();
  RETURN_IF_ERROR(MakeDirectory(std::filesystem::path(tokens_file).parent_path().string()));
  api::TokenStore store(tokens_file);
  RETURN_IF_ERROR(store.Load());
  if (store.size() > 0) return Status::Ok();
  ASSIGN_OR_RETURN(api::NewToken made, store.Create("admin", api::AllScopes()));
  std::cout << "First start: created the API token \"admin\" (id " << made.info.id
            << ", every scope). It is shown only this once; keep it safe:\n\n    " << made.token
            << "\n\nSend it as \"Authorization: Api-Token <token>\". Create "
            << "narrower tokens with `astrolabe token create --name NAME --scopes "
               "metrics.ingest,...`.\n"
            << std::flush;
  GetLogger("server")->info("created the first API token (id {}) in {}", made.info.id, tokens_file);
  return Status::Ok();
}

// The server's ingest allocates and frees megabytes per request (a request body, then the
// decoded spans or points), from several threads. glibc returns the free top of an arena to
// the kernel once it exceeds the trim threshold and serves blocks over the mmap threshold
// with fresh mappings, so every request would page-fault its memory in again (~10 % of the
// server's CPU in bench/span_ingest_bench). Fixed thresholds keep that memory for the next
// request: the server's RSS stays at its working set's peak instead of dropping between
// bursts. (Only here: the collector's idle RSS has a budget, and it ingests less per request.)
void TuneAllocatorForIngest() {
#if defined(M_MMAP_THRESHOLD) && defined(M_TRIM_THRESHOLD)
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

}  // namespace

int RunServer(const ServerOptions& options) {
  TuneAllocatorForIngest();
  auto log = GetLogger("server");
  const ServerFlags flags = options.flags;
  if (Status s = MakeDirectory(flags.data_dir_or_default()); !s.ok()) {
    log->error("{}", s.message());
    return 1;
  }
  if (flags.auth_none) {
    log->warn(
        "--auth none: every endpoint accepts requests without a token; allowed only "
        "because every listener must be on loopback");
  }
  RunSpec spec;
  spec.sources = [flags, files = options.config_files] {
    return ServerConfigSources(flags, files);
  };
  spec.adjust = [](LoadedConfig& loaded) { return WireRemoteWriteToStore(loaded); };
  spec.check = [auth_none = flags.auth_none](const LoadedConfig& loaded) {
    return CheckServerConfig(loaded, auth_none);
  };
  spec.before_start = [auth_none = flags.auth_none](const LoadedConfig& loaded) {
    return auth_none ? Status::Ok() : FirstStartToken(TokensFileOf(loaded));
  };
  return RunPipelines(spec);
}

}  // namespace astrolabe::app
