#include "proxy/http1/http1_session.hpp"

#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <tuple>
#include <type_traits>

#include "proxy/exchange/error_page.hpp"
#include "proxy/exchange/request_head.hpp"
#include "proxy/exchange/request_pipeline.hpp"
#include "proxy/exchange/upstream_exchange.hpp"
#include "proxy/http1/head_parser.hpp"
#include "proxy/http1/read_head.hpp"
#include "proxy/session/byte_tunnel.hpp"
#include "proxy/worker/worker.hpp"

namespace portico {
namespace {

template <class Stream>
constexpr bool IsTls = !std::is_same_v<Stream, TcpSocket>;

}  // namespace

template <class Stream>
HttpSession<Stream>::HttpSession(ClientConnection client, Stream stream,
                                 beast::flat_buffer read_ahead, Deadline deadline)
    : client_info_(std::move(client)),
      client_(std::move(stream)),
      deadline_(std::move(deadline)),
      buffer_(std::move(read_ahead)) {
  deadline_.watch(&transport());
  boost::system::error_code ec;
  transport().set_option(net::ip::tcp::no_delay(true), ec);
  client_info_.worker.add_session(this);
  ++client_info_.worker.stats().client_connections;
}

template <class Stream>
HttpSession<Stream>::~HttpSession() {
  --client_info_.worker.stats().client_connections;
  client_info_.worker.remove_session(this);
}

template <class Stream>
void HttpSession<Stream>::drain() {
  if (idle_) {
    cancel_quietly(transport());
  }
}

template <class Stream>
Awaitable<void> HttpSession<Stream>::run() {
  // Two statements, not `a && b`: GCC 12 mishandles a co_await that && may skip.
  for (;;) {
    if (!co_await serve_one()) {
      break;
    }
    if (!co_await wait_for_next_request()) {
      break;
    }
  }
  if constexpr (IsTls<Stream>) {
    // close_notify says the end is deliberate: without it OpenSSL-based clients report a
    // truncated stream and drop the session. The client's reply, or its close, ends the wait.
    deadline_.expires_after(std::chrono::seconds(1));
    co_await client_.async_shutdown(use_nothrow);
  }
  // A plain close() sends the FIN; shutdown() first is needed only to linger.
  if (linger_) {
    boost::system::error_code ignored;
    transport().shutdown(TcpSocket::shutdown_send, ignored);
    co_await discard_unread_input();
  }
  close_quietly(transport());
}

// Closing with unread input makes the kernel send a reset, which can destroy the reply still
// in flight. Reads what the client is still sending, for a moment, first. Its own coroutine
// (and the session's buffer, not an array on the frame), so that run()'s frame, which every
// connection holds for its whole life, stays small.
template <class Stream>
Awaitable<void> HttpSession<Stream>::discard_unread_input() {
  deadline_.expires_after(std::chrono::seconds(1));
  for (std::size_t total = 0; total < 256 * 1024;) {
    auto [ec, n] = co_await transport().async_read_some(buffer_.prepare(4096), use_nothrow);
    if (ec) {
      break;
    }
    total += n;
  }
}

// Between requests on a plain connection with nothing of the next request read yet: waits
// here, in run()'s small frame, so an idle keep-alive connection holds no parser and no
// coroutine frame of serve_one() (10,000 idle connections must fit in 64 MB). A small read
// buffer (at most SmallBuffer: the usual one, 512 bytes) is read into directly: a
// read queued on the socket costs no system call, where waiting for readability re-arms the
// descriptor with epoll_ctl on every request. A larger one is freed first, and the wait is
// for readability. TLS connections skip this: bytes OpenSSL has already taken from the socket
// would not wake a wait.
template <class Stream>
Awaitable<bool> HttpSession<Stream>::wait_for_next_request() {
  if constexpr (!IsTls<Stream>) {
    if (buffer_.size() == 0) {
      constexpr std::size_t SmallBuffer = 1024;
      const bool read_into_buffer = buffer_.capacity() > 0 && buffer_.capacity() <= SmallBuffer;
      if (!read_into_buffer) {
        buffer_.shrink_to_fit();
      }
      idle_ = true;
      deadline_.expires_after(client_info_.worker.settings().client_idle_timeout);
      boost::system::error_code ec;
      if (read_into_buffer) {
        std::size_t n = 0;
        std::tie(ec, n) = co_await transport().async_read_some(
            buffer_.prepare(buffer_.capacity()), use_nothrow);
        buffer_.commit(n);
      } else {
        std::tie(ec) = co_await transport().async_wait(net::socket_base::wait_read, use_nothrow);
      }
      idle_ = false;
      co_return !ec && !client_info_.worker.draining();
    }
  }
  co_return true;
}

// serve_one: read the head -> proxy (plan_exchange, 100 Continue, exchange_upstream) -> a local
// reply on a fault -> finish_exchange.
template <class Stream>
Awaitable<bool> HttpSession<Stream>::serve_one() {
  Worker& worker = client_info_.worker;
  const auto& settings = worker.settings();
  RequestHeader request;
  RequestHeadParser parser(request, settings.max_header_bytes);
  // Idle: between requests, with nothing of the next one read. A new connection is not idle:
  // its client is about to send (closing it in a drain would lose that request). A plain
  // connection did its idle wait in wait_for_next_request(): its next request is here.
  idle_ = IsTls<Stream> && had_request_ && buffer_.size() == 0;
  deadline_.expires_after(idle_ ? settings.client_idle_timeout : settings.client_header_timeout);
  const auto [parsed, ec] = co_await read_head(client_, buffer_, parser);
  idle_ = false;
  had_request_ = true;
  client_version_ = request.version();
  Exchange ex(request, client_version_ == 10 ? Protocol::Http10 : Protocol::Http11, client_info_);
  if (parsed != RequestHeadParser::Result::Done) {
    if (ec && (buffer_.size() == 0 || is_disconnect(ec) || deadline_.expired())) {
      co_return false;  // closed or silent between requests: nothing to answer
    }
    ex.keep_alive = false;
    linger_ = true;
    // An oversized head is 414 or 431 (RFC 6585), anything else malformed is 400; all close.
    const Fault fault = parsed == RequestHeadParser::Result::StartLineTooLong ? Fault::UriTooLong
                        : parsed == RequestHeadParser::Result::HeadTooLarge ? Fault::HeadersTooLarge
                                                                            : Fault::BadRequest;
    co_await send_local_reply(ex, status_for(fault));
    finish_exchange(client_info_, ex, fault);
    co_return false;
  }
  ex.body = parser.body();
  // keep-alive "0" and keep-alive-requests (the global ConfigMap's) end the connection here.
  ++requests_;
  ex.keep_alive = parser.keep_alive() && !worker.draining() &&
                  settings.client_idle_timeout.count() > 0 &&
                  (settings.client_max_requests == 0 || requests_ < settings.client_max_requests);
  Fault fault = co_await proxy(ex, parser.connection_upgrade() && ex.body.done);
  if (fault != Fault::None && ex.response_started) {
    // The client already has a head: only closing tells it the body was cut short.
    ex.keep_alive = false;
  } else if (fault != Fault::None && fault != Fault::ClientGone) {
    // An unread request body would be taken for the next request: close instead.
    if (rejects_request(fault) || !(ex.body.done || ex.body_read)) {
      ex.keep_alive = false;
      linger_ = true;
    }
    const unsigned status = reply_status(ex, fault);
    co_await fetch_error_page(client_info_, ex, status, deadline_);
    if (!co_await send_local_reply(ex, status)) {
      fault = Fault::ClientGone;
    }
  }
  if (fault == Fault::None && !(ex.body.done || ex.body_read)) {
    // The response ended before the request body (an HTTP/2 backend may answer early): what
    // is left of the body would be taken for the next request.
    ex.keep_alive = false;
    linger_ = true;
  }
  finish_exchange(client_info_, ex, fault);
  release_large_buffer(buffer_);
  co_return ex.keep_alive&& fault != Fault::ClientGone && !worker.draining();
}

template <class Stream>
Awaitable<Fault> HttpSession<Stream>::proxy(Exchange& ex, bool upgrade_without_body) {
  const Endpoint* endpoint = nullptr;
  Fault fault = plan_exchange(client_info_, ex, upgrade_without_body, endpoint);
  if (fault == Fault::AuthPending) {
    fault = co_await plan_after_external_auth(client_info_, ex, deadline_, endpoint);
  }
  if (fault != Fault::None) {
    co_return fault;
  }
  if (!co_await continue_if_expected(ex)) {
    co_return Fault::ClientGone;
  }
  co_return co_await exchange_upstream(client_info_, *this, ex, *endpoint);
}

// curl and most clients wait for "100 Continue" before sending a large body. The proxy
// answers it itself once the request is routed, and never forwards Expect.
template <class Stream>
Awaitable<bool> HttpSession<Stream>::continue_if_expected(Exchange& ex) {
  auto& req = ex.request;
  const std::string expect(req[http::field::expect]);
  if (expect.empty()) {
    co_return true;
  }
  req.erase(http::field::expect);
  if (!beast::iequals(expect, "100-continue") || ex.body.done || client_version_ < 11) {
    co_return true;
  }
  static constexpr std::string_view Continue = "HTTP/1.1 100 Continue\r\n\r\n";
  deadline_.expires_after(ex.send_timeout);
  auto [ec, n] = co_await net::async_write(client_, net::buffer(Continue), use_nothrow);
  co_return !ec;
}

// HTTP/1.1's framing of a proxied response head: the version, chunks for a body of unknown
// length (an HTTP/1.0 client reads it until the close instead), and Connection.
template <class Stream>
Awaitable<std::pair<boost::system::error_code, std::uint64_t>>
HttpSession<Stream>::send_response_head(Exchange& ex, ResponseHeader& response,
                                        const BodyFraming& framing,
                                        beast::flat_buffer& upstream_buffer) {
  const bool switching = response.result() == http::status::switching_protocols;
  response.version(11);
  if (switching) {
    ex.keep_alive = false;  // after the tunnel, the connection is over
  }
  response_chunked_ = false;
  if (!framing.done && !framing.length) {
    if (client_version_ >= 11) {
      response.set(http::field::transfer_encoding, "chunked");
      response_chunked_ = true;
    } else {
      ex.keep_alive = false;
    }
  }
  // Decided as the head goes out: a drain that began mid-request still says "close".
  ex.keep_alive = ex.keep_alive && !client_info_.worker.draining();
  if (switching) {
    response.set(http::field::connection, "upgrade");
  } else if (!ex.keep_alive) {
    response.set(http::field::connection, "close");
  } else if (client_version_ == 10) {
    response.set(http::field::connection, "keep-alive");
  }
  co_return co_await write_head(client_, response, head_text_, upstream_buffer, framing, deadline_,
                                ex.send_timeout);
}

// After a 101 the connection is a byte pipe both ways, until either side closes or neither
// sends anything for the route's read timeout (else --tunnel-idle-timeout).
template <class Stream>
template <class Upstream>
Awaitable<void> HttpSession<Stream>::tunnel(Exchange& ex, Upstream& upstream,
                                            beast::flat_buffer& buffer) {
  const auto* policy = ex.route.action->policy.get();
  const auto idle = policy != nullptr && policy->read_timeout
                        ? *policy->read_timeout
                        : client_info_.worker.settings().tunnel_idle_timeout;
  // One idle deadline for the whole tunnel replaces the streams' per-operation timers.
  deadline_.expires_never();
  ++client_info_.worker.stats().tunnels;
  co_await relay_bytes(client_, buffer_, upstream, buffer, idle);
}

template <class Stream>
Awaitable<bool> HttpSession<Stream>::send_local_reply(Exchange& ex, unsigned status) {
  auto reply = local_reply(client_info_, ex, status);
  ex.keep_alive = ex.keep_alive && !client_info_.worker.draining();
  reply.keep_alive(ex.keep_alive);
  if (ex.keep_alive && client_version_ == 10) {
    reply.set(http::field::connection, "keep-alive");
  }
  deadline_.expires_after(client_info_.worker.settings().upstream_send_timeout);
  auto [ec, n] = co_await http::async_write(client_, reply, use_nothrow);
  co_return !ec;
}

template class HttpSession<TcpSocket>;
template class HttpSession<TlsSocket>;

}  // namespace portico
