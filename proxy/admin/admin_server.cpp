#include "proxy/admin/admin_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <optional>

#include "proxy/admin/explain.hpp"
#include "proxy/admin/metrics.hpp"
#include "proxy/admin/snapshot_json.hpp"
#include "proxy/exchange/request_values.hpp"
#include "proxy/worker/worker_pool.hpp"

namespace portico {
namespace {

// Query argument `name` of `target`, percent-decoded ("+" is a space), or nothing when absent
// or badly encoded.
std::optional<std::string> query_parameter(std::string_view target, std::string_view name) {
  const std::string_view raw = find_query_argument(target, name);
  if (raw.empty()) {
    return std::nullopt;
  }
  std::string out;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '%') {
      unsigned value = 0;
      const char* digits = raw.data() + i + 1;
      if (i + 2 >= raw.size()) {
        return std::nullopt;
      }
      const auto [end, ec] = std::from_chars(digits, digits + 2, value, 16);
      if (ec != std::errc() || end != digits + 2) {
        return std::nullopt;
      }
      out.push_back(static_cast<char>(value));
      i += 2;
    } else {
      out.push_back(raw[i] == '+' ? ' ' : raw[i]);
    }
  }
  return out;
}

}  // namespace


AdminServer::AdminServer(net::io_context& io, WorkerPool& workers) : io_(io), workers_(workers) {}

Expected<std::uint16_t> AdminServer::listen(const HostPort& where) {
  boost::system::error_code ec;
  const auto address = net::ip::make_address(where.host, ec);
  if (ec) {
    return fail("\"" + where.host + "\" is not an IP address");
  }
  const net::ip::tcp::endpoint endpoint(address, where.port);
  net::ip::tcp::acceptor acceptor(io_);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor.set_option(net::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    acceptor.listen(net::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return fail("cannot listen on " + where.host + ":" + std::to_string(where.port) + ": " +
                ec.message());
  }
  const auto port = acceptor.local_endpoint().port();
  acceptor_.emplace(std::move(acceptor));
  return port;
}

void AdminServer::start() {
  net::co_spawn(io_, accept_loop(), net::detached);
}

void AdminServer::stop() {
  if (acceptor_) {
    boost::system::error_code ignored;
    acceptor_->close(ignored);
  }
}

bool AdminServer::ready() const noexcept {
  // Generation 1 is only published once the first complete state is known.
  return !draining_ && workers_.published_generation() > 0 && workers_.installed_everywhere(1);
}

net::awaitable<void> AdminServer::accept_loop() {
  while (acceptor_ && acceptor_->is_open()) {
    auto [ec, socket] = co_await acceptor_->async_accept(use_nothrow);
    if (ec) {
      if (!acceptor_->is_open()) {
        co_return;
      }
      continue;
    }
    net::co_spawn(io_, serve(std::move(socket)), net::detached);
  }
}

net::awaitable<void> AdminServer::serve(net::ip::tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    http::request<http::empty_body> request;
    stream.expires_after(std::chrono::seconds(30));
    auto [ec, n] = co_await http::async_read(stream, buffer, request, use_nothrow);
    if (ec) {
      break;
    }
    http::response<http::string_body> response{http::status::ok, request.version()};
    response.set(http::field::server, "portico");
    response.set(http::field::content_type, "text/plain; charset=utf-8");
    const std::string_view path = request.target().substr(0, request.target().find('?'));
    if (request.method() != http::verb::get && request.method() != http::verb::head) {
      response.result(http::status::method_not_allowed);
      response.body() = "method not allowed\n";
    } else if (path == "/healthz") {
      response.body() = "ok\n";
    } else if (path == "/readyz") {
      const bool is_ready = ready();
      response.result(is_ready ? http::status::ok : http::status::service_unavailable);
      response.body() = is_ready ? "ready\n" : "not ready\n";
    } else if (path == "/metrics") {
      const WorkerStats totals = co_await workers_.collect_stats();
      const SnapshotPtr snapshot = workers_.latest();
      response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      response.body() = render_metrics(
          totals, {workers_.published_generation(), workers_.publish_count(), ready()},
          snapshot ? snapshot->certs.get() : nullptr);
      if (extra_metrics_) {
        response.body() += extra_metrics_();
      }
    } else if (path == "/debug/snapshot") {
      const SnapshotPtr snapshot = workers_.latest();
      response.set(http::field::content_type, "application/json");
      response.body() = snapshot ? describe_snapshot(*snapshot) : "null\n";
    } else if (path == "/debug/explain") {
      const SnapshotPtr snapshot = workers_.latest();
      const auto url = query_parameter(request.target(), "url");
      auto explained = snapshot && url ? explain_request(*snapshot, *url, workers_.https_port())
                                       : Expected<std::string>(fail(
                                             snapshot ? "usage: /debug/explain?url=http://host/path"
                                                      : "no routing snapshot yet"));
      if (explained) {
        response.set(http::field::content_type, "application/json");
        response.body() = std::move(*explained);
      } else {
        response.result(http::status::bad_request);
        response.body() = explained.error() + "\n";
      }
    } else {
      response.result(http::status::not_found);
      response.body() = "not found\n";
    }
    response.keep_alive(request.keep_alive());
    response.prepare_payload();
    auto [write_ec, written] = co_await http::async_write(stream, response, use_nothrow);
    if (write_ec || !request.keep_alive()) {
      break;
    }
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
}

}  // namespace portico
