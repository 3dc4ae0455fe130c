#pragma once
// Header rewriting at the proxy boundary, as pure functions on a header block so they are
// testable without sockets.
#include <boost/beast/http/fields.hpp>
#include <cstdint>
#include <string_view>

namespace portico {

// Removes the connection-specific fields of RFC 9110 §7.6.1 (Connection, Keep-Alive,
// Proxy-Connection, TE, Transfer-Encoding, Upgrade) and every field the Connection header
// names, except Host and the framing fields: a client must not be able to make the proxy
// drop those by listing them.
void strip_hop_by_hop(boost::beast::http::fields& fields);

struct ClientOrigin {
  std::string_view address;  // the client's IP as the proxy saw it
  std::string_view proto;    // "http" or "https": the listener the client reached
  std::uint16_t port;        // that listener's port
  std::string_view host;     // the Host header as the client sent it
};

// X-Forwarded-For gets the client's address appended to whatever the client sent;
// X-Forwarded-Proto, -Host and -Port replace any value the client sent.
void set_forwarded_headers(boost::beast::http::fields& fields, const ClientOrigin& origin);

}  // namespace portico
