#pragma once
// Parsing of listen addresses in the OpenTelemetry Collector's "host:port" form.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace astrolabe::net {

struct ListenAddress {
  // Host name or IP literal without brackets; empty means every interface.
  std::string host;
  uint16_t port = 0;  // 0: the kernel picks an ephemeral port
};

// Parses "localhost:13133", "127.0.0.1:0", "[::1]:0", "0.0.0.0:8888" and ":8888" (every
// interface). The port is required and must be 0..65535; IPv6 literals need brackets.
Result<ListenAddress> ParseListenAddress(std::string_view text);

// "host:port", bracketing IPv6 literals: "[::1]:4318".
std::string FormatHostPort(std::string_view host, uint16_t port);

}  // namespace astrolabe::net
