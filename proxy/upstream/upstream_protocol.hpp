#pragma once
// How Portico speaks to a backend: HTTP/1.1 or HTTP/2, in clear or over TLS. Chosen per
// request from the Ingress's backend-protocol annotation (HTTP, HTTPS, GRPC, GRPCS) and the
// Service port's appProtocol (kubernetes.io/h2c: HTTP/2 in clear).
#include <cstdint>
#include <string_view>

namespace portico {

enum class BackendProtocol : std::uint8_t { Http, Https, Grpc, Grpcs };

struct UpstreamProtocol {
  bool tls = false;
  bool http2 = false;

  // "http", "https", "h2c" or "h2": for explain and /debug/snapshot.
  constexpr std::string_view name() const {
    return http2 ? (tls ? "h2" : "h2c") : (tls ? "https" : "http");
  }
};

// The annotation wins when it names a protocol; a plain HTTP route to an h2c port speaks h2c.
constexpr UpstreamProtocol upstream_protocol(BackendProtocol backend, bool port_is_h2c) {
  switch (backend) {
    case BackendProtocol::Https:
      return {true, false};
    case BackendProtocol::Grpc:
      return {false, true};
    case BackendProtocol::Grpcs:
      return {true, true};
    case BackendProtocol::Http:
      break;
  }
  return {false, port_is_h2c};
}

}  // namespace portico
