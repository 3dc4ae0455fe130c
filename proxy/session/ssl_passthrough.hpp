#pragma once
// pass_through: ssl-passthrough (with --enable-ssl-passthrough), before the TLS handshake on
// the HTTPS listener. Peeks at the ClientHello; when its SNI names a host an Ingress passes
// through, the connection is relayed untouched, TLS and all, to an endpoint of that host's
// backend, and Portico never sees inside it.
#include <boost/asio/ip/tcp.hpp>

#include "proxy/exchange/exchange.hpp"
#include "proxy/session/deadline.hpp"

namespace portico {

// True when the connection is over: passed through, or closed (it closed, or sent no
// ClientHello within the header timeout); false when it is Portico's to terminate, every
// byte of it still unread.
Awaitable<bool> pass_through(const ClientConnection& client, TcpSocket& socket, Deadline& deadline);

}  // namespace portico
