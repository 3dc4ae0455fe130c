#pragma once
// Http2Session: the HTTP/2 codec (RFC 9113), over TLS (ALPN h2) or cleartext with prior
// knowledge (h2c). libnghttp2 does the framing, HPACK, flow-control accounting and the
// header rules of RFC 9113 §8; this class feeds it the connection's bytes, writes what it
// produces, and runs each request stream as its own exchange (a coroutine on the worker)
// through the same codec-independent phases as HTTP/1.1, with the stream as its Downstream.
// A FloodGuard watches what the client sends; abuse ends the connection with GOAWAY.
//
// Its Http2Wire moves the bytes. Owned by the coroutine serving the connection, which run()
// holds until every stream's exchange has ended.
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_set>

#include "proxy/exchange/exchange.hpp"
#include "proxy/http2/flood_guard.hpp"
#include "proxy/http2/header_list.hpp"
#include "proxy/http2/http2_stream.hpp"
#include "proxy/http2/http2_wire.hpp"
#include "proxy/http2/stream_table.hpp"
#include "proxy/net.hpp"
#include "proxy/session/session.hpp"
#include "proxy/tls/tls_socket.hpp"

struct nghttp2_session;

namespace portico {

// The first bytes of every HTTP/2 connection (RFC 9113 §3.4).
inline constexpr std::string_view Http2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

template <class Stream>
class Http2Session final : public Session, private Http2Connection, private Http2Wire<Stream> {
 public:
  // `read_ahead`: bytes already read from the connection (the preface, for h2c);
  // `deadline`: the connection's, from its start (it bounds the reads from now on).
  Http2Session(ClientConnection client, Stream stream, beast::flat_buffer read_ahead,
               Deadline deadline);
  ~Http2Session() override;
  Http2Session(const Http2Session&) = delete;
  Http2Session& operator=(const Http2Session&) = delete;

  Awaitable<void> run();
  void drain() override;

 private:
  class StreamExchange;  // one stream's exchange: its Downstream for UpstreamExchange
  struct Callbacks;      // nghttp2's callbacks, with access to the session

  std::chrono::steady_clock::duration read_timeout() const override;
  void on_fatal(int error) override;
  Awaitable<void> serve_stream(std::shared_ptr<Http2Stream> stream);
  Awaitable<Fault> proxy(Exchange& ex, StreamExchange& down);
  void submit_head(Http2Stream& stream, const ResponseHeader& head, bool with_body);
  void send_local_reply(Exchange& ex, Http2Stream& stream, unsigned status);
  void start_exchange(std::int32_t stream_id);
  void consumed(std::int32_t stream_id, std::size_t bytes) override;
  void outbound_ready(std::int32_t stream_id) override;
  // Graceful GOAWAY: streams up to `last_stream_id` finish, then the connection closes.
  void end_after(std::int32_t last_stream_id);
  // Ends the connection for abuse: GOAWAY ENHANCE_YOUR_CALM (PROTOCOL_ERROR for a protocol
  // error), counted by reason, logged.
  void fail(FloodReason reason);

  using Wire = Http2Wire<Stream>;
  using Wire::closing_;
  using Wire::session_;
  using Wire::wake_writer;

  ClientConnection client_;
  beast::flat_buffer read_ahead_;
  Http2StreamTable streams_;
  std::unordered_set<StreamExchange*> exchanges_;  // running; ended early when the connection is
  FloodGuard guard_;
  std::uint64_t requests_ = 0;      // request streams begun (keep-alive-requests)
  bool last_stream_named_ = false;  // keep-alive-requests sent its GOAWAY
  HeaderList fields_;  // reused by every response head
};

extern template class Http2Session<TcpSocket>;
extern template class Http2Session<TlsSocket>;

}  // namespace portico
