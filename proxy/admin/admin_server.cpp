#include "proxy/admin/admin_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <chrono>
#include <optional>
#include <vector>

#include "proxy/admin/dashboard_assets.hpp"
#include "proxy/admin/explain.hpp"
#include "proxy/admin/metrics.hpp"
#include "proxy/admin/snapshot_json.hpp"
#include "proxy/common/log.hpp"
#include "proxy/worker/worker_pool.hpp"

namespace portico {
namespace {

// `raw` percent-decoded ("+" is a space), or nothing when badly encoded.
std::optional<std::string> percent_decoded(std::string_view raw) {
  std::string out;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '%') {
      unsigned value = 0;
      if (i + 2 >= raw.size()) {
        return std::nullopt;
      }
      const char* digits = raw.data() + i + 1;
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

// Every name=value argument of `target`'s query in order, decoded; nothing when one is badly
// encoded.
std::optional<std::vector<std::pair<std::string, std::string>>> query_arguments(
    std::string_view target) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto question = target.find('?');
  std::string_view query = question == std::string_view::npos ? "" : target.substr(question + 1);
  while (!query.empty()) {
    const std::string_view argument = query.substr(0, query.find('&'));
    query.remove_prefix(std::min(query.size(), argument.size() + 1));
    const auto equals = argument.find('=');
    auto name = percent_decoded(argument.substr(0, equals));
    auto value =
        percent_decoded(equals == std::string_view::npos ? "" : argument.substr(equals + 1));
    if (!name || !value) {
      return std::nullopt;
    }
    if (!name->empty()) {
      out.emplace_back(std::move(*name), std::move(*value));
    }
  }
  return out;
}

// A coroutine's completion handler: an exception ending it is logged, never rethrown.
auto log_unexpected(std::string_view what) {
  return [what](std::exception_ptr error) { log::unexpected("admin", what, error); };
}

}  // namespace

AdminServer::AdminServer(net::io_context& io, WorkerPool& workers, bool dashboard)
    : io_(io), workers_(workers), dashboard_(dashboard), sample_timer_(io) {}

Expected<std::uint16_t> AdminServer::listen(const HostPort& where) {
  boost::system::error_code ec;
  const auto address = net::ip::make_address(where.host, ec);
  if (ec) {
    return fail("\"" + where.host + "\" is not an IP address");
  }
  const net::ip::tcp::endpoint endpoint(address, where.port);
  TcpAcceptor acceptor(io_);
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
  net::co_spawn(io_, accept_loop(), log_unexpected("accept loop"));
  net::co_spawn(io_, sample_traffic(), log_unexpected("traffic sampling"));
}

void AdminServer::stop() {
  if (acceptor_) {
    boost::system::error_code ignored;
    acceptor_->close(ignored);
  }
  sample_timer_.cancel();
}

bool AdminServer::ready() const noexcept {
  // Generation 1 is only published once the first complete state is known.
  return !draining_ && workers_.published_generation() > 0 && workers_.installed_everywhere(1);
}

Awaitable<void> AdminServer::accept_loop() {
  while (acceptor_ && acceptor_->is_open()) {
    auto [ec, socket] = co_await acceptor_->async_accept(use_nothrow);
    if (ec) {
      if (!acceptor_->is_open()) {
        co_return;
      }
      continue;
    }
    net::co_spawn(io_, serve(std::move(socket)), log_unexpected("connection"));
  }
}

// The traffic history's samples: one collection of the workers' counters every interval, for as
// long as the listener is open.
Awaitable<void> AdminServer::sample_traffic() {
  while (acceptor_ && acceptor_->is_open()) {
    const WorkerStats totals = co_await workers_.collect_stats();
    traffic_.add_sample(std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count(),
                        totals);
    sample_timer_.expires_after(TrafficHistory::Interval);
    co_await sample_timer_.async_wait(use_nothrow);
  }
}

AdminServer::Reply AdminServer::explain(std::string_view target) const {
  const SnapshotPtr snapshot = workers_.latest();
  if (!snapshot) {
    return {400, "text/plain; charset=utf-8", "no routing snapshot yet\n"};
  }
  const auto arguments = query_arguments(target);
  if (!arguments) {
    return {400, "text/plain; charset=utf-8", "the query is not percent-encoded properly\n"};
  }
  ExplainInput input;
  for (const auto& [name, value] : *arguments) {
    if (name == "url") {
      input.url = value;
    } else if (name == "method" && !value.empty()) {
      input.method = value;
    } else if (name == "client") {
      input.client = value;
    } else if (name == "header" && !value.empty()) {
      const auto colon = value.find(':');
      const auto start = value.find_first_not_of(' ', colon == std::string::npos ? 0 : colon + 1);
      input.headers.emplace_back(value.substr(0, colon),
                                 colon == std::string::npos || start == std::string::npos
                                     ? std::string()
                                     : value.substr(start));
    }
  }
  if (input.url.empty()) {
    return {400, "text/plain; charset=utf-8",
            "usage: /debug/explain?url=http://host/path[&method=M][&header=Name:%20value]"
            "[&client=ADDRESS]\n"};
  }
  auto explained = explain_request(*snapshot, input, workers_.https_port());
  if (!explained) {
    return {400, "text/plain; charset=utf-8", explained.error() + "\n"};
  }
  return {200, "application/json", std::move(*explained)};
}

Awaitable<AdminServer::Reply> AdminServer::respond(std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  if (path == "/healthz") {
    co_return Reply{.body = "ok\n"};
  }
  if (path == "/readyz") {
    const bool is_ready = ready();
    co_return Reply{.status = is_ready ? 200u : 503u, .body = is_ready ? "ready\n" : "not ready\n"};
  }
  if (path == "/metrics") {
    const WorkerStats totals = co_await workers_.collect_stats();
    const SnapshotPtr snapshot = workers_.latest();
    std::string body =
        render_metrics(totals, {workers_.published_generation(), workers_.publish_count(), ready()},
                       snapshot ? snapshot->certs.get() : nullptr);
    if (extra_metrics_) {
      body += extra_metrics_();
    }
    co_return Reply{.content_type = "text/plain; version=0.0.4; charset=utf-8", .body = body};
  }
  if (path == "/debug/snapshot") {
    const WorkerStats totals = co_await workers_.collect_stats();  // for the ejected endpoints
    const SnapshotPtr snapshot = workers_.latest();
    co_return Reply{
        .content_type = "application/json",
        .body = snapshot ? describe_snapshot(*snapshot, totals.ejected_endpoints) : "null\n"};
  }
  if (path == "/debug/traffic") {
    co_return Reply{.content_type = "application/json", .body = traffic_.to_json()};
  }
  if (path == "/debug/explain") {
    co_return explain(target);
  }
  if (const auto page = pages_.find(path); page != pages_.end()) {
    co_return Reply{.content_type = "application/json", .body = page->second()};
  }
  if (dashboard_) {
    if (const DashboardAsset* asset =
            find_dashboard_asset(path == "/" ? "index.html" : path.substr(1))) {
      co_return Reply{.content_type = std::string(asset->content_type),
                      .body = std::string(asset->body)};
    }
  }
  co_return Reply{.status = 404, .body = "not found\n"};
}

Awaitable<void> AdminServer::serve(TcpSocket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    http::request<http::empty_body> request;
    stream.expires_after(std::chrono::seconds(30));
    auto [ec, n] = co_await http::async_read(stream, buffer, request, use_nothrow);
    if (ec) {
      break;
    }
    Reply reply{.status = 405, .body = "method not allowed\n"};
    if (request.method() == http::verb::get || request.method() == http::verb::head) {
      reply = co_await respond(request.target());  // not inside ?: (GCC 12 miscompiles that)
    }
    http::response<http::string_body> response{static_cast<http::status>(reply.status),
                                               request.version()};
    response.set(http::field::server, "portico");
    response.set(http::field::content_type, reply.content_type);
    // Everything here is live state: a cached copy would show the past as the present.
    response.set(http::field::cache_control, "no-store");
    response.body() = reply.body;
    response.keep_alive(request.keep_alive());
    response.prepare_payload();
    if (request.method() == http::verb::head) {
      response.body().clear();
    }
    auto [write_ec, written] = co_await http::async_write(stream, response, use_nothrow);
    if (write_ec || !request.keep_alive()) {
      break;
    }
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(TcpSocket::shutdown_send, ignored);
}

}  // namespace portico
