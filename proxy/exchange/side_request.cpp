#include "proxy/exchange/side_request.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <unordered_map>

#include "proxy/common/log.hpp"
#include "proxy/exchange/upstream_connect.hpp"
#include "proxy/worker/worker.hpp"

namespace portico {
namespace {

// A name's addresses are looked up again after this long.
constexpr std::chrono::seconds ResolvedFor{30};

}  // namespace

Awaitable<std::optional<http::response<http::string_body>>> send_side_request(
    Worker& worker, const Endpoint& endpoint, bool tls, std::string_view server_name,
    SideRequest& request, const SideRequestLimits& limits, Deadline& deadline) {
  std::optional<http::response<http::string_body>> answer;
  UpstreamConnectionPtr upstream = worker.pool().take(endpoint, tls);
  if (!upstream) {
    // Not inside the condition: GCC 12 miscompiles a co_await in && or ?:.
    const Fault fault = co_await open_upstream_connection(worker, endpoint, limits.connect_timeout,
                                                          tls, server_name, deadline, upstream);
    if (fault != Fault::None) {
      co_return answer;
    }
  }
  deadline.watch_upstream(&upstream->transport());
  const auto ask = [&](auto& stream) -> Awaitable<bool> {
    deadline.expires_after(limits.send_timeout);
    auto [write_ec, written] = co_await http::async_write(stream, request, use_nothrow);
    if (write_ec) {
      co_return false;
    }
    http::response_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(worker.settings().max_header_bytes));
    parser.body_limit(limits.max_answer_body);
    parser.skip(request.method() == http::verb::head);
    deadline.expires_after(limits.read_timeout);
    auto [read_ec, read] = co_await http::async_read(stream, upstream->buffer, parser, use_nothrow);
    if (read_ec) {
      co_return false;
    }
    answer = parser.release();
    co_return true;
  };
  const bool answered = co_await std::visit(ask, upstream->stream);
  deadline.watch_upstream(nullptr);
  // A connection that switched protocols (101) speaks HTTP no more: never pooled.
  if (answered && answer->keep_alive() && answer->result() != http::status::switching_protocols) {
    worker.pool().put(std::move(upstream));
  }
  co_return answer;
}

Awaitable<std::optional<Endpoint>> resolve_host(Worker& worker, const std::string& host,
                                                std::uint16_t port) {
  boost::system::error_code ec;
  const auto address = net::ip::make_address(host, ec);
  if (!ec) {
    co_return Endpoint{address, port};
  }
  struct Resolved {
    net::ip::address address;
    std::chrono::steady_clock::time_point until;
  };
  thread_local std::unordered_map<std::string, Resolved> cache;
  const auto now = std::chrono::steady_clock::now();
  if (const auto it = cache.find(host); it != cache.end() && it->second.until > now) {
    co_return Endpoint{it->second.address, port};
  }
  net::ip::tcp::resolver resolver(worker.executor());
  auto [resolve_ec, results] = co_await resolver.async_resolve(host, "", use_nothrow);
  if (resolve_ec || results.empty()) {
    log::warn("proxy", "side request: cannot resolve its host",
              {{"host", host}, {"error", resolve_ec.message()}});
    co_return std::nullopt;
  }
  // An IPv4 address when there is one: "localhost" and dual-stack names often list ::1
  // first, where a service bound to 0.0.0.0 is not listening.
  auto found = results.begin()->endpoint().address();
  for (const auto& result : results) {
    if (result.endpoint().address().is_v4()) {
      found = result.endpoint().address();
      break;
    }
  }
  if (cache.size() > 1024) {
    cache.clear();  // hosts from variables could grow it without bound
  }
  cache.insert_or_assign(host, Resolved{found, now + ResolvedFor});
  co_return Endpoint{found, port};
}

}  // namespace portico
