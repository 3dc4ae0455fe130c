#pragma once
// EchoServer: the backend of tests, the demo and benchmarks. Answers every request with a
// JSON description of what it received (method, target, headers, body size and checksum),
// and a few endpoints to provoke proxy behaviour:
//   .../bytes/N[?chunked=1]  N bytes of body, streamed (Content-Length, or chunked)
//   .../status/CODE          that status
//   ...?location=URL         that Location header (the rest of the target, as it is)
//   .../delay/MS             answers after MS milliseconds
//   a WebSocket handshake    accepted; each message is echoed back
// (anywhere in the path, so they work behind any Prefix route).
// Every response names the server (X-Echo-Name) and the connection it came on
// (X-Echo-Connection: a serial number), so tests can count upstream connections.
// Runs on the io_context it is given; thread-safe only through that context.
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "proxy/net.hpp"

namespace portico::echo {

class EchoServer {
 public:
  EchoServer(boost::asio::io_context& io, std::string name);
  // Binds and starts accepting; returns the bound port.
  std::uint16_t listen(const std::string& host, std::uint16_t port);
  std::uint64_t connections_accepted() const noexcept { return accepted_.load(); }
  // "METHOD target" of the last requests received (at most 1024, for benchmarks' sake), oldest
  // first; any thread.
  std::vector<std::string> requests_received() const {
    const std::lock_guard lock(received_mutex_);
    return {received_.begin(), received_.end()};
  }
  // Every response waits this long first: a slow endpoint, for latency-aware balancing.
  void set_delay(std::chrono::milliseconds delay) noexcept { delay_ms_ = delay.count(); }
  // Stops as a killed process would: the port refuses connections and every open HTTP
  // connection is closed. Call from outside the io_context's thread; returns when done.
  void kill();

 private:
  Awaitable<void> accept_loop();
  Awaitable<void> serve(TcpSocket socket, std::uint64_t serial);

  boost::asio::io_context& io_;
  std::string name_;
  TcpAcceptor acceptor_;
  std::atomic<std::uint64_t> accepted_{0};
  std::atomic<std::int64_t> delay_ms_{0};
  mutable std::mutex received_mutex_;
  std::deque<std::string> received_;
  // Touched on the io_context only; shared with the connections' frames, which the
  // io_context may destroy after this server.
  using OpenStreams = std::unordered_set<boost::beast::tcp_stream*>;
  std::shared_ptr<OpenStreams> open_ = std::make_shared<OpenStreams>();
};

}  // namespace portico::echo
