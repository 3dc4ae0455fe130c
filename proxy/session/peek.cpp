#include "proxy/session/peek.hpp"

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <tuple>

namespace portico {

Awaitable<std::size_t> peek_until(TcpSocket& socket, std::span<char> into,
                                  const std::function<bool(std::string_view)>& decided) {
  std::size_t seen = 0;
  boost::system::error_code ec;
  socket.non_blocking(true, ec);
  while (!ec) {
    std::tie(ec) = co_await socket.async_wait(TcpSocket::wait_read, use_nothrow);
    const std::size_t n =
        ec ? 0 : socket.receive(net::buffer(into.data(), into.size()), MSG_PEEK, ec);
    if (ec || n == 0) {
      break;
    }
    if (n == into.size() || decided(std::string_view(into.data(), n))) {
      co_return n;
    }
    if (n == seen) {  // nothing new since the last look: the rest is still on its way
      SteadyTimer later(socket.get_executor(), std::chrono::milliseconds(10));
      std::tie(ec) = co_await later.async_wait(use_nothrow);
    }
    seen = n;
  }
  co_return 0;
}

}  // namespace portico
