#pragma once
// ConnPool: idle keep-alive connections to upstream endpoints, per worker (an Asio socket
// belongs to one io_context, and a pool confined to its thread needs no lock). LIFO per
// endpoint so the warmest connection is reused first; connections idle longer than the idle
// timeout, or to endpoints that left the routing snapshot, or that carried as many requests
// as allowed, are closed.
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <variant>
#include <vector>

#include "proxy/net.hpp"
#include "proxy/proxy_settings.hpp"
#include "proxy/tls/tls_socket.hpp"
#include "proxy/upstream/cluster.hpp"

namespace portico {

class BackendTls;

// A connection to a backend, in clear or over TLS.
using UpstreamStream = std::variant<TcpSocket, TlsSocket>;

// One connection to an upstream endpoint, with the read buffer that belongs to it: plain
// HTTP, or HTTPS for an Ingress with backend-protocol HTTPS (the TLS stream then owns the
// TCP one). `open_gauge` counts live upstream connections in the owning worker's stats.
struct UpstreamConnection {
  UpstreamConnection(const Executor& executor, Endpoint to, std::int64_t& open_gauge)
      : stream(std::in_place_type<TcpSocket>, executor),
        endpoint(std::move(to)),
        gauge(open_gauge) {
    ++gauge;
  }
  ~UpstreamConnection() { --gauge; }
  UpstreamConnection(const UpstreamConnection&) = delete;
  UpstreamConnection& operator=(const UpstreamConnection&) = delete;

  bool tls() const noexcept { return stream.index() == 1; }
  TcpSocket& transport() noexcept {
    return std::visit([](auto& s) -> TcpSocket& { return beast::get_lowest_layer(s); }, stream);
  }

  UpstreamStream stream;
  beast::flat_buffer buffer;
  Endpoint endpoint;
  std::int64_t& gauge;
  std::chrono::steady_clock::time_point idle_since{};
  // The BackendTls (proxy-ssl-*) it was made under, kept alive by it; null: Portico's default.
  std::shared_ptr<const BackendTls> tls_profile;
  std::uint64_t requests = 0;  // answered on it so far
  bool reused = false;  // came from the pool: a failure before any response byte may be a
                        // close race with the upstream's idle timeout, worth one retry
};

using UpstreamConnectionPtr = std::unique_ptr<UpstreamConnection>;

class ConnPool {
 public:
  // `settings`: the worker's, read at each take and put (the global ConfigMap may change its
  // upstream keep-alive limits); it outlives the pool.
  explicit ConnPool(const ProxySettings& settings) : settings_(settings) {}

  // The most recently returned live connection to `endpoint` speaking HTTPS or not as `tls`
  // says, made under `tls_profile` (proxy-ssl-*), or null.
  UpstreamConnectionPtr take(const Endpoint& endpoint, bool tls,
                             const BackendTls* tls_profile = nullptr);
  // Keeps `connection`, which has just answered a request, for reuse; or closes it when the
  // endpoint already has enough idle or it has carried its last request.
  void put(UpstreamConnectionPtr connection);
  // Closes idle connections to endpoints no cluster in `clusters` lists any more.
  void retain_only(const std::vector<ClusterPtr>& clusters);
  // Closes every idle connection (before the event loop they belong to goes away).
  void clear() noexcept { idle_.clear(); }

 private:
  const ProxySettings& settings_;
  std::unordered_map<Endpoint, std::vector<UpstreamConnectionPtr>, EndpointHash> idle_;
};

}  // namespace portico
