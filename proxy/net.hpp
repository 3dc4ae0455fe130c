#pragma once
// Namespace aliases, the I/O types of the data plane and its completion token: `use_nothrow`
// turns every asynchronous result into a tuple whose first element is the error code, because
// on the data plane an I/O failure is an expected value, never an exception.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <string_view>

namespace boost::beast {}
namespace boost::beast::http {}

namespace portico {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

// Every coroutine, socket and timer runs on one io_context (its worker's, or the control
// thread's), so they name its executor type rather than Asio's default any_io_executor: a
// coroutine's resumption and an operation's completion then dispatch through a direct call
// instead of a type-erased one (bench/RESULTS.md has the A/B).
using Executor = net::io_context::executor_type;
template <class T = void>
using Awaitable = net::awaitable<T, Executor>;
using TcpSocket = net::ip::tcp::socket::rebind_executor<Executor>::other;
using TcpAcceptor = net::ip::tcp::acceptor::rebind_executor<Executor>::other;
using SteadyTimer = net::steady_timer::rebind_executor<Executor>::other;

inline constexpr auto use_nothrow = net::as_tuple(net::use_awaitable_t<Executor>{});

// A socket's cancel() and close() without the throwing overloads: a drain, a deadline or the
// other half of a tunnel may reach a socket its owner has already closed.
template <class Socket>
void cancel_quietly(Socket& socket) {
  boost::system::error_code ignored;
  socket.cancel(ignored);
}
template <class Socket>
void close_quietly(Socket& socket) {
  boost::system::error_code ignored;
  socket.close(ignored);
}

// A flat buffer's readable bytes, which lie in one run, as text.
template <class FlatBuffer>
std::string_view readable_text(const FlatBuffer& buffer) {
  return {static_cast<const char*>(buffer.data().data()), buffer.size()};
}

}  // namespace portico
