#pragma once
// AdminServer: /healthz, /readyz and /metrics on their own listener. Runs on the io_context it
// is given (the control thread's), never on a proxy worker, and never proxies anything.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "proxy/common/expected.hpp"
#include "proxy/common/host_port.hpp"
#include "proxy/net.hpp"

namespace portico {

class WorkerPool;

class AdminServer {
 public:
  AdminServer(net::io_context& io, WorkerPool& workers);

  Expected<std::uint16_t> listen(const HostPort& where);
  void start();
  void stop();
  // From now on /readyz answers 503 (shutdown). Call on the io_context's thread.
  void set_draining() { draining_ = true; }
  // More metrics text for /metrics from outside the data plane (the watches, the leader),
  // rendered on this server's thread. Call before start().
  void add_metrics(std::function<std::string()> render) { extra_metrics_ = std::move(render); }
  bool ready() const noexcept;

 private:
  net::awaitable<void> accept_loop();
  net::awaitable<void> serve(net::ip::tcp::socket socket);

  net::io_context& io_;
  WorkerPool& workers_;
  std::optional<net::ip::tcp::acceptor> acceptor_;
  std::function<std::string()> extra_metrics_;
  bool draining_ = false;
};

}  // namespace portico
