#include "api/token_store.h"

#include "api/api_json.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <simdjson.h>

#include "common/base64.h"
#include "common/clock.h"
#include "common/sha256.h"
#include "common/strings.h"

namespace astrolabe::api {
namespace {

constexpr std::string_view kPrefix = "astro_";
constexpr size_t kIdChars = 12;
constexpr size_t kSecretChars = 64;
constexpr size_t kMaxName = 128;
constexpr size_t kMaxFileBytes = 16 << 20;

// Now, to the second: token times are for people.
std::string NowRfc3339() {
  const int64_t now = Clock::Real().NowUnixNanos();
  return FormatRfc3339(now - now % 1'000'000'000);
}

bool IsLowerHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string ErrnoText(int err) { return std::strerror(err); }

Result<std::string> RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  size_t got = 0;
  while (got < bytes) {
    ssize_t n = getrandom(raw.data() + got, bytes - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Internal("getrandom: " + ErrnoText(errno));
    }
    got += size_t(n);
  }
  return HexEncode(raw);
}

Status CheckName(std::string_view name) {
  if (name.empty() || name.size() > kMaxName) {
    return InvalidArgument("token name must be 1 to " + std::to_string(kMaxName) + " characters");
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f)
      return InvalidArgument("token name must not contain control characters");
  }
  return Status::Ok();
}

Result<std::vector<std::string>> CheckScopes(const std::vector<std::string>& scopes) {
  std::vector<std::string> out;
  for (const std::string& s : scopes) {
    if (!IsKnownScope(s)) {
      return InvalidArgument("unknown scope \"" + s +
                             "\"; valid scopes: " + Join(AllScopes(), ", "));
    }
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  }
  if (out.empty()) {
    return InvalidArgument("a token needs at least one scope; valid scopes: " +
                           Join(AllScopes(), ", "));
  }
  return out;
}

// Writes `text` to `path` so that a reader sees the old file or the new one, never a mix,
// and the new one survives a crash once this returns.
Status WriteFileAtomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Unavailable("create " + tmp + ": " + ErrnoText(errno));
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Unavailable("write " + tmp + ": " + ErrnoText(err));
    }
    off += size_t(n);
  }
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return Unavailable("fsync " + tmp + ": " + ErrnoText(err));
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return Unavailable("rename " + tmp + " to " + path + ": " + ErrnoText(err));
  }
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return Status::Ok();
}

// Holds an exclusive flock on `<path>.lock` for its lifetime.
class FileLock {
 public:
  static Result<FileLock> Acquire(const std::string& path) {
    const std::string lock = path + ".lock";
    int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return Unavailable("open " + lock + ": " + ErrnoText(errno));
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return Unavailable("lock " + lock + ": " + ErrnoText(err));
    }
    return FileLock(fd);
  }
  FileLock(FileLock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  FileLock& operator=(FileLock&&) = delete;
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the flock
  }

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace

const std::vector<std::string>& AllScopes() {
  static const std::vector<std::string> kScopes = {"metrics.ingest", "openTelemetryTrace.ingest",
                                                   "logs.ingest",    "metrics.read",
                                                   "traces.read",    "settings.write"};
  return kScopes;
}

bool IsKnownScope(std::string_view scope) {
  const auto& all = AllScopes();
  return std::find(all.begin(), all.end(), scope) != all.end();
}

bool TokenInfo::HasScope(std::string_view scope) const {
  return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

std::string_view CheckFailureName(CheckFailure f) {
  switch (f) {
    case CheckFailure::kNone:
      return "none";
    case CheckFailure::kMalformed:
      return "malformed";
    case CheckFailure::kUnknown:
      return "unknown";
    case CheckFailure::kRevoked:
      return "revoked";
    case CheckFailure::kScope:
      return "scope";
  }
  return "none";
}

namespace {

// RFC 4648 base64 with or without padding; nullopt on any other byte or a bad length.
std::optional<std::string> DecodeBase64(std::string_view in) {
  std::string out;
  if (!Base64Decode(in, &out)) return std::nullopt;
  return out;
}

}  // namespace

std::optional<std::string> TokenFromAuthorization(std::string_view value) {
  value = TrimSpace(value);
  const size_t space = value.find_first_of(" \t");
  if (space == std::string_view::npos) return std::nullopt;
  const std::string scheme = AsciiLower(value.substr(0, space));
  std::string_view token = TrimSpace(value.substr(space));
  if (token.empty()) return std::nullopt;
  if (scheme == "api-token" || scheme == "bearer") return std::string(token);
  if (scheme != "basic") return std::nullopt;
  std::optional<std::string> credentials = DecodeBase64(token);
  if (!credentials) return std::nullopt;
  const size_t colon = credentials->find(':');
  std::string password = colon == std::string::npos ? "" : credentials->substr(colon + 1);
  if (password.empty()) password = credentials->substr(0, colon);
  if (password.empty()) return std::nullopt;
  return password;
}

Result<std::vector<TokenInfo>> ParseTokenFile(std::string_view text) {
  if (text.size() > kMaxFileBytes) return InvalidArgument("file larger than 16 MiB");
  simdjson::dom::parser parser;
  simdjson::padded_string padded(text);
  simdjson::dom::element root;
  if (auto err = parser.parse(padded).get(root); err) {
    return InvalidArgument(std::string("not valid JSON: ") + simdjson::error_message(err));
  }
  simdjson::dom::object top;
  if (root.get(top)) return InvalidArgument("expected an object at the top level");
  int64_t version = 0;
  if (top["version"].get(version) || version != 1) {
    return InvalidArgument("version: expected 1");
  }
  simdjson::dom::array list;
  if (top["tokens"].get(list)) return InvalidArgument("tokens: expected an array");
  std::vector<TokenInfo> out;
  size_t i = 0;
  for (simdjson::dom::element e : list) {
    const std::string where = "tokens[" + std::to_string(i++) + "]";
    simdjson::dom::object obj;
    if (e.get(obj)) return InvalidArgument(where + ": expected an object");
    TokenInfo t;
    auto str = [&](const char* key, std::string& dst, bool required) -> Status {
      simdjson::dom::element v;
      if (obj[key].get(v)) {
        return required ? InvalidArgument(where + "." + key + ": missing") : Status::Ok();
      }
      std::string_view s;
      if (v.get(s)) return InvalidArgument(where + "." + key + ": expected a string");
      dst = std::string(s);
      return Status::Ok();
    };
    RETURN_IF_ERROR(str("id", t.id, true));
    RETURN_IF_ERROR(str("name", t.name, true));
    RETURN_IF_ERROR(str("created", t.created, true));
    RETURN_IF_ERROR(str("sha256", t.sha256, true));
    RETURN_IF_ERROR(str("revoked", t.revoked, false));
    if (t.id.size() != kIdChars || !IsLowerHex(t.id)) {
      return InvalidArgument(where + ".id: expected " + std::to_string(kIdChars) +
                             " lowercase hex characters");
    }
    if (t.sha256.size() != 64 || !IsLowerHex(t.sha256)) {
      return InvalidArgument(where + ".sha256: expected 64 lowercase hex characters");
    }
    simdjson::dom::array scopes;
    if (obj["scopes"].get(scopes)) return InvalidArgument(where + ".scopes: expected an array");
    for (simdjson::dom::element s : scopes) {
      std::string_view scope;
      if (s.get(scope)) return InvalidArgument(where + ".scopes: expected strings");
      // An unknown scope (a newer server's) is kept: it grants nothing here.
      t.scopes.emplace_back(scope);
    }
    for (const TokenInfo& other : out) {
      if (other.id == t.id) return InvalidArgument(where + ".id: \"" + t.id + "\" appears twice");
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::string FormatTokenFile(const std::vector<TokenInfo>& tokens) {
  std::string out = "{\n  \"version\": 1,\n  \"tokens\": [";
  for (size_t i = 0; i < tokens.size(); ++i) {
    const TokenInfo& t = tokens[i];
    out += i == 0 ? "\n    {" : ",\n    {";
    out += "\"id\": ";
    AppendJsonString(out, t.id);
    out += ", \"name\": ";
    AppendJsonString(out, t.name);
    out += ", \"scopes\": [";
    for (size_t j = 0; j < t.scopes.size(); ++j) {
      if (j > 0) out += ", ";
      AppendJsonString(out, t.scopes[j]);
    }
    out += "], \"created\": ";
    AppendJsonString(out, t.created);
    if (!t.revoked.empty()) {
      out += ", \"revoked\": ";
      AppendJsonString(out, t.revoked);
    }
    out += ", \"sha256\": ";
    AppendJsonString(out, t.sha256);
    out += "}";
  }
  out += tokens.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

TokenStore::TokenStore(std::string path, std::chrono::milliseconds reload_interval)
    : path_(std::move(path)), reload_interval_(reload_interval) {}

Status TokenStore::Load() {
  std::lock_guard lock(mu_);
  return LoadLocked();
}

Status TokenStore::LoadLocked() {
  next_stat_ = std::chrono::steady_clock::now() + reload_interval_;
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      tokens_.clear();
      file_mtime_nanos_ = -1;
      file_size_ = -1;
      return Status::Ok();
    }
    return Unavailable("tokens file " + path_ + ": " + ErrnoText(errno));
  }
  int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Unavailable("tokens file " + path_ + ": " + ErrnoText(errno));
  std::string text;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, size_t(n));
    if (text.size() > kMaxFileBytes) break;
  }
  ::close(fd);
  auto parsed = ParseTokenFile(text);
  if (!parsed.ok())
    return InvalidArgument("tokens file " + path_ + ": " + parsed.status().message());
  tokens_ = std::move(*parsed);
  file_mtime_nanos_ = int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  file_size_ = int64_t(st.st_size);
  return Status::Ok();
}

void TokenStore::MaybeReloadLocked(bool now_please) {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_stat_ && !now_please) return;
  next_stat_ = now + reload_interval_;
  struct stat st {};
  int64_t mtime = -1, size = -1;
  if (::stat(path_.c_str(), &st) == 0) {
    mtime = int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    size = int64_t(st.st_size);
  }
  if (mtime == file_mtime_nanos_ && size == file_size_) return;
  // A file that no longer parses keeps the tokens we had: refusing every request because
  // someone is hand-editing the file would be worse.
  (void)LoadLocked();
}

Status TokenStore::Modify(const std::function<Status(std::vector<TokenInfo>&)>& change) {
  ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(path_));
  std::lock_guard guard(mu_);
  RETURN_IF_ERROR(LoadLocked());
  std::vector<TokenInfo> next = tokens_;
  RETURN_IF_ERROR(change(next));
  RETURN_IF_ERROR(WriteFileAtomically(path_, FormatTokenFile(next)));
  return LoadLocked();
}

Result<NewToken> TokenStore::Create(std::string_view name, const std::vector<std::string>& scopes) {
  RETURN_IF_ERROR(CheckName(name));
  ASSIGN_OR_RETURN(std::vector<std::string> checked, CheckScopes(scopes));
  ASSIGN_OR_RETURN(std::string secret, RandomHex(kSecretChars / 2));
  NewToken made;
  Status s = Modify([&](std::vector<TokenInfo>& tokens) -> Status {
    std::string id;
    for (int attempt = 0; attempt < 8; ++attempt) {
      ASSIGN_OR_RETURN(id, RandomHex(kIdChars / 2));
      bool taken =
          std::any_of(tokens.begin(), tokens.end(), [&](const TokenInfo& t) { return t.id == id; });
      if (!taken) break;
      id.clear();
    }
    if (id.empty()) return Internal("could not pick an unused token id");
    made.token = std::string(kPrefix) + id + "_" + secret;
    made.info.id = id;
    made.info.name = std::string(name);
    made.info.scopes = checked;
    made.info.created = NowRfc3339();
    made.info.sha256 = Sha256Hex(made.token);
    tokens.push_back(made.info);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return made;
}

Status TokenStore::Revoke(std::string_view id) {
  return Modify([&](std::vector<TokenInfo>& tokens) -> Status {
    for (TokenInfo& t : tokens) {
      if (t.id != id) continue;
      if (!t.active()) return FailedPrecondition("token " + t.id + " is already revoked");
      t.revoked = NowRfc3339();
      return Status::Ok();
    }
    return NotFound("no token with id \"" + std::string(id) + "\"");
  });
}

const TokenInfo* TokenStore::Find(std::string_view id) const {
  for (const TokenInfo& t : tokens_) {
    if (t.id == id) return &t;
  }
  return nullptr;
}

std::vector<TokenInfo> TokenStore::List() {
  std::lock_guard lock(mu_);
  MaybeReloadLocked();
  return tokens_;
}

size_t TokenStore::size() {
  std::lock_guard lock(mu_);
  MaybeReloadLocked();
  return tokens_.size();
}

Status TokenStore::Check(std::string_view token, std::string_view scope, TokenInfo* info,
                         CheckFailure* failure) {
  auto fail = [&](CheckFailure f, Status s) {
    if (failure != nullptr) *failure = f;
    return s;
  };
  if (token.size() != kPrefix.size() + kIdChars + 1 + kSecretChars ||
      token.substr(0, kPrefix.size()) != kPrefix || token[kPrefix.size() + kIdChars] != '_' ||
      !IsLowerHex(token.substr(kPrefix.size(), kIdChars)) ||
      !IsLowerHex(token.substr(kPrefix.size() + kIdChars + 1))) {
    return fail(CheckFailure::kMalformed,
                Unauthenticated("malformed API token: expected astro_<id>_<secret>"));
  }
  const std::string_view id = token.substr(kPrefix.size(), kIdChars);
  const std::string digest = Sha256Hex(token);
  std::lock_guard lock(mu_);
  MaybeReloadLocked();
  const TokenInfo* found = Find(id);
  if (found == nullptr) {
    // A token this process has not seen may have been created a moment ago by the CLI or
    // another process: look at the file now rather than up to reload_interval later.
    MaybeReloadLocked(/*now_please=*/true);
    found = Find(id);
  }
  if (found != nullptr && ConstantTimeEquals(digest, found->sha256)) {
    const TokenInfo& t = *found;
    if (!t.active()) {
      return fail(CheckFailure::kRevoked,
                  Unauthenticated("API token " + t.id + " was revoked at " + t.revoked));
    }
    if (!t.HasScope(scope)) {
      return fail(CheckFailure::kScope,
                  PermissionDenied("API token " + t.id + " (\"" + t.name + "\") lacks the scope " +
                                   std::string(scope) + "; it has: " + Join(t.scopes, ", ")));
    }
    if (info != nullptr) *info = t;
    if (failure != nullptr) *failure = CheckFailure::kNone;
    return Status::Ok();
  }
  return fail(CheckFailure::kUnknown, Unauthenticated("unknown API token " + std::string(id)));
}

}  // namespace astrolabe::api
