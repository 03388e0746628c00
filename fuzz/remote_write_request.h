#pragma once
// The HTTP request the remote-write fuzz targets (remote_write_receiver_fuzz.cc,
// remote_write_store_fuzz.cc) build from their input, so that both read inputs alike and
// share seeds:
//   byte 0: Content-Type variant (none, 1.0, 1.0 with proto=, 2.0, json, unknown proto)
//   byte 1: bit 0-1 Content-Encoding (snappy, none, gzip, "SNAPPY "), bit 2 compress the
//           body with snappy here (so decoding is reached), bit 3 left to the target,
//           bit 4 a version header of 2.0.0, bit 5 a version header of 9.0
//   rest:   the body (protobuf before the optional snappy step)
// The request is parsed by the HTTP server's own parser (net/http_codec.h).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "net/http_codec.h"
#include "wire/snappy.h"

namespace astrolabe::fuzz {

// The parsed request of `data` (size >= 2); *flags is byte 1.
inline net::internal::BufferParse RemoteWriteRequest(const uint8_t* data, size_t size,
                                                     uint8_t* flags) {
  const uint8_t type = data[0] % 6;
  *flags = data[1];
  std::string body(reinterpret_cast<const char*>(data + 2), size - 2);
  if (*flags & 4) {
    std::string z;
    wire::SnappyCompress(body, &z);
    body = std::move(z);
  }
  static const char* kTypes[] = {nullptr,
                                 "application/x-protobuf",
                                 "application/x-protobuf;proto=prometheus.WriteRequest",
                                 "application/x-protobuf; proto=io.prometheus.write.v2.Request",
                                 "application/json",
                                 "application/x-protobuf;proto=foo"};
  static const char* kEncodings[] = {"snappy", nullptr, "gzip", "SNAPPY "};
  std::string req = "POST /api/v1/write HTTP/1.1\r\nHost: x\r\n";
  if (kTypes[type]) req += std::string("Content-Type: ") + kTypes[type] + "\r\n";
  if (const char* e = kEncodings[*flags & 3]) {
    req += std::string("Content-Encoding: ") + e + "\r\n";
  }
  if (*flags & 16) req += "X-Prometheus-Remote-Write-Version: 2.0.0\r\n";
  if (*flags & 32) req += "X-Prometheus-Remote-Write-Version: 9.0\r\n";
  req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;

  net::internal::ParserLimits limits;
  limits.max_body_bytes = 4 << 20;
  net::internal::BufferParse parsed = net::internal::ParseRequestBuffer(req, limits);
  if (parsed.status != 0) std::abort();  // we built a valid request
  return parsed;
}

}  // namespace astrolabe::fuzz
