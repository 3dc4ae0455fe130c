#pragma once
// ProxySettings: the data plane's knobs, fixed at start-up from flags and copied into every
// worker (read-only afterwards).
#include <chrono>
#include <cstddef>
#include <string>

namespace portico {

struct ProxySettings {
  std::chrono::milliseconds upstream_connect_timeout{5'000};
  std::chrono::milliseconds upstream_response_timeout{60'000};
  std::chrono::milliseconds client_header_timeout{60'000};
  std::chrono::milliseconds client_idle_timeout{60'000};
  // Backends commonly close idle keep-alive connections after 60-75 s; staying below that
  // keeps most reuses clear of the close race (the rest are retried, see HttpSession).
  std::chrono::milliseconds upstream_idle_timeout{30'000};
  std::size_t max_idle_per_endpoint = 64;
  std::size_t max_header_bytes = 32 * 1024;
  std::string server_header = "portico";
};

}  // namespace portico
