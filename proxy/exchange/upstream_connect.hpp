#pragma once
// connect_upstream: a new connection to a backend endpoint, the same for both upstream
// exchanges: TCP (with TCP_NODELAY), then, for TLS, the handshake, all within the connect
// timeout. The handshake is part of connecting: a failure there is a connect failure (nothing
// was sent, so another endpoint may be tried).
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstdint>
#include <string_view>

#include "proxy/exchange/fault.hpp"
#include "proxy/net.hpp"
#include "proxy/session/deadline.hpp"
#include "proxy/upstream/conn_pool.hpp"

namespace portico {

class Worker;

struct UpstreamDial {
  std::chrono::milliseconds timeout;
  net::ssl::context* tls = nullptr;  // null: plain TCP
  // With TLS: the one ALPN protocol to offer, which the backend must then choose ("h2");
  // empty: no ALPN.
  std::string_view alpn;
  std::uint64_t& failures;  // counted on failure (the worker's upstream_connect_errors)
  // With TLS: the name sent as SNI; empty (backends, as ingress-nginx does): none.
  std::string_view server_name = {};
  // With TLS: the name the peer's certificate must be valid for (its chain is checked by
  // `tls`'s verify mode); empty: no name is checked.
  std::string_view verify_name = {};

  // proxy-ssl-*: the profile's context, SNI and name check instead of the worker's defaults.
  void use(const BackendTls& profile);
};

// `stream` holds a fresh TcpSocket; on success it holds the connected stream (the
// TLS one for TLS). Fault::UpstreamTimeout or UpstreamUnreachable on failure, logged.
Awaitable<Fault> connect_upstream(UpstreamStream& stream, const Endpoint& endpoint,
                                  const UpstreamDial& dial, Deadline& deadline);

// A new HTTP/1.1 connection of `worker`'s to `endpoint` (over TLS with `tls`, sending
// `server_name` as SNI when not empty, or as `tls_profile` says), counted in its stats: `out`
// holds it on success.
Awaitable<Fault> open_upstream_connection(Worker& worker, const Endpoint& endpoint,
                                          std::chrono::milliseconds timeout, bool tls,
                                          std::string_view server_name, Deadline& deadline,
                                          UpstreamConnectionPtr& out,
                                          std::shared_ptr<const BackendTls> tls_profile = {});

}  // namespace portico
