#pragma once
// The PROXY protocol header (HAProxy's specification, versions 1 and 2) that a load balancer
// in front of Portico puts before a connection's first byte, carrying the client's address.
// With --proxy-protocol every connection must start with one: a missing or malformed header
// closes the connection (a client must never be able to claim another's address by sending
// one where none is expected, or be served without one where one is). Pure and incremental.
#include <boost/asio/ip/address.hpp>
#include <cstddef>
#include <optional>
#include <string_view>

namespace portico {

struct ProxyHeader {
  enum class Status { NeedMore, Done, Invalid };
  Status status = Status::NeedMore;
  std::size_t length = 0;  // Done: the header's bytes, to be read off the connection
  // Done: the client's address; none for LOCAL (the balancer's own health check) and for
  // UNKNOWN or non-TCP families, where the connection's own address stands.
  std::optional<boost::asio::ip::address> source;
};

// Judges the bytes a connection starts with (as many as have arrived). Never reads past the
// header, so what follows is left for HTTP or TLS.
ProxyHeader parse_proxy_header(std::string_view start);

// The most bytes a header may have: version 1's 107, or version 2's 16 plus TLVs, bounded.
inline constexpr std::size_t MaxProxyHeaderBytes = 16 + 2048;

}  // namespace portico
