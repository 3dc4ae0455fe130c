#include "proxy/tls/tls_socket.hpp"

#include <openssl/err.h>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <cerrno>
#include <utility>

namespace portico {

TlsSocket::TlsSocket(TcpSocket socket, net::ssl::context& context)
    : socket_(std::move(socket)), ssl_(SSL_new(context.native_handle())) {
  // OpenSSL reads and writes the descriptor itself, which must therefore never block. (Asio
  // sets this only when an operation of its own first runs on the socket.)
  boost::system::error_code ignored;
  socket_.non_blocking(true, ignored);
  SSL_set_fd(ssl_, static_cast<int>(socket_.native_handle()));
  // Partial writes and a moving buffer: async_write_some's contract. Released buffers: an idle
  // connection holds no record buffers (nginx does the same). Read-ahead: a record's header
  // and body, and what follows, in one read() rather than two.
  SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                         SSL_MODE_RELEASE_BUFFERS);
  SSL_set_read_ahead(ssl_, 1);
}

TlsSocket::TlsSocket(TlsSocket&& other) noexcept
    : socket_(std::move(other.socket_)),
      ssl_(std::exchange(other.ssl_, nullptr)),
      gathered_(std::move(other.gathered_)) {}

TlsSocket::~TlsSocket() {
  SSL_free(ssl_);  // null once moved from; the descriptor is the socket's to close
}

TlsSocket::Outcome TlsSocket::attempt(const Call& call) {
  ERR_clear_error();
  errno = 0;
  std::size_t bytes = 0;
  int result = 1;
  switch (call.kind) {
    case Call::Accept:
      result = SSL_accept(ssl_);
      break;
    case Call::Connect:
      result = SSL_connect(ssl_);
      break;
    case Call::Read:
      if (call.into.size() == 0) {
        return {};
      }
      result = SSL_read_ex(ssl_, call.into.data(), call.into.size(), &bytes);
      break;
    case Call::Write:
      if (call.from.size() == 0) {
        return {};
      }
      result = SSL_write_ex(ssl_, call.from.data(), call.from.size(), &bytes);
      break;
    case Call::Shutdown:
      // 0: our close_notify is sent, the peer's not yet read; the second call reads it.
      result = SSL_shutdown(ssl_);
      if (result == 0) {
        result = SSL_shutdown(ssl_);
      }
      break;
  }
  if (result > 0) {
    return {Need::Nothing, {}, bytes};
  }
  switch (SSL_get_error(ssl_, result)) {
    case SSL_ERROR_WANT_READ:
      return {Need::Readable, {}, 0};
    case SSL_ERROR_WANT_WRITE:
      return {Need::Writable, {}, 0};
    case SSL_ERROR_ZERO_RETURN:  // the peer's close_notify
      return {Need::Nothing, net::error::eof, 0};
    case SSL_ERROR_SYSCALL:
      if (errno != 0 && ERR_peek_error() == 0) {
        return {Need::Nothing, {errno, boost::system::system_category()}, 0};
      }
      return {Need::Nothing, net::ssl::error::stream_truncated, 0};
    default: {
      const unsigned long error = ERR_get_error();
      if (ERR_GET_REASON(error) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        return {Need::Nothing, net::ssl::error::stream_truncated,
                0};  // closed without close_notify
      }
      return {Need::Nothing, {static_cast<int>(error), net::error::get_ssl_category()}, 0};
    }
  }
}

}  // namespace portico
