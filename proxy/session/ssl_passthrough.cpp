#include "proxy/session/ssl_passthrough.hpp"

#include <memory>
#include <optional>
#include <span>

#include "proxy/exchange/upstream_connect.hpp"
#include "proxy/session/byte_tunnel.hpp"
#include "proxy/session/peek.hpp"
#include "proxy/tls/client_hello.hpp"
#include "proxy/worker/worker.hpp"

namespace portico {
namespace {

// The ClientHello at the start of `socket`, peeked, not read: the handshake that may follow
// reads it again. Nothing when the client closed or stayed silent until the header deadline.
Awaitable<std::optional<HelloPeek>> peek_hello(TcpSocket& socket) {
  const auto start = std::make_unique_for_overwrite<char[]>(MaxHelloRecordBytes);
  const std::span<char> into(start.get(), MaxHelloRecordBytes);
  const std::size_t n = co_await peek_until(socket, into, [](std::string_view bytes) {
    return peek_server_name(bytes).status != HelloPeek::Status::Incomplete;
  });
  if (n == 0) {
    co_return std::nullopt;
  }
  co_return peek_server_name(std::string_view(start.get(), n));
}

}  // namespace

Awaitable<bool> pass_through(const ClientConnection& client, TcpSocket& socket,
                             Deadline& deadline) {
  Worker& worker = client.worker;
  const SnapshotPtr snapshot = worker.pin();
  if (!snapshot || !snapshot->routes->has_passthrough()) {
    co_return false;
  }
  const std::optional<HelloPeek> hello = co_await peek_hello(socket);
  if (!hello) {
    close_quietly(socket);  // the header deadline is spent: a handshake now would have none
    co_return true;
  }
  const std::uint32_t* cluster_id = hello->status == HelloPeek::Status::Done
                                        ? snapshot->routes->passthrough_cluster(hello->server_name)
                                        : nullptr;
  if (cluster_id == nullptr) {
    co_return false;
  }
  const auto& settings = worker.settings();
  const ClusterPtr& cluster = snapshot->clusters->at(*cluster_id);
  const Endpoint* endpoint =
      cluster ? worker.balancer().pick(*cluster, std::chrono::steady_clock::now()) : nullptr;
  UpstreamStream upstream{TcpSocket(worker.executor())};
  const UpstreamDial dial{settings.upstream_connect_timeout, nullptr, "",
                          worker.stats().upstream_connect_errors};
  Fault fault = Fault::NoEndpoint;
  if (endpoint != nullptr) {
    fault = co_await connect_upstream(upstream, *endpoint, dial, deadline);
  }
  if (fault != Fault::None) {
    if (endpoint != nullptr) {
      worker.balancer().report_connect_failure(*endpoint, std::chrono::steady_clock::now());
    }
    close_quietly(socket);  // TLS has no way to say why: the client sees the connection end
    co_return true;
  }
  worker.balancer().report_connect_success(*endpoint);
  deadline.expires_never();  // the idle timeout below replaces it
  ++worker.stats().passthrough_connections;
  beast::flat_buffer nothing_ahead;
  beast::flat_buffer nothing_back;
  co_await relay_bytes(socket, nothing_ahead, std::get<TcpSocket>(upstream), nothing_back,
                       settings.tunnel_idle_timeout);
  co_return true;
}

}  // namespace portico
