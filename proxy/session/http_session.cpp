#include "proxy/session/http_session.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <array>
#include <chrono>
#include <cstdio>
#include <limits>
#include <optional>
#include <span>
#include <type_traits>
#include <variant>

#include "proxy/common/log.hpp"
#include "proxy/common/utc_time.hpp"
#include "proxy/session/chunked_decoder.hpp"
#include "proxy/session/forwarding.hpp"
#include "proxy/session/request_head.hpp"
#include "proxy/session/request_values.hpp"
#include "proxy/worker/worker.hpp"

namespace portico {
namespace {

template <class Stream>
constexpr bool IsTls = !std::is_same_v<Stream, beast::tcp_stream>;

using RequestParser = http::request_parser<http::buffer_body>;
using ResponseParser = http::response_parser<http::buffer_body>;
using Clock = std::chrono::steady_clock;

bool is_disconnect(const boost::system::error_code& ec) {
  return ec == http::error::end_of_stream || ec == http::error::partial_message ||
         ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == net::error::operation_aborted;
}

enum class RelayEnd { Complete, ReadFailed, ReadInvalid, ReadTimedOut, TooLarge, WriteFailed };

// Why a read of a body failed: the deadline, or the connection.
RelayEnd read_failure(const Deadline& deadline) {
  return deadline.expired() ? RelayEnd::ReadTimedOut : RelayEnd::ReadFailed;
}

// A Content-Length body goes socket to socket through `chunk`, with no parser in the loop:
// first what was read ahead with the head (never past the body: the rest is the next
// request), then reads of at most what is left. One copy, 64 KiB system calls. Body bytes
// delivered are added to `moved`.
template <class From, class To>
net::awaitable<RelayEnd> relay_length(From& from, beast::flat_buffer& from_buffer,
                                      std::uint64_t length, To& to, std::span<char> chunk,
                                      Deadline& deadline, std::chrono::milliseconds timeout,
                                      std::uint64_t& moved) {
  while (length > 0) {
    const char* data = chunk.data();
    std::size_t n = 0;
    if (from_buffer.size() > 0) {
      data = static_cast<const char*>(from_buffer.data().data());
      n = static_cast<std::size_t>(std::min<std::uint64_t>(from_buffer.size(), length));
    } else {
      deadline.expires_after(timeout);
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), length));
      auto [ec, got] = co_await from.async_read_some(net::buffer(chunk.data(), want), use_nothrow);
      if (ec) {
        co_return read_failure(deadline);
      }
      n = got;
    }
    deadline.expires_after(timeout);
    auto [ec, written] = co_await net::async_write(to, net::buffer(data, n), use_nothrow);
    if (ec) {
      co_return RelayEnd::WriteFailed;
    }
    if (data != chunk.data()) {
      from_buffer.consume(n);
    }
    length -= n;
    moved += n;
  }
  co_return RelayEnd::Complete;
}

// The head of `message` as HTTP/1.1 text, into `out` (reused, so it allocates only when a head
// is larger than any before on this connection). One contiguous buffer: Beast's serializer
// hands the kernel a buffer per field part, and walking that sequence cost ~10% of a small
// request (bench/RESULTS.md).
template <bool IsRequest>
void format_head(const http::header<IsRequest>& message, std::string& out) {
  out.clear();
  if constexpr (IsRequest) {
    out.append(message.method_string()).append(" ").append(message.target()).append(" HTTP/1.1\r\n");
  } else {
    out.append("HTTP/1.1 ").append(std::to_string(message.result_int())).append(" ");
    out.append(message.reason()).append("\r\n");
  }
  for (const auto& field : message) {
    out.append(field.name_string()).append(": ").append(field.value()).append("\r\n");
  }
  out.append("\r\n");
}

// Writes a message head, together with the body bytes that were read along with it when the
// body has a Content-Length, so a small message goes out in one write. Returns how many body
// bytes went with the head (they are consumed from `from_buffer`).
template <bool IsRequest, class To>
net::awaitable<std::pair<boost::system::error_code, std::uint64_t>> write_head(
    To& to, const http::header<IsRequest>& message, std::string& head_text,
    beast::flat_buffer& from_buffer, http::parser<IsRequest, http::buffer_body>& parser,
    Deadline& deadline, std::chrono::milliseconds timeout) {
  std::uint64_t carried = 0;
  const auto length = parser.content_length();
  if (length && !parser.chunked() && !parser.is_done() && from_buffer.size() > 0) {
    carried = std::min<std::uint64_t>(from_buffer.size(), *length);
  }
  format_head(message, head_text);
  deadline.expires_after(timeout);
  const std::array buffers{
      net::const_buffer(head_text.data(), head_text.size()),
      net::const_buffer(from_buffer.data().data(), static_cast<std::size_t>(carried))};
  auto [ec, n] = co_await net::async_write(to, buffers, use_nothrow);
  from_buffer.consume(static_cast<std::size_t>(carried));
  co_return std::pair{ec, carried};
}

// Writes one run of body bytes, framed as a chunk when `chunked_out`.
template <class To>
net::awaitable<bool> write_body_bytes(To& to, std::string_view bytes, bool chunked_out,
                                      Deadline& deadline, std::chrono::milliseconds timeout) {
  char chunk_header[20];
  const int header_size =
      chunked_out ? std::snprintf(chunk_header, sizeof chunk_header, "%zx\r\n", bytes.size()) : 0;
  const std::array pieces{net::const_buffer(chunk_header, static_cast<std::size_t>(header_size)),
                          net::const_buffer(bytes.data(), bytes.size()),
                          net::const_buffer("\r\n", chunked_out ? 2 : 0)};
  deadline.expires_after(timeout);
  auto [ec, written] = co_await net::async_write(to, pieces, use_nothrow);
  co_return !ec;
}

// Reads more of a body into `from_buffer` (which holds none of it unread).
template <class From>
net::awaitable<boost::system::error_code> read_more(From& from, beast::flat_buffer& from_buffer,
                                                    std::size_t size, Deadline& deadline,
                                                    std::chrono::milliseconds timeout) {
  deadline.expires_after(timeout);
  auto [ec, n] = co_await from.async_read_some(from_buffer.prepare(size), use_nothrow);
  from_buffer.commit(n);
  co_return ec;
}

// The end of a body relayed as chunks: the last chunk. Nothing to write for raw bytes.
template <class To>
net::awaitable<RelayEnd> end_body(To& to, bool chunked_out, Deadline& deadline,
                                  std::chrono::milliseconds timeout) {
  if (chunked_out) {
    static constexpr std::string_view LastChunk = "0\r\n\r\n";
    deadline.expires_after(timeout);
    auto [ec, written] = co_await net::async_write(to, net::buffer(LastChunk), use_nothrow);
    if (ec) {
      co_return RelayEnd::WriteFailed;
    }
  }
  co_return RelayEnd::Complete;
}

// A chunked body, decoded by ChunkedDecoder, strictly (a sender that breaks the grammar ends
// the exchange at once: ReadInvalid), its data counted against `limit` and framed again as
// chunks when `chunked_out` (ending with the last chunk; trailers are checked and dropped).
// What follows it stays in `from_buffer` for the next message.
template <class From, class To>
net::awaitable<RelayEnd> relay_chunked(From& from, beast::flat_buffer& from_buffer, To& to,
                                       bool chunked_out, std::uint64_t limit, std::size_t read_size,
                                       Deadline& deadline, std::chrono::milliseconds timeout,
                                       std::uint64_t& moved) {
  ChunkedDecoder decoder;
  for (;;) {
    if (from_buffer.size() == 0) {
      if (co_await read_more(from, from_buffer, read_size, deadline, timeout)) {
        co_return read_failure(deadline);
      }
    }
    const auto step = decoder.feed(
        std::string_view(static_cast<const char*>(from_buffer.data().data()), from_buffer.size()));
    if (step.status == ChunkedDecoder::Status::Invalid) {
      co_return RelayEnd::ReadInvalid;
    }
    if (decoder.body_bytes() > limit) {
      co_return RelayEnd::TooLarge;
    }
    if (!step.data.empty()) {
      // Its own statement, not a && b: GCC 12 mishandles a co_await that && may skip.
      const bool written = co_await write_body_bytes(to, step.data, chunked_out, deadline, timeout);
      if (!written) {
        co_return RelayEnd::WriteFailed;
      }
    }
    moved += step.data.size();
    from_buffer.consume(step.consumed);
    if (step.status == ChunkedDecoder::Status::Done) {
      break;
    }
  }
  co_return co_await end_body(to, chunked_out, deadline, timeout);
}

// A body without length or chunks (responses only): relayed as it is, framed as chunks when
// `chunked_out`, until the sender closes.
template <class From, class To>
net::awaitable<RelayEnd> relay_until_close(From& from, beast::flat_buffer& from_buffer, To& to,
                                           bool chunked_out, std::size_t read_size,
                                           Deadline& deadline, std::chrono::milliseconds timeout,
                                           std::uint64_t& moved) {
  for (;;) {
    if (from_buffer.size() == 0) {
      if (const auto ec = co_await read_more(from, from_buffer, read_size, deadline, timeout)) {
        if (is_disconnect(ec) && !deadline.expired()) {
          break;
        }
        co_return read_failure(deadline);
      }
    }
    const std::string_view bytes(static_cast<const char*>(from_buffer.data().data()),
                                 from_buffer.size());
    if (!co_await write_body_bytes(to, bytes, chunked_out, deadline, timeout)) {
      co_return RelayEnd::WriteFailed;
    }
    moved += bytes.size();
    from_buffer.consume(bytes.size());
  }
  co_return co_await end_body(to, chunked_out, deadline, timeout);
}

// Streams a message body from one connection to another, one buffer at a time, so memory
// stays flat whatever the size; one function for both directions, by the body's framing.
template <class From, class To>
net::awaitable<RelayEnd> relay_body(From& from, beast::flat_buffer& from_buffer,
                                    boost::optional<std::uint64_t> length, bool chunked_in, To& to,
                                    bool chunked_out, std::uint64_t limit,
                                    std::uint64_t sent_with_head, std::span<char> chunk,
                                    Deadline& deadline, std::chrono::milliseconds timeout,
                                    std::uint64_t& moved) {
  if (chunked_in) {
    co_return co_await relay_chunked(from, from_buffer, to, chunked_out, limit, chunk.size(),
                                     deadline, timeout, moved);
  }
  if (length) {
    co_return co_await relay_length(from, from_buffer, *length - sent_with_head, to, chunk,
                                    deadline, timeout, moved);
  }
  co_return co_await relay_until_close(from, from_buffer, to, chunked_out, chunk.size(), deadline,
                                       timeout, moved);
}

// Which limit an oversized head broke: the request line (414), when the parser never got to
// the end of it, or the header section (431).
Fault oversized_head(const RequestParser& parser) {
  return parser.get().method_string().empty() ? Fault::UriTooLong : Fault::HeadersTooLarge;
}

bool is_idempotent(http::verb method) {
  switch (method) {
    case http::verb::get:
    case http::verb::head:
    case http::verb::options:
    case http::verb::trace:
    case http::verb::put:
    case http::verb::delete_:
      return true;
    default:
      return false;
  }
}

// One direction of a tunnel: what was read ahead with the heads first, then bytes as they
// come, until either side fails or closes. Ending stops the whole tunnel (`stop`), since a
// WebSocket is over once either side has closed.
template <class From, class To, class Stop>
net::awaitable<void> pump(From& from, beast::flat_buffer& read_ahead, To& to,
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

// Ends a tunnel that saw no byte in either direction for `idle`.
template <class Stop>
net::awaitable<void> watch_idle(net::steady_timer& timer, const Clock::time_point& last_activity,
                                std::chrono::milliseconds idle, Stop& stop) {
  for (;;) {
    timer.expires_at(last_activity + idle);
    auto [ec] = co_await timer.async_wait(use_nothrow);
    if (ec) {
      co_return;  // the tunnel ended first
    }
    if (Clock::now() >= last_activity + idle) {
      stop();
      co_return;
    }
  }
}

// A body relay grows a connection's read buffer; an idle connection should not keep that.
void release_large_buffer(beast::flat_buffer& buffer) {
  if (buffer.size() == 0 && buffer.capacity() > 16 * 1024) {
    buffer.shrink_to_fit();
  }
}

// Puts an upstream connection under the session's deadline for one attempt of an exchange,
// and takes it off again before the connection can go back to the pool or away.
class UpstreamWatch {
 public:
  UpstreamWatch(Deadline& deadline, beast::tcp_stream& upstream) : deadline_(deadline) {
    deadline_.watch_upstream(&upstream);
  }
  ~UpstreamWatch() { deadline_.watch_upstream(nullptr); }
  UpstreamWatch(const UpstreamWatch&) = delete;
  UpstreamWatch& operator=(const UpstreamWatch&) = delete;

 private:
  Deadline& deadline_;
};

// Lends the worker's relay buffer to one exchange and gives it back when the exchange ends.
class LeasedBuffer {
 public:
  explicit LeasedBuffer(BufferPool& pool) : pool_(pool), buffer_(pool.take()) {}
  ~LeasedBuffer() { pool_.give_back(std::move(buffer_)); }
  std::span<char> span() { return {buffer_.get(), BufferPool::BufferSize}; }

 private:
  BufferPool& pool_;
  std::unique_ptr<char[]> buffer_;
};

}  // namespace

// Everything one request/response exchange carries between the phases.
template <class Stream>
struct HttpSession<Stream>::Exchange {
  explicit Exchange(RequestParser& p) : parser(p), request(p.get()) {}
  RequestParser& parser;
  http::request<http::buffer_body>& request;
  Clock::time_point started = Clock::now();
  SnapshotPtr snapshot;  // pinned for the whole exchange
  RouteMatch route;
  const RoutePolicy* policy = nullptr;  // the route's, or one with every default; set once routed
  const Cluster* cluster = nullptr;
  RequestHead target;
  std::string_view local_body;  // a local reply's body, when not the status line's text
  unsigned redirect_status = 0;  // a Fault::Redirect's status, when not 308
  // Added to whatever response goes out, proxied or local: Location, WWW-Authenticate,
  // Set-Cookie of affinity, CORS headers.
  ExtraHeaders response_headers;
  // For the access log.
  const Endpoint* upstream = nullptr;  // the endpoint of the last attempt
  Clock::time_point upstream_started{};
  Clock::duration upstream_time{};  // from the last attempt's start to the response head
  std::uint64_t request_bytes = 0;  // body bytes, as relayed
  std::uint64_t response_bytes = 0;
  // The route's timeouts (its Ingress's annotations, else the flags), set once routed.
  std::chrono::milliseconds connect_timeout{};
  std::chrono::milliseconds read_timeout{};
  std::chrono::milliseconds send_timeout{};
  // The largest request body the route accepts (0: any), and whether all of it was read.
  std::uint64_t body_limit = std::numeric_limits<std::uint64_t>::max();
  bool body_read = false;
  unsigned client_version = 11;
  bool head = false;
  bool keep_alive = true;  // may the client connection carry another request after this one
  bool response_started = false;
  bool upstream_reusable = false;
  unsigned status = 0;
  std::optional<LeasedBuffer> relay_buffer;
};

template <class Stream>
HttpSession<Stream>::HttpSession(Worker& worker, Stream stream, net::ip::address client_ip,
                                 std::uint16_t listener_port)
    : worker_(worker),
      client_(std::move(stream)),
      deadline_(beast::get_lowest_layer(client_).get_executor()),
      client_ip_(client_ip),
      client_address_(client_ip.to_string()),
      listener_port_(listener_port) {
  deadline_.watch(&transport());
  boost::system::error_code ec;
  transport().socket().set_option(net::ip::tcp::no_delay(true), ec);
  worker_.add_session(this);
  ++worker_.stats().client_connections;
}

template <class Stream>
HttpSession<Stream>::~HttpSession() {
  --worker_.stats().client_connections;
  worker_.remove_session(this);
}

template <class Stream>
void HttpSession<Stream>::close_if_idle() {
  if (idle_) {
    transport().cancel();
  }
}

template <class Stream>
net::awaitable<void> HttpSession<Stream>::run() {
  if constexpr (IsTls<Stream>) {
    deadline_.expires_after(worker_.settings().client_header_timeout);
    auto [ec] = co_await client_.async_handshake(net::ssl::stream_base::server, use_nothrow);
    if (ec) {
      ++worker_.stats().tls_handshake_failures;
      transport().close();
      co_return;
    }
    ++worker_.stats().tls_handshakes;
  }
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
    transport().socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
    co_await discard_unread_input();
  }
  transport().close();
}

// Closing with unread input makes the kernel send a reset, which can destroy the reply still
// in flight. Reads what the client is still sending, for a moment, first. Its own coroutine
// (and the session's buffer, not an array on the frame), so that run()'s frame, which every
// connection holds for its whole life, stays small.
template <class Stream>
net::awaitable<void> HttpSession<Stream>::discard_unread_input() {
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
// for the socket to become readable here, in run()'s small frame, with the read buffer
// freed, so an idle keep-alive connection holds no parser, no coroutine frame of serve_one()
// and no buffer (10,000 idle connections must fit in 64 MB). TLS connections skip this: bytes
// OpenSSL has already taken from the socket would not wake the wait.
template <class Stream>
net::awaitable<bool> HttpSession<Stream>::wait_for_next_request() {
  if constexpr (!IsTls<Stream>) {
    if (buffer_.size() == 0) {
      buffer_.shrink_to_fit();
      idle_ = true;
      deadline_.expires_after(worker_.settings().client_idle_timeout);
      auto [ec] = co_await transport().socket().async_wait(net::socket_base::wait_read,
                                                           use_nothrow);
      idle_ = false;
      co_return !ec && !worker_.draining();
    }
  }
  co_return true;
}

// serve_one: read the head -> proxy (read_target, select_route, apply_policy, pick_endpoint,
// exchange_with: forward, relay) -> a local reply on a fault -> finish.
template <class Stream>
net::awaitable<bool> HttpSession<Stream>::serve_one() {
  const auto& settings = worker_.settings();
  RequestParser parser;
  parser.header_limit(static_cast<std::uint32_t>(settings.max_header_bytes));
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  // Idle: between requests, with nothing of the next one read. A new connection is not idle:
  // its client is about to send (closing it in a drain would lose that request). A plain
  // connection did its idle wait in wait_for_next_request(): its next request is here.
  idle_ = IsTls<Stream> && had_request_ && buffer_.size() == 0;
  deadline_.expires_after(idle_ ? settings.client_idle_timeout : settings.client_header_timeout);
  auto [ec, n] = co_await http::async_read_header(client_, buffer_, parser, use_nothrow);
  idle_ = false;
  had_request_ = true;
  Exchange ex(parser);
  if (ec) {
    if (!parser.got_some() || is_disconnect(ec) || deadline_.expired()) {
      co_return false;  // closed or silent between requests: nothing to answer
    }
    ex.keep_alive = false;
    linger_ = true;
    // An oversized head is 414 or 431 (RFC 6585), anything else malformed is 400; all close.
    const Fault fault =
        ec == http::error::header_limit ? oversized_head(parser) : Fault::BadRequest;
    co_await send_local_reply(ex, status_for(fault));
    finish(ex, fault);
    co_return false;
  }
  Fault fault = co_await proxy(ex);
  if (fault != Fault::None && ex.response_started) {
    // The client already has a head: only closing tells it the body was cut short.
    ex.keep_alive = false;
  } else if (fault != Fault::None && fault != Fault::ClientGone) {
    // An unread request body would be taken for the next request: close instead.
    if (rejects_request(fault) || !(parser.is_done() || ex.body_read)) {
      ex.keep_alive = false;
      linger_ = true;
    }
    const unsigned status = fault == Fault::Redirect && ex.redirect_status != 0
                                ? ex.redirect_status
                                : status_for(fault);
    if (!co_await send_local_reply(ex, status)) {
      fault = Fault::ClientGone;
    }
  }
  finish(ex, fault);
  release_large_buffer(buffer_);
  co_return ex.keep_alive&& fault != Fault::ClientGone && !worker_.draining();
}

template <class Stream>
net::awaitable<Fault> HttpSession<Stream>::proxy(Exchange& ex) {
  if (const Fault fault = read_target(ex); fault != Fault::None) {
    co_return fault;
  }
  if (const Fault fault = select_route(ex); fault != Fault::None) {
    co_return fault;
  }
  if (const Fault fault = apply_policy(ex); fault != Fault::None) {
    co_return fault;
  }
  const Endpoint* endpoint = pick_endpoint(ex);
  if (endpoint == nullptr) {
    co_return Fault::NoEndpoint;
  }
  prepare_upstream_request(ex);
  if (!co_await continue_if_expected(ex)) {
    co_return Fault::ClientGone;
  }
  co_return co_await exchange_with(ex, *endpoint);
}

// Judges the head (vet_request_head) and notes what the rest of the exchange needs from it.
template <class Stream>
Fault HttpSession<Stream>::read_target(Exchange& ex) {
  auto& req = ex.request;
  ex.client_version = req.version();
  ex.head = req.method() == http::verb::head;
  ex.keep_alive = req.keep_alive() && !worker_.draining();
  return vet_request_head(req.base(), ex.parser.upgrade() && ex.parser.is_done(),
                          worker_.settings(), ex.target);
}

template <class Stream>
Fault HttpSession<Stream>::select_route(Exchange& ex) {
  ex.snapshot = worker_.pin();
  if (!ex.snapshot) {
    return Fault::NoRoute;
  }
  const std::string_view path = ex.target.path();
  if constexpr (!IsTls<Stream>) {
    constexpr std::string_view ChallengePrefix = "/.well-known/acme-challenge/";
    if (path.starts_with(ChallengePrefix)) {
      // Our own orders' answers first; other tokens (cert-manager's solvers) route as usual.
      const auto& answers = *ex.snapshot->challenges;
      if (const auto it = answers.find(path.substr(ChallengePrefix.size())); it != answers.end()) {
        ex.local_body = it->second;
        return Fault::ChallengeAnswer;
      }
    } else if (ex.snapshot->certs && ex.snapshot->certs->redirects(ex.target.host)) {
      // Plain HTTP to a host served over TLS.
      ex.response_headers.emplace_back(http::field::location,
                                       https_location(ex.target, worker_.https_port()));
      return Fault::Redirect;
    }
  }
  ex.route = ex.snapshot->routes->match(ex.target.host, path);
  return ex.route.action == nullptr ? Fault::NoRoute : Fault::None;
}

// The matched Ingress's annotations (else the flags), in ingress-nginx's order: answers the
// proxy gives itself (a configuration that fails closed, redirects, CORS preflights), then
// access (source ranges, Basic credentials), then limits and timeouts for the exchange.
template <class Stream>
Fault HttpSession<Stream>::apply_policy(Exchange& ex) {
  const auto& settings = worker_.settings();
  const auto& req = ex.request;
  static const RoutePolicy defaults;
  const RoutePolicy& policy = ex.route.action->policy ? *ex.route.action->policy : defaults;
  ex.policy = &policy;
  if (PolicyAnswer answer = policy_answer(policy, IsTls<Stream>, ex.target,
                                          req[http::field::host], worker_.https_port());
      answer.fault != Fault::None) {
    ex.redirect_status = answer.status;
    if (!answer.location.empty()) {
      ex.response_headers.emplace_back(http::field::location, std::move(answer.location));
    }
    return answer.fault;
  }
  if (policy.cors) {
    const bool preflight = req.method() == http::verb::options;
    policy.cors->add_headers(req[http::field::origin], preflight, ex.response_headers);
    if (preflight && !ex.response_headers.empty()) {
      return Fault::CorsPreflight;
    }
  }
  if ((policy.denied_sources && policy.denied_sources->contains(client_ip_)) ||
      (policy.allowed_sources && !policy.allowed_sources->contains(client_ip_))) {
    return Fault::Forbidden;
  }
  if (policy.basic_auth &&
      !worker_.credentials().check(*policy.basic_auth->users, req[http::field::authorization])) {
    ex.response_headers.emplace_back(http::field::www_authenticate,
                                     "Basic realm=\"" + policy.basic_auth->realm + "\"");
    return Fault::Unauthorized;
  }
  ex.connect_timeout = policy.connect_timeout.value_or(settings.upstream_connect_timeout);
  ex.read_timeout = policy.read_timeout.value_or(settings.upstream_response_timeout);
  ex.send_timeout = policy.send_timeout.value_or(settings.upstream_send_timeout);
  const std::uint64_t limit = policy.max_body_bytes.value_or(settings.max_body_bytes);
  if (limit != 0) {  // 0: no limit
    if (const auto length = ex.parser.content_length(); length && *length > limit) {
      return Fault::BodyTooLarge;
    }
    ex.body_limit = limit;  // a chunked body is counted as it streams
  }
  return Fault::None;
}

// The cluster (the rule's, or its canary's) and the endpoint the route's balancing chooses.
template <class Stream>
const Endpoint* HttpSession<Stream>::pick_endpoint(Exchange& ex) {
  const RouteAction& action = *ex.route.action;
  auto& balancer = worker_.balancer();
  const bool canary = action.canary && takes_canary(*action.canary, ex.request.base(), balancer);
  ex.cluster = ex.snapshot->clusters->find(canary ? action.canary->cluster_id : action.cluster_id);
  if (ex.cluster == nullptr) {
    return nullptr;
  }
  const auto now = Clock::now();
  const RoutePolicy& policy = *ex.policy;
  if (policy.affinity) {
    if (const Endpoint* pinned = balancer.pick_by_token(
            *ex.cluster, find_cookie(ex.request.base(), policy.affinity->name), now)) {
      return pinned;
    }
    const Endpoint* chosen = balancer.pick(*ex.cluster, now);
    if (chosen != nullptr) {
      ex.response_headers.emplace_back(http::field::set_cookie,
                                       sticky_cookie(*policy.affinity, *chosen));
    }
    return chosen;
  }
  if (policy.hash_by) {
    return balancer.pick_by_hash(
        *ex.cluster,
        LoadBalancer::hash(
            hash_key_value(*policy.hash_by, ex.request.base(), ex.target, client_address_)),
        now);
  }
  if (policy.balance == Balance::Ewma) {
    return balancer.pick_by_latency(*ex.cluster, now);
  }
  return balancer.pick(*ex.cluster, now);
}

template <class Stream>
void HttpSession<Stream>::prepare_upstream_request(Exchange& ex) {
  auto& req = ex.request;
  const std::string host_as_sent(req[http::field::host]);
  strip_hop_by_hop(req.base());
  set_forwarded_headers(req.base(), {client_address_, IsTls<Stream> ? "https" : "http",
                                     listener_port_, host_as_sent});
  // upstream-vhost and x-forwarded-prefix: set by the route, whatever the client sent.
  if (!ex.policy->upstream_host.empty()) {
    req.set(http::field::host, ex.policy->upstream_host);
  }
  if (!ex.policy->forwarded_prefix.empty()) {
    req.set("X-Forwarded-Prefix", ex.policy->forwarded_prefix);
  }
  req.target(upstream_target_for(*ex.policy, ex.target, ex.route.captures));
  req.version(11);
  if (!ex.target.websocket.empty()) {
    req.set(http::field::upgrade, ex.target.websocket);
    req.set(http::field::connection, "upgrade");
  }
  // A chunked request body stays chunked upstream; a Content-Length one keeps its length.
  if (!ex.parser.is_done() && !ex.parser.content_length()) {
    req.chunked(true);
  }
}

// curl and most clients wait for "100 Continue" before sending a large body. The proxy
// answers it itself once the request is routed, and never forwards Expect.
template <class Stream>
net::awaitable<bool> HttpSession<Stream>::continue_if_expected(Exchange& ex) {
  auto& req = ex.request;
  const std::string expect(req[http::field::expect]);
  if (expect.empty()) {
    co_return true;
  }
  req.erase(http::field::expect);
  if (!beast::iequals(expect, "100-continue") || ex.parser.is_done() || ex.client_version < 11) {
    co_return true;
  }
  static constexpr std::string_view Continue = "HTTP/1.1 100 Continue\r\n\r\n";
  deadline_.expires_after(ex.send_timeout);
  auto [ec, n] = co_await net::async_write(client_, net::buffer(Continue), use_nothrow);
  co_return !ec;
}

// Sends the request to `first`, or, when that fails before anything could have reached an
// application, once more to another endpoint (or, for a stale pooled connection to the only
// endpoint, over a fresh connection to it).
template <class Stream>
net::awaitable<Fault> HttpSession<Stream>::exchange_with(Exchange& ex, const Endpoint& first) {
  ex.relay_buffer.emplace(worker_.buffers());
  auto& balancer = worker_.balancer();
  // Sent once, a request may have been acted on: only one whose bytes are all still here (no
  // body) and whose method is idempotent may be sent again.
  const bool resendable = ex.parser.is_done() && is_idempotent(ex.request.method());
  const Endpoint* endpoint = &first;
  for (bool retried = false;; retried = true) {
    ex.upstream = endpoint;
    ex.upstream_started = Clock::now();
    UpstreamConnectionPtr upstream =
        retried ? nullptr : worker_.pool().take(*endpoint, ex.policy->upstream_tls);
    if (!upstream) {
      if (const Fault fault = co_await connect(ex, *endpoint, upstream); fault != Fault::None) {
        balancer.report_connect_failure(*endpoint, Clock::now());
        // Nothing was sent, so any request may go elsewhere.
        const Endpoint* other =
            retried ? endpoint : balancer.pick(*ex.cluster, Clock::now(), endpoint);
        if (other == endpoint) {
          co_return fault;
        }
        count_retry(ex);
        endpoint = other;
        continue;
      }
      balancer.report_connect_success(*endpoint);
    }
    const UpstreamWatch watch(deadline_, upstream->transport());
    // A named lambda: it lives in this frame for as long as the coroutine it starts.
    // (No co_await inside ?: here: GCC 12 never resumes such a coroutine on the other branch.)
    const auto send_and_relay = [&](auto& stream) -> net::awaitable<Fault> {
      Fault fault = co_await forward(ex, stream);
      if (fault == Fault::None) {
        fault = co_await relay(ex, stream, upstream->buffer);
      }
      co_return fault;
    };
    Fault fault = co_await std::visit(send_and_relay, upstream->stream);
    if (fault == Fault::UpstreamClosedEarly) {
      // Most often the upstream closed this idle connection as we reused it.
      if (upstream->reused && resendable && !retried) {
        count_retry(ex);
        endpoint = balancer.pick(*ex.cluster, Clock::now(), endpoint);
        continue;
      }
      fault = Fault::UpstreamBroken;
    }
    if (fault == Fault::None && ex.policy->balance == Balance::Ewma) {
      balancer.report_latency(*endpoint, ex.upstream_time, Clock::now());
    }
    if (fault == Fault::None && ex.upstream_reusable) {
      release_large_buffer(upstream->buffer);
      worker_.pool().put(std::move(upstream));
    }
    co_return fault;
  }
}

template <class Stream>
net::awaitable<Fault> HttpSession<Stream>::connect(Exchange& ex, const Endpoint& endpoint,
                                                   UpstreamConnectionPtr& out) {
  auto upstream = std::make_unique<UpstreamConnection>(transport().get_executor(), endpoint,
                                                       worker_.stats().upstream_connections);
  auto& tcp = std::get<beast::tcp_stream>(upstream->stream);
  deadline_.watch_upstream(&tcp);
  deadline_.expires_after(ex.connect_timeout);
  auto [ec] = co_await tcp.async_connect(net::ip::tcp::endpoint(endpoint.address, endpoint.port),
                                         use_nothrow);
  if (!ec) {
    tcp.socket().set_option(net::ip::tcp::no_delay(true), ec);
  }
  if (!ec && ex.policy->upstream_tls) {
    // The handshake is part of connecting: it too is bounded by the connect timeout, and a
    // failure is a connect failure (nothing was sent, another endpoint may be tried).
    beast::tcp_stream connected = std::move(tcp);  // out of the variant before it changes
    auto& tls = upstream->stream.template emplace<UpstreamTlsStream>(std::move(connected),
                                                            worker_.upstream_tls());
    deadline_.watch_upstream(&beast::get_lowest_layer(tls));
    std::tie(ec) = co_await tls.async_handshake(net::ssl::stream_base::client, use_nothrow);
  }
  deadline_.watch_upstream(nullptr);
  if (ec) {
    ++worker_.stats().upstream_connect_errors;
    log::debug("proxy", "upstream connect failed",
               {{"upstream", endpoint.address.to_string() + ":" + std::to_string(endpoint.port)},
                {"error", ec.message()}});
    co_return deadline_.expired() ? Fault::UpstreamTimeout : Fault::UpstreamUnreachable;
  }
  out = std::move(upstream);
  co_return Fault::None;
}

// Sends the request head and streams the request body upstream.
template <class Stream>
template <class Upstream>
net::awaitable<Fault> HttpSession<Stream>::forward(Exchange& ex, Upstream& upstream) {
  const auto timeout = ex.send_timeout;
  const auto [ec, sent] = co_await write_head(upstream, ex.request.base(), head_text_, buffer_,
                                              ex.parser, deadline_, timeout);
  if (ec) {
    co_return deadline_.expired() ? Fault::UpstreamTimeout : Fault::UpstreamClosedEarly;
  }
  const bool chunked_out = ex.request.chunked();
  if (ex.parser.is_done() && !chunked_out) {
    co_return Fault::None;
  }
  ex.request_bytes += sent;
  switch (co_await relay_body(client_, buffer_, ex.parser.content_length(), ex.parser.chunked(),
                              upstream, chunked_out, ex.body_limit, sent, ex.relay_buffer->span(),
                              deadline_, timeout, ex.request_bytes)) {
    case RelayEnd::Complete:
      ex.body_read = true;
      co_return Fault::None;
    case RelayEnd::WriteFailed:
      co_return Fault::UpstreamBroken;
    case RelayEnd::ReadInvalid:
      co_return Fault::BadRequest;  // the chunked framing broke RFC 9112
    case RelayEnd::TooLarge:
      co_return Fault::BodyTooLarge;
    default:
      co_return Fault::ClientGone;
  }
}

// Reads the upstream response head, rewrites it for the client, and streams the body.
template <class Stream>
template <class Upstream>
net::awaitable<Fault> HttpSession<Stream>::relay(Exchange& ex, Upstream& upstream,
                                                 beast::flat_buffer& buffer) {
  const auto& settings = worker_.settings();
  std::optional<ResponseParser> parser;
  // Interim 1xx responses are not relayed (Expect is never forwarded); 101 would be.
  do {
    parser.emplace();
    parser->header_limit(static_cast<std::uint32_t>(settings.max_header_bytes));
    parser->body_limit(std::numeric_limits<std::uint64_t>::max());
    parser->skip(ex.head);
    deadline_.expires_after(ex.read_timeout);
    auto [ec, n] = co_await http::async_read_header(upstream, buffer, *parser, use_nothrow);
    if (ec && deadline_.expired()) {
      co_return Fault::UpstreamTimeout;
    }
    if (ec) {
      co_return !parser->got_some() && is_disconnect(ec) ? Fault::UpstreamClosedEarly
                                                         : Fault::UpstreamBroken;
    }
  } while (parser->get().result_int() < 200 && parser->get().result_int() != 101);

  ex.upstream_time = Clock::now() - ex.upstream_started;
  auto& response = parser->get();
  const bool switching = response.result() == http::status::switching_protocols;
  if (switching && ex.target.websocket.empty()) {
    co_return Fault::UpstreamBroken;  // 101 to a request that asked for no upgrade
  }
  const bool body_follows = !parser->is_done() && !switching;
  const std::string upgraded_to = switching ? std::string(response[http::field::upgrade]) : "";
  strip_hop_by_hop(response.base());
  response.set(http::field::server, settings.server_header);
  for (const auto& [field, value] : ex.response_headers) {
    response.insert(field, value);
  }
  if constexpr (IsTls<Stream>) {
    if (!settings.hsts_header.empty()) {
      response.set(http::field::strict_transport_security, settings.hsts_header);
    }
  }
  response.version(11);
  if (switching) {
    response.set(http::field::upgrade, upgraded_to);
    ex.keep_alive = false;  // after the tunnel, the connection is over
  }
  if (body_follows && !parser->content_length()) {
    // Chunked or close-delimited upstream: re-chunk for HTTP/1.1; an HTTP/1.0 client reads
    // the body until the connection closes.
    if (ex.client_version >= 11) {
      response.chunked(true);
    } else {
      ex.keep_alive = false;
    }
  }
  // Decided as the head goes out: a drain that began mid-request still says "close".
  ex.keep_alive = ex.keep_alive && !worker_.draining();
  if (switching) {
    response.set(http::field::connection, "upgrade");
  } else {
    response.keep_alive(ex.keep_alive);
  }
  if (ex.keep_alive && ex.client_version == 10) {
    response.set(http::field::connection, "keep-alive");
  }
  ex.status = response.result_int();
  ex.response_started = true;

  const auto [ec, sent] = co_await write_head(client_, response.base(), head_text_, buffer,
                                              *parser, deadline_, ex.send_timeout);
  if (ec) {
    co_return Fault::ClientGone;
  }
  ex.response_bytes += sent;
  if (switching) {
    co_await tunnel(ex, upstream, buffer);
    co_return Fault::None;
  }
  if (body_follows) {
    switch (co_await relay_body(
        upstream, buffer, parser->content_length(), parser->chunked(), client_, response.chunked(),
        std::numeric_limits<std::uint64_t>::max(), sent, ex.relay_buffer->span(), deadline_,
        ex.read_timeout, ex.response_bytes)) {
      case RelayEnd::Complete:
        break;
      case RelayEnd::WriteFailed:
        co_return Fault::ClientGone;
      case RelayEnd::ReadTimedOut:
        co_return Fault::UpstreamTimeout;
      case RelayEnd::ReadFailed:
      case RelayEnd::ReadInvalid:
      case RelayEnd::TooLarge:  // responses have no limit; listed for the compiler
        co_return Fault::UpstreamBroken;
    }
  }
  // The whole response was read (a close-delimited one ends only at close), and nothing
  // unexpected followed it.
  ex.upstream_reusable = parser->keep_alive() &&
                         (parser->content_length() || parser->chunked() || !body_follows) &&
                         buffer.size() == 0;
  co_return Fault::None;
}

// After a 101 the connection is a byte pipe both ways, until either side closes or neither
// sends anything for the route's read timeout (else --tunnel-idle-timeout).
template <class Stream>
template <class Upstream>
net::awaitable<void> HttpSession<Stream>::tunnel(Exchange& ex, Upstream& upstream,
                                                 beast::flat_buffer& buffer) {
  using namespace boost::asio::experimental::awaitable_operators;
  const auto& settings = worker_.settings();
  const auto* policy = ex.route.action->policy.get();
  const auto idle = policy != nullptr && policy->read_timeout ? *policy->read_timeout
                                                              : settings.tunnel_idle_timeout;
  // One idle deadline for the whole tunnel replaces the streams' per-operation timers.
  deadline_.expires_never();
  net::steady_timer watchdog(transport().get_executor());
  auto last_activity = Clock::now();
  auto stop = [&] {
    transport().cancel();
    beast::get_lowest_layer(upstream).cancel();
    watchdog.cancel();
  };
  ++worker_.stats().tunnels;
  co_await (pump(client_, buffer_, upstream, last_activity, stop) &&
            pump(upstream, buffer, client_, last_activity, stop) &&
            watch_idle(watchdog, last_activity, idle, stop));
}

template <class Stream>
net::awaitable<bool> HttpSession<Stream>::send_local_reply(Exchange& ex, unsigned status) {
  http::response<http::string_body> reply{static_cast<http::status>(status), 11};
  reply.set(http::field::server, worker_.settings().server_header);
  if constexpr (IsTls<Stream>) {
    if (!worker_.settings().hsts_header.empty()) {
      reply.set(http::field::strict_transport_security, worker_.settings().hsts_header);
    }
  }
  for (const auto& [field, value] : ex.response_headers) {
    reply.insert(field, value);
  }
  if (status != 204) {
    reply.set(http::field::content_type, "text/plain; charset=utf-8");
    reply.body() = !ex.local_body.empty()
                       ? std::string(ex.local_body)
                       : std::to_string(status) + ' ' +
                             std::string(http::obsolete_reason(reply.result())) + '\n';
  }
  ex.keep_alive = ex.keep_alive && !worker_.draining();
  reply.keep_alive(ex.keep_alive);
  if (ex.keep_alive && ex.client_version == 10) {
    reply.set(http::field::connection, "keep-alive");
  }
  reply.prepare_payload();
  if (ex.head) {
    reply.body().clear();  // the length stays: it is what a GET would have returned
  }
  ex.status = status;
  ex.response_started = true;
  ex.response_bytes = ex.head ? 0 : reply.body().size();
  deadline_.expires_after(worker_.settings().upstream_send_timeout);
  auto [ec, n] = co_await http::async_write(client_, reply, use_nothrow);
  co_return !ec;
}

template <class Stream>
void HttpSession<Stream>::finish(Exchange& ex, Fault fault) {
  auto& stats = worker_.stats();
  const unsigned status = ex.status != 0 ? ex.status : status_for(fault);
  stats.count_request(ex.route.action != nullptr ? std::string_view(ex.route.action->ingress) : "",
                      status, std::chrono::duration<double>(Clock::now() - ex.started).count());
  if (ex.cluster != nullptr &&
      (fault == Fault::UpstreamBroken || fault == Fault::UpstreamUnreachable ||
       fault == Fault::UpstreamTimeout)) {
    ++WorkerStats::entry(stats.services, ex.cluster->name).upstream_errors;
  }
  if (worker_.settings().access_log) {
    write_access_log(ex, status);
  }
  if (status >= 400 && fault != Fault::ClientGone && log::enabled(log::Level::Debug)) {
    log::debug("proxy", "request failed",
               {{"host", std::string(ex.target.host)},
                {"status", std::to_string(status)},
                {"cluster", ex.cluster ? ex.cluster->name : std::string()}});
  }
}

template <class Stream>
void HttpSession<Stream>::count_retry(const Exchange& ex) {
  auto& stats = worker_.stats();
  ++stats.upstream_retries;
  ++WorkerStats::entry(stats.services, ex.cluster->name).retries;
}

// One JSON line per request (--access-log), written whole.
template <class Stream>
void HttpSession<Stream>::write_access_log(const Exchange& ex, unsigned status) {
  const auto seconds = [](Clock::duration d) {
    return std::to_string(std::chrono::duration<double>(d).count());
  };
  std::string line = "{\"time\":\"" + utc_now_rfc3339(3) + "\",\"client\":\"" + client_address_ +
                     "\",\"host\":\"" + log::json_escape(ex.target.host) + "\",\"method\":\"" +
                     log::json_escape(ex.request.method_string()) + "\",\"path\":\"" +
                     log::json_escape(ex.target.upstream_target) +
                     "\",\"status\":" + std::to_string(status) +
                     ",\"bytes\":" + std::to_string(ex.response_bytes) +
                     ",\"request_bytes\":" + std::to_string(ex.request_bytes) +
                     ",\"duration\":" + seconds(Clock::now() - ex.started);
  if (ex.upstream != nullptr) {
    line += ",\"upstream\":\"" + ex.upstream->address.to_string() + ":" +
            std::to_string(ex.upstream->port) + "\",\"upstream_time\":" + seconds(ex.upstream_time);
  }
  if (ex.route.action != nullptr) {
    line += ",\"ingress\":\"" + log::json_escape(ex.route.action->ingress) + "\"";
  }
  line += "}\n";
  log::write_line(line);
}

template class HttpSession<beast::tcp_stream>;
template class HttpSession<TlsStream>;

}  // namespace portico
