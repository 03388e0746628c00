#pragma once
// The JSON of the server's API: error envelopes, tokens, and the body of POST /api/v1/tokens.
// The parser takes untrusted bytes (fuzz/token_file_fuzz.cc). Thread-safe (no state).

#include <string>
#include <string_view>
#include <vector>

#include "api/token_store.h"
#include "common/status.h"

namespace astrolabe::api {

// Appends `s` as a JSON string literal (quotes, backslashes and control characters escaped;
// bytes that are not well-formed UTF-8 become \ufffd, so the output is always valid JSON).
void AppendJsonString(std::string& out, std::string_view s);

// The JSON error body {"error":{"code":N,"message":"..."}}.
std::string ErrorJson(int code, std::string_view message);
// Parses a POST /api/v1/tokens body: {"name": "...", "scopes": ["...", ...]}.
Status ParseCreateTokenRequest(std::string_view body, std::string* name,
                               std::vector<std::string>* scopes);
// A token (without its secret) as JSON.
std::string TokenJson(const TokenInfo& token);

}  // namespace astrolabe::api
