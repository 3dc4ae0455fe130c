#pragma once
// AdminServer: /healthz, /readyz, /metrics, the debug JSON under /debug/ and the dashboard at /
// on their own listener. Runs on the io_context it is given (the control thread's), never on a
// proxy worker, and never proxies anything. Read-only: nothing it serves changes state.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "proxy/admin/traffic_history.hpp"
#include "proxy/common/expected.hpp"
#include "proxy/common/host_port.hpp"
#include "proxy/net.hpp"

namespace portico {

class WorkerPool;

class AdminServer {
 public:
  // `dashboard`: serve the dashboard at / (--no-dashboard: not; its JSON stays).
  AdminServer(net::io_context& io, WorkerPool& workers, bool dashboard);

  Expected<std::uint16_t> listen(const HostPort& where);
  void start();
  void stop();
  // From now on /readyz answers 503 (shutdown). Call on the io_context's thread.
  void set_draining() { draining_ = true; }
  // More metrics text for /metrics from outside the data plane (the watches, the leader),
  // rendered on this server's thread. Call before start().
  void add_metrics(std::function<std::string()> render) { extra_metrics_ = std::move(render); }
  // A JSON page at `path` (under /debug/) from outside the data plane (the control plane,
  // certificates), rendered on this server's thread at each request. Call before start().
  void add_page(std::string path, std::function<std::string()> render_json) {
    pages_.insert_or_assign(std::move(path), std::move(render_json));
  }
  bool ready() const noexcept;

 private:
  struct Reply {
    unsigned status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
  };
  Awaitable<void> accept_loop();
  Awaitable<void> sample_traffic();
  Awaitable<void> serve(TcpSocket socket);
  Awaitable<Reply> respond(std::string_view target);
  Reply explain(std::string_view target) const;

  net::io_context& io_;
  WorkerPool& workers_;
  const bool dashboard_;
  std::optional<TcpAcceptor> acceptor_;
  std::function<std::string()> extra_metrics_;
  std::map<std::string, std::function<std::string()>, std::less<>> pages_;
  TrafficHistory traffic_;
  SteadyTimer sample_timer_;
  bool draining_ = false;
};

}  // namespace portico
