#pragma once
// relay_bytes: a byte pipe between two connected streams, both ways, until either side
// closes or fails, or no byte moved either way for `idle`. The WebSocket tunnel after a 101
// and an ssl-passthrough connection are each one of these.
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <chrono>
#include <memory>

#include "proxy/net.hpp"

namespace portico {
namespace tunnel_detail {

using Clock = std::chrono::steady_clock;

// One direction: what was read ahead first, then bytes as they come, until either side fails
// or closes. Ending stops the whole pipe (`stop`): a tunnel is over once either side closed.
template <class From, class To, class Stop>
Awaitable<void> pump(From& from, beast::flat_buffer& read_ahead, To& to,
                     Clock::time_point& last_activity, Stop& stop) {
  if (read_ahead.size() > 0) {
    auto [ec, n] = co_await net::async_write(to, read_ahead.data(), use_nothrow);
    read_ahead.consume(read_ahead.size());
    if (ec) {
      stop();
      co_return;
    }
  }
  // Small: a tunnel lives long and mostly idles, and 10,000 of them must fit in memory.
  constexpr std::size_t TunnelBufferSize = 16 * 1024;
  const auto chunk = std::make_unique_for_overwrite<char[]>(TunnelBufferSize);
  for (;;) {
    auto [ec, n] =
        co_await from.async_read_some(net::buffer(chunk.get(), TunnelBufferSize), use_nothrow);
    if (ec) {
      break;
    }
    last_activity = Clock::now();
    auto [write_ec, written] =
        co_await net::async_write(to, net::buffer(chunk.get(), n), use_nothrow);
    if (write_ec) {
      break;
    }
  }
  stop();
}

// Ends a pipe that saw no byte in either direction for `idle`.
template <class Stop>
Awaitable<void> watch_idle(SteadyTimer& timer, const Clock::time_point& last_activity,
                           std::chrono::milliseconds idle, Stop& stop) {
  for (;;) {
    timer.expires_at(last_activity + idle);
    auto [ec] = co_await timer.async_wait(use_nothrow);
    if (ec) {
      co_return;  // the pipe ended first
    }
    if (Clock::now() >= last_activity + idle) {
      stop();
      co_return;
    }
  }
}

}  // namespace tunnel_detail

// `a_ahead`: bytes already read from `a`, to be written to `b` first; `b_ahead` likewise.
template <class A, class B>
Awaitable<void> relay_bytes(A& a, beast::flat_buffer& a_ahead, B& b, beast::flat_buffer& b_ahead,
                            std::chrono::milliseconds idle) {
  using namespace boost::asio::experimental::awaitable_operators;
  SteadyTimer watchdog(beast::get_lowest_layer(a).get_executor());
  auto last_activity = tunnel_detail::Clock::now();
  auto stop = [&] {
    cancel_quietly(beast::get_lowest_layer(a));
    cancel_quietly(beast::get_lowest_layer(b));
    watchdog.cancel();
  };
  co_await (tunnel_detail::pump(a, a_ahead, b, last_activity, stop) &&
            tunnel_detail::pump(b, b_ahead, a, last_activity, stop) &&
            tunnel_detail::watch_idle(watchdog, last_activity, idle, stop));
}

}  // namespace portico
