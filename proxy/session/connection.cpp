#include "proxy/session/connection.hpp"

#include <boost/beast/core/flat_buffer.hpp>

#include "proxy/http1/http1_session.hpp"
#include "proxy/http2/http2_session.hpp"
#include "proxy/session/deadline.hpp"
#include "proxy/session/ssl_passthrough.hpp"
#include "proxy/tls/client_auth.hpp"
#include "proxy/worker/worker.hpp"

namespace portico {
namespace {

// Reads until the bytes either are the HTTP/2 preface or cannot be. False when the client
// sent nothing (closed, or silent until the header timeout).
Awaitable<bool> read_first_bytes(TcpSocket& stream, beast::flat_buffer& buffer, bool& http2) {
  for (;;) {
    auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), use_nothrow);
    if (ec) {
      co_return false;
    }
    buffer.commit(n);
    const std::string_view seen = readable_text(buffer);
    if (seen.size() >= Http2Preface.size() || !Http2Preface.starts_with(seen)) {
      http2 = seen.starts_with(Http2Preface);
      co_return true;
    }
  }
}

}  // namespace

Awaitable<void> serve_connection(ClientConnection client, TcpSocket socket,
                                 net::ssl::context* tls) {
  Worker& worker = client.worker;
  const auto header_timeout = worker.settings().client_header_timeout;
  TcpSocket transport(std::move(socket));
  Deadline deadline(worker.executor());
  deadline.watch(&transport);
  deadline.expires_after(header_timeout);
  if (tls != nullptr) {
    if (worker.settings().ssl_passthrough) {
      const bool passed = co_await pass_through(client, transport, deadline);
      if (passed) {
        co_return;
      }
    }
    TlsSocket stream(std::move(transport), *tls);
    deadline.watch(&beast::get_lowest_layer(stream));
    ClientAuthPtr client_auth;  // set by the handshake when the SNI's host asks for certificates
    ClientAuth::lend_slot(stream.native_handle(), &client_auth);
    auto [ec] = co_await stream.async_handshake(net::ssl::stream_base::server, use_nothrow);
    ClientAuth::lend_slot(stream.native_handle(), nullptr);
    deadline.watch(nullptr);
    if (ec) {
      ++worker.stats().tls_handshake_failures;
      close_quietly(beast::get_lowest_layer(stream));
      co_return;
    }
    ++worker.stats().tls_handshakes;
    if (client_auth) {
      client.certificate = std::make_shared<const ClientCertificate>(
          ClientAuth::inspect(stream.native_handle(), *client_auth));
    }
    const unsigned char* protocol = nullptr;
    unsigned length = 0;
    SSL_get0_alpn_selected(stream.native_handle(), &protocol, &length);
    if (std::string_view(reinterpret_cast<const char*>(protocol), length) == "h2") {
      Http2Session<TlsSocket> session(std::move(client), std::move(stream), {},
                                      std::move(deadline));
      co_await session.run();
    } else {
      HttpSession<TlsSocket> session(std::move(client), std::move(stream), {}, std::move(deadline));
      co_await session.run();
    }
    co_return;
  }
  beast::flat_buffer first_bytes;
  bool http2 = false;
  const bool spoke = co_await read_first_bytes(transport, first_bytes, http2);
  deadline.watch(nullptr);
  if (!spoke) {
    close_quietly(transport);
  } else if (http2) {
    Http2Session<TcpSocket> session(std::move(client), std::move(transport), std::move(first_bytes),
                                    std::move(deadline));
    co_await session.run();
  } else {
    HttpSession<TcpSocket> session(std::move(client), std::move(transport), std::move(first_bytes),
                                   std::move(deadline));
    co_await session.run();
  }
}

}  // namespace portico
