// Fuzzes what the server's auth parses from outside: the tokens file (src/api/token_store.h,
// hand-editable), the body of POST /api/v1/tokens (src/api/api_server.h) and Authorization
// header values. The first byte picks the parser, the rest is the input. Checks, besides the
// sanitizers: a tokens file that parses prints (FormatTokenFile) to one that parses back to
// the same tokens. Seeds: fuzz/corpus/token_file/.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/api_json.h"
#include "api/token_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto parsed = astrolabe::api::ParseTokenFile(input);
      if (!parsed.ok()) break;
      auto again = astrolabe::api::ParseTokenFile(astrolabe::api::FormatTokenFile(*parsed));
      if (!again.ok() || again->size() != parsed->size()) std::abort();
      for (size_t i = 0; i < parsed->size(); ++i) {
        const auto& a = (*parsed)[i];
        const auto& b = (*again)[i];
        if (a.id != b.id || a.name != b.name || a.scopes != b.scopes || a.created != b.created ||
            a.revoked != b.revoked || a.sha256 != b.sha256) {
          std::abort();
        }
      }
      break;
    }
    case 1: {
      std::string name;
      std::vector<std::string> scopes;
      (void)astrolabe::api::ParseCreateTokenRequest(input, &name, &scopes);
      break;
    }
    case 2: {
      auto token = astrolabe::api::TokenFromAuthorization(input);
      if (token && (token->empty() || token->size() > input.size())) std::abort();
      break;
    }
  }
  return 0;
}
