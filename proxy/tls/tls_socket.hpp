#pragma once
// TlsSocket: a TLS connection (a client's, or ours to an HTTPS or GRPCS backend), with OpenSSL
// reading and writing the socket's descriptor itself, as nginx and haproxy use it. Asio's
// ssl::stream puts a memory BIO between OpenSSL and the socket: each record is copied through
// it, each operation runs Asio's engine state machine, and each connection holds Asio's own
// record buffers (an idle client connection took 74 KB with it, 23 KB now: bench/RESULTS.md).
// Here an operation calls OpenSSL; when OpenSSL needs the socket readable or writable, the
// operation waits for that on the socket (so the deadline, which cancels the socket, ends the
// wait) and calls again. Owned by one session, on its worker's thread.
//
// An AsyncReadStream and AsyncWriteStream like the socket beneath it (next_layer()), plus the
// handshake and close_notify of Asio's ssl::stream. A read or write completes with `eof` when
// the peer sent close_notify and with `ssl::error::stream_truncated` when it closed without.
#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <cstddef>
#include <iterator>
#include <string>
#include <type_traits>

#include "proxy/net.hpp"

namespace portico {

class TlsSocket {
 public:
  using executor_type = Executor;
  using next_layer_type = TcpSocket;

  TlsSocket(TcpSocket socket, net::ssl::context& context);
  TlsSocket(TlsSocket&& other) noexcept;
  TlsSocket& operator=(TlsSocket&&) = delete;
  ~TlsSocket();

  SSL* native_handle() const noexcept { return ssl_; }
  TcpSocket& next_layer() noexcept { return socket_; }
  const TcpSocket& next_layer() const noexcept { return socket_; }
  executor_type get_executor() noexcept { return socket_.get_executor(); }

  template <class Token>
  auto async_handshake(net::ssl::stream_base::handshake_type side, Token&& token) {
    const Call call{side == net::ssl::stream_base::server ? Call::Accept : Call::Connect};
    return async_call<void(boost::system::error_code)>(call, std::forward<Token>(token));
  }
  // Sends close_notify and waits for the peer's (or its close).
  template <class Token>
  auto async_shutdown(Token&& token) {
    return async_call<void(boost::system::error_code)>({Call::Shutdown},
                                                       std::forward<Token>(token));
  }
  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    Call call{Call::Read};
    call.into = *net::buffer_sequence_begin(buffers);
    return async_call<void(boost::system::error_code, std::size_t)>(call,
                                                                    std::forward<Token>(token));
  }
  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return async_call<void(boost::system::error_code, std::size_t)>(gather(buffers),
                                                                    std::forward<Token>(token));
  }

 private:
  // One OpenSSL call, made again after each wait it asks for.
  struct Call {
    enum Kind { Accept, Connect, Read, Write, Shutdown } kind;
    net::mutable_buffer into{};
    net::const_buffer from{};
  };
  enum class Need { Nothing, Readable, Writable };
  struct Outcome {
    Need need = Need::Nothing;
    boost::system::error_code ec;
    std::size_t bytes = 0;
  };
  enum class State { Calling, Waited, Posted };

  Outcome attempt(const Call& call);

  // A write of several buffers becomes one TLS record where they fit in one (a response's head
  // and its body): OpenSSL writes each SSL_write's records to the socket at once.
  template <class ConstBuffers>
  Call gather(const ConstBuffers& buffers) {
    Call call{Call::Write};
    auto first = net::buffer_sequence_begin(buffers);
    const auto end = net::buffer_sequence_end(buffers);
    if (first == end) {
      return call;
    }
    call.from = *first;
    if (std::next(first) == end || call.from.size() >= RecordSize) {
      return call;
    }
    gathered_.clear();
    for (auto it = first; it != end && gathered_.size() < RecordSize; ++it) {
      const net::const_buffer piece = *it;
      const std::size_t take = std::min(piece.size(), RecordSize - gathered_.size());
      gathered_.append(static_cast<const char*>(piece.data()), take);
    }
    call.from = net::buffer(gathered_);
    return call;
  }

  // An outcome known before any wait is posted first: a handler must not run inside the
  // function that started it.
  template <class Signature, class Token>
  auto async_call(Call call, Token&& token) {
    return net::async_compose<Token, Signature>(
        [this, call, state = State::Calling, outcome = Outcome{}](
            auto& self, boost::system::error_code ec = {}) mutable {
          if (state != State::Posted) {
            if (ec) {  // the wait ended: the deadline cancelled it, or the socket is closed
              outcome = {Need::Nothing, ec, 0};
            } else {
              outcome = attempt(call);
              if (outcome.need != Need::Nothing) {
                state = State::Waited;
                socket_.async_wait(
                    outcome.need == Need::Readable ? TcpSocket::wait_read : TcpSocket::wait_write,
                    std::move(self));
                return;
              }
            }
            if (state == State::Calling) {
              state = State::Posted;
              net::post(std::move(self));
              return;
            }
          }
          if constexpr (std::is_same_v<Signature, void(boost::system::error_code)>) {
            self.complete(outcome.ec);
          } else {
            self.complete(outcome.ec, outcome.bytes);
          }
        },
        token, socket_);
  }
  static constexpr std::size_t RecordSize = 16 * 1024;  // TLS's largest record payload

  TcpSocket socket_;
  SSL* ssl_;
  std::string gathered_;  // a write's buffers, when gathered into one record
};

}  // namespace portico
