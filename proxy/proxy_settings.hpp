#pragma once
// ProxySettings: the data plane's knobs, set at start-up from flags and copied into every
// worker. The global ConfigMap's keep-alive keys override a few of them (GlobalPolicy), in
// each worker's copy as it installs a snapshot; an Ingress's RoutePolicy overrides some per
// route.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace portico {

struct ProxySettings {
  std::chrono::milliseconds upstream_connect_timeout{5'000};
  std::chrono::milliseconds upstream_response_timeout{60'000};  // between upstream reads
  std::chrono::milliseconds upstream_send_timeout{60'000};      // between upstream writes
  std::chrono::milliseconds client_header_timeout{60'000};
  std::chrono::milliseconds client_idle_timeout{60'000};
  std::chrono::milliseconds tunnel_idle_timeout{3'600'000};
  // Backends commonly close idle keep-alive connections after 60-75 s; staying below that
  // keeps most reuses clear of the close race (the rest are retried, see HttpSession).
  std::chrono::milliseconds upstream_idle_timeout{30'000};
  // Per worker. HTTP/2 clients multiply a worker's concurrency (64 connections x 10 streams in
  // bench/http2.sh): with room for only 256, connects and closes took 17 % of the CPU.
  std::size_t max_idle_per_endpoint = 1024;
  // Requests one upstream connection carries before it is closed; 0: no limit.
  std::uint64_t upstream_max_requests = 0;
  // Requests one client connection carries before it is closed (HTTP/1.1: "Connection:
  // close" on the last answer; HTTP/2: GOAWAY after the last stream); 0: no limit.
  std::uint64_t client_max_requests = 0;
  std::size_t max_request_line_bytes = 8 * 1024;
  std::size_t max_header_bytes = 32 * 1024;
  std::size_t max_header_fields = 100;
  std::size_t max_body_bytes = 0;  // 0: unlimited (bodies stream, so memory is not at stake)
  // HTTP/2: streams one connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS).
  std::uint32_t http2_max_concurrent_streams = 128;
  std::string server_header = "portico";
  std::string hsts_header;  // Strict-Transport-Security on HTTPS responses; "" for none
  bool access_log = false;  // one JSON line per request on stderr
  // Every connection starts with a PROXY protocol header (v1 or v2) whose address is the
  // client's: Portico sits behind a load balancer that sends one.
  bool proxy_protocol = false;
  // --enable-ssl-passthrough: the HTTPS listener peeks at each ClientHello, and relays the
  // connections of ssl-passthrough hosts untouched.
  bool ssl_passthrough = false;
};

}  // namespace portico
