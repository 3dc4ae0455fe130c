#pragma once
// serve_connection: the first moments of every accepted connection, where its codec is
// chosen. HTTPS: the TLS handshake, then ALPN (h2, else HTTP/1.1). Plain HTTP: the first
// bytes; the HTTP/2 connection preface means h2c with prior knowledge, anything else is
// HTTP/1.1. Then the chosen session serves the connection until it ends.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "proxy/exchange/exchange.hpp"
#include "proxy/net.hpp"

namespace portico {

// `tls`: the HTTPS listener's context, or null for the plain listener.
Awaitable<void> serve_connection(ClientConnection client, TcpSocket socket, net::ssl::context* tls);

}  // namespace portico
