#pragma once
// Base64 (RFC 4648) — the one encoder and decoder of the tree: Basic credentials, OTLP/JSON
// bytes, kubeconfig certificate data, token files, the simulators' embeddings.

#include <string>
#include <string_view>

namespace astrolabe {

// Appends `in` in the standard alphabet with '=' padding.
void AppendBase64(std::string& out, std::string_view in);
std::string Base64Encode(std::string_view in);

struct Base64Accept {
  bool url_safe = false;    // also '-' and '_' for 62 and 63 (protojson accepts both alphabets)
  bool whitespace = false;  // skip '\r', '\n' and ' ' (wrapped PEM-style data)
};

// Decodes standard base64, '=' padding optional, into *out. False on any other byte or an
// impossible length (one character left over).
bool Base64Decode(std::string_view in, std::string* out, Base64Accept accept = {});

}  // namespace astrolabe
