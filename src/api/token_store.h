#pragma once
// TokenStore: the server's API tokens, in one JSON file (`<data>/tokens.json`), shared by
// the `token_auth` extension, the admin API and the `astrolabe token` commands.
//
// A token is `astro_<id>_<secret>`: `id` is 12 lowercase hex characters, visible in logs,
// `token list` and the admin API; `secret` is 64 lowercase hex characters (256 random bits
// from getrandom). The file keeps the SHA-256 of the whole token, never the token, and a
// check compares digests in constant time. Format and rules: docs/design/auth.md.
//
// Writers (Create, Revoke) take an exclusive flock on `<file>.lock`, re-read the file, change
// it and replace it atomically (write a temporary file, fsync, rename, fsync the directory),
// so the CLI and a running server can both write without losing each other's changes.
// Readers pick up changes made by another process: Check() re-reads the file when its
// modification time or size changed, looking at most once per `reload_interval` — and at
// once when it meets a token id it does not know, so a token works as soon as it is made
// (a revocation takes up to `reload_interval`).
//
// Thread-safe: every method may be called from any thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace astrolabe::api {

// Every scope a token may carry (component/auth.h names them).
const std::vector<std::string>& AllScopes();
bool IsKnownScope(std::string_view scope);

struct TokenInfo {
  std::string id;  // 12 hex characters
  std::string name;
  std::vector<std::string> scopes;  // known scopes, no duplicates, in the order given
  std::string created;              // RFC 3339, UTC
  std::string revoked;              // RFC 3339 when revoked, else empty
  std::string sha256;               // hex digest of the token

  bool active() const { return revoked.empty(); }
  bool HasScope(std::string_view scope) const;
};

// A token just made: the only time the secret exists outside its holder.
struct NewToken {
  TokenInfo info;
  std::string token;
};

// Why a check failed, for counters ("missing" is decided by the caller, who reads headers).
enum class CheckFailure { kNone, kMalformed, kUnknown, kRevoked, kScope };
std::string_view CheckFailureName(CheckFailure f);  // "malformed", "unknown", ...

// The token of an `Authorization` value: "Api-Token <t>" or "Bearer <t>" (scheme in any
// case, one or more spaces), or HTTP Basic credentials carrying the token as the password
// (any user name; or as the user name when the password is empty) — what clients that only
// know Basic auth send, such as promtool 2.42 given http://user:<token>@host:8080. nullopt for
// other schemes, bad base64 or an empty token.
std::optional<std::string> TokenFromAuthorization(std::string_view value);

// Parses the file format; errors name the field ("tokens[2].scopes: expected an array").
// Exposed for the fuzz target and tests.
Result<std::vector<TokenInfo>> ParseTokenFile(std::string_view text);
std::string FormatTokenFile(const std::vector<TokenInfo>& tokens);

class TokenStore {
 public:
  explicit TokenStore(std::string path,
                      std::chrono::milliseconds reload_interval = std::chrono::seconds(1));

  const std::string& path() const { return path_; }

  // Reads the file. A missing file is an empty store; a file that does not parse is an
  // error naming the file (and the store keeps what it had).
  Status Load();

  // Makes a token with `scopes` (each a known scope, at least one, deduplicated) and saves
  // it. `name`: 1..128 characters, no control characters.
  Result<NewToken> Create(std::string_view name, const std::vector<std::string>& scopes);

  // Marks the token `id` revoked (the entry stays, for audit). NotFound for an unknown id;
  // FailedPrecondition when already revoked.
  Status Revoke(std::string_view id);

  // Every token, active and revoked, in creation order.
  std::vector<TokenInfo> List();
  // Number of tokens in the file, active or revoked (0 on a first start).
  size_t size();

  // OK when `token` is an active token with `scope`; on success *info (if given) gets it.
  // kUnauthenticated (malformed, unknown, revoked) or kPermissionDenied (scope missing);
  // the message names the token's id, never its secret. *failure (if given) says which.
  Status Check(std::string_view token, std::string_view scope, TokenInfo* info = nullptr,
               CheckFailure* failure = nullptr);

 private:
  // Re-reads the file if it changed since the last read; looks at most once per
  // reload_interval unless `now_please`. REQUIRES: mu_ held.
  void MaybeReloadLocked(bool now_please = false);
  const TokenInfo* Find(std::string_view id) const;  // REQUIRES: mu_ held
  Status LoadLocked();
  // Lock file held, file re-read, `change` applied, file replaced.
  Status Modify(const std::function<Status(std::vector<TokenInfo>&)>& change);

  const std::string path_;
  const std::chrono::milliseconds reload_interval_;
  std::mutex mu_;
  std::vector<TokenInfo> tokens_;                      // GUARDED_BY(mu_)
  int64_t file_mtime_nanos_ = -1;                      // GUARDED_BY(mu_); -1: no file
  int64_t file_size_ = -1;                             // GUARDED_BY(mu_)
  std::chrono::steady_clock::time_point next_stat_{};  // GUARDED_BY(mu_)
};

}  // namespace astrolabe::api
