#pragma once
// peek_until: looks at a connection's first bytes without reading them, until they are enough
// to decide on (a PROXY protocol header, a TLS ClientHello). Senders put such a start in one
// segment; one still incomplete is looked at again a little later rather than in a loop.
// Bounded by whatever deadline cancels the socket.
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <span>
#include <string_view>

#include "proxy/net.hpp"

namespace portico {

// The number of bytes in `into` once `decided` holds for them (or `into` is full); 0 when the
// connection closed, failed, or its deadline cancelled the wait.
Awaitable<std::size_t> peek_until(TcpSocket& socket, std::span<char> into,
                                  const std::function<bool(std::string_view)>& decided);

}  // namespace portico
