#pragma once
// limit-rate and limit-rate-after (nginx's limit_rate): a response body is written to the
// client at most at a rate, after a first part that goes at full speed. PacedStream wraps the
// client side of a body relay (an Asio write stream: a socket, a TLS stream, an HTTP/2
// stream's body) and, as nginx's write filter does, lets through at any moment what the rate
// allows since the body began, plus a second's worth, and waits on a timer for the rest.
#include <algorithm>
#include <array>
#include <boost/asio/compose.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <limits>

#include "proxy/exchange/body_relay.hpp"
#include "proxy/exchange/exchange.hpp"
#include "proxy/policy/route_policy.hpp"

namespace portico {

template <class Next>
class PacedStream {
 public:
  using executor_type = decltype(std::declval<Next&>().get_executor());

  // `already_sent`: body bytes that went out with the head. `deadline`, `timeout`: the
  // relay's send timeout, which a wait here restarts (the client did not stall).
  PacedStream(Next& next, const BandwidthLimit& limit, std::uint64_t already_sent,
              Deadline& deadline, std::chrono::milliseconds timeout)
      : next_(next),
        limit_(limit),
        deadline_(deadline),
        timeout_(timeout),
        timer_(next.get_executor()),
        sent_(already_sent) {}
  executor_type get_executor() { return next_.get_executor(); }

  template <class Buffers, class Token>
  auto async_write_some(const Buffers& buffers, Token&& token) {
    return net::async_compose<Token, void(boost::system::error_code, std::size_t)>(
        [this, buffers, writing = false](auto& self, boost::system::error_code ec = {},
                                         std::size_t written = 0) mutable {
          if (writing) {  // the write is done
            sent_ += written;
            self.complete(ec, written);
            return;
          }
          const std::int64_t allowed = allowance();
          if (allowed <= 0) {
            // Until the rate has made room for a byte; then this runs again.
            timer_.expires_after(std::chrono::microseconds(
                -allowed * 1'000'000 / static_cast<std::int64_t>(limit_.bytes_per_second) + 1000));
            timer_.async_wait(std::move(self));  // comes back here, not writing yet
            return;
          }
          deadline_.expires_after(timeout_);
          writing = true;
          next_.async_write_some(prefix(buffers, static_cast<std::size_t>(allowed)),
                                 std::move(self));
        },
        token, next_.get_executor());
  }

 private:
  // Bytes that may go now: the rate times the time since the body began, plus one second's
  // worth (nginx's "+ 1"), plus limit-rate-after, minus what went.
  std::int64_t allowance() const {
    const auto elapsed = std::chrono::duration<double>(Clock::now() - started_).count();
    const auto rate = static_cast<double>(limit_.bytes_per_second);
    return static_cast<std::int64_t>(rate * (elapsed + 1) + static_cast<double>(limit_.after)) -
           static_cast<std::int64_t>(sent_);
  }

  // The first `size` bytes of `buffers` (of their first MaxPieces pieces: a write may always
  // take less), without allocating.
  static constexpr std::size_t MaxPieces = 8;
  template <class Buffers>
  static std::array<net::const_buffer, MaxPieces> prefix(const Buffers& buffers, std::size_t size) {
    std::array<net::const_buffer, MaxPieces> out{};
    std::size_t used = 0;
    for (auto it = net::buffer_sequence_begin(buffers);
         it != net::buffer_sequence_end(buffers) && used < MaxPieces && size > 0; ++it) {
      const net::const_buffer piece(*it);
      out[used++] = net::const_buffer(piece.data(), std::min(piece.size(), size));
      size -= out[used - 1].size();
    }
    return out;
  }

  using Clock = std::chrono::steady_clock;
  Next& next_;
  const BandwidthLimit& limit_;
  Deadline& deadline_;
  std::chrono::milliseconds timeout_;
  SteadyTimer timer_;
  Clock::time_point started_ = Clock::now();
  std::uint64_t sent_;
};

// The route's limit-rate, or null.
inline const BandwidthLimit* bandwidth_of(const Exchange& ex) {
  return ex.policy != nullptr && ex.policy->bandwidth ? &*ex.policy->bandwidth : nullptr;
}

// relay_body towards the client: paced when the route sets limit-rate (`limit` not null).
template <class From, class To>
Awaitable<RelayEnd> relay_response_body(From& from, beast::flat_buffer& from_buffer,
                                        const BodyFraming& framing, To& to, bool chunked_out,
                                        std::uint64_t sent_with_head, RelayBuffer& chunk,
                                        Deadline& deadline, std::chrono::milliseconds timeout,
                                        std::uint64_t& moved, const BandwidthLimit* limit) {
  constexpr auto NoLimit = std::numeric_limits<std::uint64_t>::max();
  if (limit == nullptr) {
    co_return co_await relay_body(from, from_buffer, framing, to, chunked_out, NoLimit,
                                  sent_with_head, chunk, deadline, timeout, moved);
  }
  PacedStream<To> paced(to, *limit, sent_with_head, deadline, timeout);
  co_return co_await relay_body(from, from_buffer, framing, paced, chunked_out, NoLimit,
                                sent_with_head, chunk, deadline, timeout, moved);
}

}  // namespace portico
