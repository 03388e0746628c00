// `astrolabe token create|list|revoke`: the API tokens in <data>/tokens.json, edited in place
// (a running server sees the change within a second).

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "api/token_store.h"
#include "app/commands.h"
#include "app/server_config.h"
#include "common/strings.h"

namespace astrolabe::app {
namespace {

std::string TokensFile(const TokenOptions& options) {
  if (!options.tokens_file.empty()) return options.tokens_file;
  std::string dir = options.data_dir.empty() ? kDefaultDataDir : options.data_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir + "/tokens.json";
}

int Fail(const Status& s) {
  std::cerr << "error: " << s.message() << "\n";
  return 1;
}

}  // namespace

int RunToken(const TokenOptions& options) {
  const std::string path = TokensFile(options);
  api::TokenStore store(path);
  if (Status s = store.Load(); !s.ok()) return Fail(s);

  if (options.action == "create") {
    if (Status s = [&]() -> Status {
          std::error_code ec;
          auto dir = std::filesystem::path(path).parent_path();
          if (!dir.empty()) std::filesystem::create_directories(dir, ec);
          if (ec) return Unavailable("cannot create " + dir.string() + ": " + ec.message());
          return Status::Ok();
        }();
        !s.ok()) {
      return Fail(s);
    }
    auto made = store.Create(options.name, options.scopes);
    if (!made.ok()) return Fail(made.status());
    std::cerr << "created token " << made->info.id << " (\"" << made->info.name
              << "\") with scopes " << Join(made->info.scopes, ",") << " in " << path
              << ". The token is shown only this once:\n";
    std::cout << made->token << "\n";
    return 0;
  }
  if (options.action == "list") {
    const auto tokens = store.List();
    std::cout << "ID            NAME                  CREATED               STATUS   SCOPES\n";
    // CREATED is RFC 3339 to the second (20 characters).
    for (const auto& t : tokens) {
      std::string name = t.name.size() > 20 ? t.name.substr(0, 19) + "~" : t.name;
      name.resize(std::max<size_t>(name.size(), 21), ' ');
      std::cout << t.id << "  " << name << " " << t.created << "  "
                << (t.active() ? "active " : "revoked") << "  " << Join(t.scopes, ",") << "\n";
    }
    if (tokens.empty()) std::cerr << "no tokens in " << path << "\n";
    return 0;
  }
  if (options.action == "revoke") {
    if (Status s = store.Revoke(options.id); !s.ok()) return Fail(s);
    std::cerr << "revoked token " << options.id << " in " << path << "\n";
    return 0;
  }
  return Fail(InvalidArgument("unknown token action \"" + options.action + "\""));
}

}  // namespace astrolabe::app
