#pragma once
// HttpSession: the HTTP/1.1 codec. One downstream connection, on the worker that accepted
// it, for as long as the client keeps it open. Requests are served one at a time in order
// (so pipelined requests are answered in order): the head is parsed and vetted here, then
// the codec-independent phases (exchange/request_pipeline.hpp) and the upstream exchange
// (exchange/upstream_http1.hpp) run with this session as their Downstream. Owned by the
// coroutine that serves the connection; registered with its Worker (as a Session) so a drain
// can close it while idle.
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/fields.hpp>
#include <cstdint>
#include <string>
#include <utility>

#include "proxy/exchange/body_framing.hpp"
#include "proxy/exchange/exchange.hpp"
#include "proxy/net.hpp"
#include "proxy/session/deadline.hpp"
#include "proxy/session/session.hpp"
#include "proxy/tls/tls_socket.hpp"

namespace portico {

template <class Downstream>
class UpstreamExchange;
template <class Downstream>
class Http2UpstreamExchange;

// `Stream` is TcpSocket for plain HTTP (and, for HTTPS, an SSL stream over one whose
// handshake is done).
template <class Stream>
class HttpSession final : public Session {
 public:
  // `read_ahead`: bytes already read from the connection (the start of the first request);
  // `deadline`: the connection's, from its start.
  HttpSession(ClientConnection client, Stream stream, beast::flat_buffer read_ahead,
              Deadline deadline);
  ~HttpSession() override;
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  Awaitable<void> run();
  void drain() override;

 private:
  friend class UpstreamExchange<HttpSession>;
  friend class Http2UpstreamExchange<HttpSession>;

  TcpSocket& transport() { return beast::get_lowest_layer(client_); }
  Awaitable<bool> serve_one();
  Awaitable<bool> wait_for_next_request();
  Awaitable<void> discard_unread_input();
  Awaitable<Fault> proxy(Exchange& ex, bool upgrade_without_body);
  Awaitable<bool> continue_if_expected(Exchange& ex);
  Awaitable<bool> send_local_reply(Exchange& ex, unsigned status);

  // The Downstream side of UpstreamExchange.
  static constexpr bool CanTunnel = true;
  Deadline& deadline() { return deadline_; }
  std::string& head_text() { return head_text_; }
  Stream& body_source() { return client_; }
  beast::flat_buffer& read_ahead() { return buffer_; }
  Awaitable<std::pair<boost::system::error_code, std::uint64_t>> send_response_head(
      Exchange& ex, ResponseHeader& response, const BodyFraming& framing,
      beast::flat_buffer& upstream_buffer);
  Stream& body_sink() { return client_; }
  bool chunked_out() const { return response_chunked_; }
  // Trailers are dropped: HTTP/1.1 clients rarely ask for them (TE: trailers).
  Awaitable<bool> end_response(Exchange&, const HeaderFields&) { co_return true; }
  template <class Upstream>
  Awaitable<void> tunnel(Exchange& ex, Upstream& upstream, beast::flat_buffer& buffer);

  ClientConnection client_info_;
  Stream client_;
  Deadline deadline_;  // of whichever operation of this connection is pending
  beast::flat_buffer buffer_;
  std::string head_text_;  // the last head written, as text (see format_head)
  unsigned client_version_ = 11;
  std::uint64_t requests_ = 0;  // read on this connection so far
  bool response_chunked_ = false;
  bool idle_ = false;
  bool had_request_ = false;
  bool linger_ = false;  // closing after rejecting a request whose bytes may still be arriving
};

extern template class HttpSession<TcpSocket>;
extern template class HttpSession<TlsSocket>;

}  // namespace portico
