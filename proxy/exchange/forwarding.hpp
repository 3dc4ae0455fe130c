#pragma once
// Header rewriting at the proxy boundary, as pure functions on a header block so they are
// testable without sockets.
#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/exchange/header_fields.hpp"
#include "proxy/policy/global_policy.hpp"

namespace portico {

// Removes the connection-specific fields of RFC 9110 §7.6.1 (Connection, Keep-Alive,
// Proxy-Connection, TE, Transfer-Encoding, Upgrade) and every field the Connection header
// names, except Host and the framing fields: a client must not be able to make the proxy
// drop those by listing them.
void strip_hop_by_hop(HeaderFields& fields);

// Who a request is from, as the checks after routing, the forwarded headers and the access log
// see it: the connection's client, or what a believed peer's forwarded headers say.
struct RequestOrigin {
  boost::asio::ip::address ip;
  std::string_view address;  // `ip` as text
  bool https = false;
  std::uint16_t port = 0;
  std::string_view forwarded_host;  // X-Forwarded-Host of a believed peer, else ""
};

// Refines `origin` (the connection's) from the request's forwarded headers when `policy`
// believes its peer (proxy-real-ip-cidr): the client is found as nginx's real_ip_recursive
// finds it, walking forwarded-for-header's addresses from the right while the address so far
// is a trusted proxy; under use-forwarded-headers, X-Forwarded-Proto, -Port and -Host count
// too. `address_from_proxy_protocol`: the address came from a PROXY protocol header, which
// wins over forwarded headers (ingress-nginx's real_ip_header proxy_protocol). The text of a
// forwarded address is kept in `address_text`.
void believe_forwarded_headers(const HeaderFields& fields, const GlobalPolicy& policy,
                               bool address_from_proxy_protocol, RequestOrigin& origin,
                               std::string& address_text);

struct ClientOrigin {
  std::string_view address;  // the client's IP as the proxy saw it
  std::string_view proto;    // "http" or "https": the listener the client reached
  std::uint16_t port;        // that listener's port
  std::string_view host;     // the Host header as the client sent it
};

// X-Forwarded-For gets `origin.address` (the peer's) appended to whatever the client sent;
// X-Forwarded-Proto, -Host and -Port replace any value the client sent.
void set_forwarded_headers(HeaderFields& fields, const ClientOrigin& origin);

}  // namespace portico
