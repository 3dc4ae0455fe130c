#pragma once
// Http2Wire: the byte side of an HTTP/2 connection, the same at both ends of the proxy.
// read_loop feeds nghttp2 what the peer sends; write_loop sends what nghttp2 has queued
// whenever something woke it (wake_writer), in batches. The owner (Http2Session for clients,
// Http2Upstream for backends) makes the nghttp2 session with its own callbacks and decides
// what an idle connection and a fatal error mean. Header-only: each owner instantiates it.
#include <nghttp2/nghttp2.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "proxy/net.hpp"
#include "proxy/session/deadline.hpp"

namespace portico {

template <class Stream>
class Http2Wire {
 public:
  Http2Wire(Stream stream, Deadline read_deadline, std::chrono::milliseconds send_timeout)
      : stream_(std::move(stream)),
        read_deadline_(std::move(read_deadline)),
        write_deadline_(beast::get_lowest_layer(stream_).get_executor()),
        wake_(beast::get_lowest_layer(stream_).get_executor()),
        send_timeout_(send_timeout) {
    auto& transport = beast::get_lowest_layer(stream_);
    read_deadline_.watch(&transport);
    write_deadline_.watch(&transport);
    boost::system::error_code ec;
    transport.set_option(net::ip::tcp::no_delay(true), ec);
  }
  virtual ~Http2Wire() { nghttp2_session_del(session_); }
  Http2Wire(const Http2Wire&) = delete;
  Http2Wire& operator=(const Http2Wire&) = delete;

 protected:
  // How long the connection may now wait for the peer (max(): no limit).
  virtual std::chrono::steady_clock::duration read_timeout() const = 0;
  // nghttp2 found what the peer sent fatal (`error`, an nghttp2_error).
  virtual void on_fatal(int error) = 0;

  // Both loops, until the peer left or nghttp2 has nothing left to read or write (after a
  // GOAWAY and the end of its streams); `read_ahead`: bytes read before the wire existed.
  Awaitable<void> run_wire(beast::flat_buffer& read_ahead) {
    using namespace boost::asio::experimental::awaitable_operators;
    co_await (read_loop(read_ahead) && write_loop());
  }

  void wake_writer() {
    wake_pending_ = true;
    wake_.cancel();
  }
  // Waits until wake_writer() (for an owner waiting on something the loops do not see).
  Awaitable<void> wait_for_wake() {
    wake_.expires_at(SteadyTimer::time_point::max());
    co_await wake_.async_wait(use_nothrow);
  }

  Stream stream_;
  nghttp2_session* session_ = nullptr;
  bool closing_ = false;  // no more is fed to nghttp2; the connection ends once flushed

 private:
  Awaitable<void> read_loop(beast::flat_buffer& read_ahead) {
    if (read_ahead.size() > 0) {
      const auto data = read_ahead.data();
      feed(static_cast<const std::uint8_t*>(data.data()), data.size());
      read_ahead.consume(read_ahead.size());
    }
    constexpr std::size_t ReadChunk = 16 * 1024;
    const auto chunk = std::make_unique_for_overwrite<std::uint8_t[]>(ReadChunk);
    for (;;) {
      // Once closing, what the peer still sends is read and dropped for a moment (the
      // deadline write_loop set), so that the close does not reset the connection before
      // the GOAWAY has reached the peer.
      if (!closing_) {
        const auto timeout = read_timeout();
        if (timeout == std::chrono::steady_clock::duration::max()) {
          read_deadline_.expires_never();
        } else {
          read_deadline_.expires_after(timeout);
        }
      }
      auto [ec, n] =
          co_await stream_.async_read_some(net::buffer(chunk.get(), ReadChunk), use_nothrow);
      if (ec) {
        break;
      }
      if (!closing_) {
        feed(chunk.get(), n);
      }
    }
    reading_done_ = true;
    closing_ = true;
    wake_writer();
  }

  void feed(const std::uint8_t* data, std::size_t size) {
    const auto used = nghttp2_session_mem_recv(session_, data, size);
    if (used < 0) {
      on_fatal(static_cast<int>(used));
    }
    wake_writer();
  }

  Awaitable<void> write_loop() {
    constexpr std::size_t WriteBatch = 64 * 1024;
    for (;;) {
      // Lets what is already queued on the worker run first (an exchange about to add its
      // body, or the end of its stream): one write then carries a whole response, not its
      // head alone.
      co_await net::post(stream_.get_executor(), use_nothrow);
      wake_pending_ = false;
      out_.clear();
      bool broken = false;
      while (out_.size() < WriteBatch) {
        const std::uint8_t* data = nullptr;
        const auto n = nghttp2_session_mem_send(session_, &data);
        broken = n < 0;
        if (n <= 0) {
          break;
        }
        out_.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
      }
      if (broken) {
        break;  // nghttp2 cannot go on: the connection ends
      }
      if (!out_.empty()) {
        write_deadline_.expires_after(send_timeout_);
        auto [ec, written] = co_await net::async_write(stream_, net::buffer(out_), use_nothrow);
        if (ec) {
          break;
        }
        continue;
      }
      if (reading_done_ ||
          (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_))) {
        break;  // the peer left, or GOAWAY was sent and its streams are done
      }
      if (wake_pending_) {
        continue;
      }
      co_await wait_for_wake();
    }
    // Ends the read loop too: at once when the peer left, else after a short linger.
    closing_ = true;
    boost::system::error_code ignored;
    beast::get_lowest_layer(stream_).shutdown(TcpSocket::shutdown_send, ignored);
    read_deadline_.expires_after(std::chrono::seconds(1));
  }

  Deadline read_deadline_;   // idle connections; and the lingering read after the end
  Deadline write_deadline_;  // a peer that stops reading
  SteadyTimer wake_;
  std::chrono::milliseconds send_timeout_;
  std::string out_;
  bool wake_pending_ = false;
  bool reading_done_ = false;
};

}  // namespace portico
