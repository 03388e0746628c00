#pragma once
// SHA-256 (FIPS 180-4), for the server's API tokens (src/api/token_store.h): tokens are
// stored as the SHA-256 of the token, never the token itself. Our own implementation, so
// that checking a token never loads OpenSSL (which the process dlopens only for TLS, see
// src/net/openssl_loader.h). Not for bulk hashing: about 200 MB/s, plenty for one short
// token per request. Thread-safe (no shared state).

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace astrolabe {

using Sha256Digest = std::array<uint8_t, 32>;

// Incremental hashing: Update() any number of times, then Finish() once.
class Sha256 {
 public:
  Sha256();
  void Update(std::string_view bytes);
  // REQUIRES: called once; the object is spent afterwards.
  Sha256Digest Finish();

 private:
  void Block(const uint8_t* block);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_{};
  size_t buffered_ = 0;
  uint64_t length_ = 0;  // bytes hashed so far
};

Sha256Digest Sha256Of(std::string_view bytes);
// Lowercase hex of the digest of `bytes` (64 characters).
std::string Sha256Hex(std::string_view bytes);
// Lowercase hex of any bytes.
std::string HexEncode(std::string_view bytes);

// Compares in time that depends only on the lengths, never on where the inputs first
// differ: for secrets and their digests (a timing side channel must not reveal a prefix).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace astrolabe
