#pragma once
// HOST:PORT as given to the --*-listen flags: parsed once at start-up into an address the
// listeners can bind. "[::1]:80" and "0.0.0.0:80" both work; a bad value is a Failure.
#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/common/expected.hpp"

namespace portico {

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};

Expected<HostPort> parse_host_port(std::string_view text);

}  // namespace portico
