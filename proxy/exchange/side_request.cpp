#include "proxy/exchange/side_request.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "proxy/exchange/upstream_connect.hpp"
#include "proxy/worker/worker.hpp"

namespace portico {

net::awaitable<std::optional<http::response<http::string_body>>> send_side_request(
    Worker& worker, const Endpoint& endpoint, bool tls, std::string_view server_name,
    http::request<http::empty_body>& request, const SideRequestLimits& limits, Deadline& deadline) {
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
  const auto ask = [&](auto& stream) -> net::awaitable<bool> {
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

}  // namespace portico
