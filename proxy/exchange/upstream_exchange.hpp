#pragma once
// exchange_upstream: the exchange with the chosen endpoint, over the protocol the route and
// its Service port chose (Exchange::upstream_protocol): HTTP/1.1 or HTTP/2.
#include "proxy/exchange/upstream_http1.hpp"
#include "proxy/exchange/upstream_http2.hpp"

namespace portico {

template <class Downstream>
Awaitable<Fault> exchange_upstream(const ClientConnection& client, Downstream& downstream,
                                   Exchange& ex, const Endpoint& endpoint) {
  if (ex.upstream_protocol.http2) {
    Http2UpstreamExchange<Downstream> upstream(client, downstream, ex);
    co_return co_await upstream.run(endpoint);
  }
  UpstreamExchange<Downstream> upstream(client, downstream, ex);
  co_return co_await upstream.run(endpoint);
}

}  // namespace portico
