#include "proxy/http2/http2_session.hpp"

#include <nghttp2/nghttp2.h>

#include <vector>

#include "proxy/common/log.hpp"
#include "proxy/exchange/error_page.hpp"
#include "proxy/exchange/request_pipeline.hpp"
#include "proxy/exchange/upstream_exchange.hpp"
#include "proxy/http2/header_list.hpp"
#include "proxy/http2/nghttp2_memory.hpp"
#include "proxy/worker/worker.hpp"

namespace portico {
namespace {

// Flow control: each stream may have this much request body in flight before the exchange
// has passed it on, and the connection as many streams' worth; so memory per connection is
// bounded by the window, whatever the clients send.
constexpr std::int32_t StreamWindow = 64 * 1024;

std::string_view view(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// What an error nghttp2 found fatal says about the client.
FloodReason reason_for(int error) {
  switch (error) {
    case NGHTTP2_ERR_TOO_MANY_CONTINUATIONS:
      return FloodReason::ContinuationFlood;
    case NGHTTP2_ERR_FLOODED:
      return FloodReason::PingFlood;  // the client sends PING or SETTINGS faster than it reads
    default:
      return FloodReason::ProtocolError;
  }
}

}  // namespace

// One stream's exchange: the Downstream of UpstreamExchange (see upstream_http1.hpp). It
// bounds the stream's operations with its own Deadline, which also reaches the stream.
template <class Stream>
class Http2Session<Stream>::StreamExchange {
 public:
  StreamExchange(Http2Session& session, std::shared_ptr<Http2Stream> stream)
      : session_(session),
        stream_(std::move(stream)),
        deadline_(session.client_.worker.executor()) {
    deadline_.watch_channel(stream_.get());
    session_.exchanges_.insert(this);
  }
  ~StreamExchange() {
    session_.exchanges_.erase(this);
    session_.wake_writer();  // the connection may be waiting for its last exchange
  }
  StreamExchange(const StreamExchange&) = delete;
  StreamExchange& operator=(const StreamExchange&) = delete;

  static constexpr bool CanTunnel = false;
  std::int32_t stream_id() const { return stream_->id(); }
  // The client reset the stream: whatever the exchange waits for (the backend too) ends now.
  void abandon() {
    abandoned_ = true;
    deadline_.expire_now();
  }
  bool abandoned() const { return abandoned_; }
  Deadline& deadline() { return deadline_; }
  std::string& head_text() { return head_text_; }
  Http2Stream& body_source() { return *stream_; }
  beast::flat_buffer& read_ahead() { return no_read_ahead_; }
  Http2Stream& body_sink() { return *stream_; }
  bool chunked_out() const { return false; }

  Awaitable<std::pair<boost::system::error_code, std::uint64_t>> send_response_head(
      Exchange&, ResponseHeader& response, const BodyFraming& framing, beast::flat_buffer&) {
    if (stream_->closed()) {
      co_return std::pair{boost::system::error_code(net::error::connection_reset),
                          std::uint64_t{0}};
    }
    with_body_ = !framing.done;
    session_.submit_head(*stream_, response, with_body_);
    co_return std::pair{boost::system::error_code(), std::uint64_t{0}};
  }
  Awaitable<bool> end_response(Exchange&, const HeaderFields& trailers) {
    if (with_body_) {
      stream_->trailers_to_send = trailers;
      stream_->end_outbound();
    }
    co_return !stream_->closed();
  }

 private:
  Http2Session& session_;
  std::shared_ptr<Http2Stream> stream_;
  Deadline deadline_;
  std::string head_text_;
  beast::flat_buffer no_read_ahead_;  // HTTP/2 bodies arrive through the stream only
  bool with_body_ = false;            // the response head announced a body
  bool abandoned_ = false;
};

// nghttp2's callbacks. They run inside nghttp2_session_mem_recv/mem_send on the worker's
// thread; they never resume an exchange directly (Http2Stream posts its completions).
template <class Stream>
struct Http2Session<Stream>::Callbacks {
  static Http2Session& self(void* user) { return *static_cast<Http2Session*>(user); }

  static int on_begin_frame(nghttp2_session*, const nghttp2_frame_hd* hd, void* user) {
    auto& s = self(user);
    if (hd->type == NGHTTP2_CONTINUATION && !s.guard_.on_continuation()) {
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    return 0;
  }

  static int on_begin_headers(nghttp2_session* session, const nghttp2_frame* frame, void* user) {
    auto& s = self(user);
    s.guard_.on_headers_start();
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
      return 0;  // trailers: checked by the guard, not forwarded to an HTTP/1.1 upstream
    }
    const std::int32_t id = frame->hd.stream_id;
    auto stream = std::make_shared<Http2Stream>(id, s.client_.worker.executor(),
                                                static_cast<Http2Connection&>(s));
    nghttp2_session_set_stream_user_data(session, id, stream.get());
    s.streams_.add(std::move(stream));
    // keep-alive-requests (the global ConfigMap's): this stream is the connection's last. At
    // or past it, as HTTP/1.1 counts (the limit may have been lowered since the connection
    // began), and once: streams read along with this one come here too, and a second GOAWAY
    // may not name a later stream.
    if (const auto limit = s.client_.worker.settings().client_max_requests;
        limit != 0 && ++s.requests_ >= limit && !s.last_stream_named_) {
      s.last_stream_named_ = true;
      s.end_after(id);
    }
    return 0;
  }

  static int on_header(nghttp2_session* session, const nghttp2_frame* frame,
                       const std::uint8_t* name, std::size_t name_length, const std::uint8_t* value,
                       std::size_t value_length, std::uint8_t, void* user) {
    auto& s = self(user);
    // RFC 9113 §6.5.2 counts 32 bytes of overhead per field.
    if (!s.guard_.on_header_field(name_length + value_length + 32,
                                  s.client_.worker.settings().max_header_bytes)) {
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
      return 0;
    }
    auto* stream = static_cast<Http2Stream*>(
        nghttp2_session_get_stream_user_data(session, frame->hd.stream_id));
    if (stream == nullptr) {
      return 0;
    }
    add_field(*stream, view(name, name_length), view(value, value_length));
    return 0;
  }

  // Builds the HTTP/1.1-shaped head every phase reads: :method and :path as the request
  // line, :authority as Host (RFC 9113 §8.3.1), cookies joined again (§8.2.3).
  static void add_field(Http2Stream& stream, std::string_view name, std::string_view value) {
    auto& head = stream.request;
    if (name == ":method") {
      head.method_string(value);
    } else if (name == ":path") {
      head.target(value);
    } else if (name == ":authority") {
      if (auto existing = head[http::field::host]; !existing.empty() && existing != value) {
        stream.malformed = true;  // a Host naming another authority than :authority
      }
      head.set(http::field::host, value);
    } else if (name.starts_with(':')) {
      // :scheme is implied by the listener; nghttp2 has refused any other pseudo-header.
    } else if (name == "host") {
      if (auto existing = head[http::field::host]; !existing.empty() && existing != value) {
        stream.malformed = true;
      } else if (existing.empty()) {
        head.set(http::field::host, value);
      }
    } else {
      head.insert(name, value);  // cookie crumbs too: join_cookies() makes them one field
    }
  }

  // The cookie crumbs of a request, one field each on the wire, as the one Cookie field an
  // HTTP/1.1 backend expects (RFC 9113 §8.2.3). Joined once the head is whole: joining at
  // each crumb would copy the growing list once per crumb.
  static void join_cookies(RequestHeader& head) {
    if (head.count(http::field::cookie) < 2) {
      return;
    }
    std::string joined;
    head.for_each_value(http::field::cookie, [&](std::string_view crumb) {
      joined.append(joined.empty() ? "" : "; ").append(crumb);
    });
    head.set(http::field::cookie, joined);
  }

  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto& s = self(user);
    const auto now = FloodGuard::Clock::now();
    bool allowed = true;
    if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
      if (Http2Stream* stream = s.streams_.find(frame->hd.stream_id)) {
        stream->end_inbound();
      }
    }
    switch (frame->hd.type) {
      case NGHTTP2_HEADERS:
        s.guard_.on_header_list_end();
        if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
          if (Http2Stream* stream = s.streams_.find(frame->hd.stream_id)) {
            join_cookies(stream->request);
          }
          s.start_exchange(frame->hd.stream_id);  // runs until its first wait, here
        }
        break;
      case NGHTTP2_DATA:
        if (frame->hd.length == 0 && !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
          allowed = s.guard_.on_empty_data(now);
        }
        break;
      case NGHTTP2_RST_STREAM:
        ++s.client_.worker.stats().http2_resets_received;
        allowed = s.guard_.on_reset(now);
        break;
      case NGHTTP2_SETTINGS:
        allowed = (frame->hd.flags & NGHTTP2_FLAG_ACK) || s.guard_.on_settings(now);
        break;
      case NGHTTP2_PING:
        allowed = (frame->hd.flags & NGHTTP2_FLAG_ACK) || s.guard_.on_ping(now);
        break;
      default:
        break;
    }
    return allowed ? 0 : NGHTTP2_ERR_CALLBACK_FAILURE;
  }

  static int on_data_chunk(nghttp2_session* session, std::uint8_t, std::int32_t stream_id,
                           const std::uint8_t* data, std::size_t size, void* user) {
    self(user).streams_.deliver(session, stream_id, data, size);
    return 0;
  }

  static int on_stream_close(nghttp2_session*, std::int32_t stream_id, std::uint32_t error_code,
                             void* user) {
    auto& s = self(user);
    s.streams_.close(stream_id, error_code);
    if (error_code != NGHTTP2_NO_ERROR) {
      for (StreamExchange* exchange : s.exchanges_) {
        if (exchange->stream_id() == stream_id) {
          exchange->abandon();
        }
      }
    }
    return 0;
  }
};

template <class Stream>
Http2Session<Stream>::Http2Session(ClientConnection client, Stream stream,
                                   beast::flat_buffer read_ahead, Deadline deadline)
    : Wire(std::move(stream), std::move(deadline), client.worker.settings().upstream_send_timeout),
      client_(std::move(client)),
      read_ahead_(std::move(read_ahead)) {
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_on_begin_frame_callback(callbacks, Callbacks::on_begin_frame);
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, Callbacks::on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, Callbacks::on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, Callbacks::on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, Callbacks::on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, Callbacks::on_stream_close);
  nghttp2_option* options = nullptr;
  nghttp2_option_new(&options);
  // Window updates follow what the exchanges have passed on, not what arrived.
  nghttp2_option_set_no_auto_window_update(options, 1);
  // The library's own limits stay as a second line behind FloodGuard's (which names the
  // reason): its reset limit above ours.
  nghttp2_option_set_stream_reset_rate_limit(options, 2000, 200);
  nghttp2_session_server_new3(&session_, callbacks, this, options, nghttp2_memory());
  nghttp2_option_del(options);
  nghttp2_session_callbacks_del(callbacks);

  const auto& settings = client.worker.settings();
  const std::uint32_t streams = settings.http2_max_concurrent_streams;
  const nghttp2_settings_entry entries[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<std::uint32_t>(StreamWindow)},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE,
       static_cast<std::uint32_t>(settings.max_header_bytes)},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, entries, std::size(entries));
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                        static_cast<std::int32_t>(streams) * StreamWindow);
  client_.worker.add_session(this);
  auto& stats = client_.worker.stats();
  ++stats.client_connections;
  ++stats.http2_connections;
}

template <class Stream>
Http2Session<Stream>::~Http2Session() {
  --client_.worker.stats().client_connections;
  client_.worker.remove_session(this);
}

// Graceful: GOAWAY names the last stream this connection will serve; those finish, then the
// connection closes (write_loop sees nothing left to read or write).
template <class Stream>
void Http2Session<Stream>::drain() {
  if (closing_) {
    return;
  }
  end_after(nghttp2_session_get_last_proc_stream_id(session_));
  ++client_.worker.stats().http2_goaways_drain;
}

template <class Stream>
void Http2Session<Stream>::end_after(std::int32_t last_stream_id) {
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, last_stream_id, NGHTTP2_NO_ERROR, nullptr, 0);
  wake_writer();
}

template <class Stream>
Awaitable<void> Http2Session<Stream>::run() {
  if (client_.worker.draining()) {
    drain();
  }
  co_await this->run_wire(read_ahead_);
  // The connection is over: streams still open are reset, exchanges still running end now.
  streams_.close_all();
  while (!exchanges_.empty()) {
    for (StreamExchange* exchange : exchanges_) {
      exchange->deadline().expire_now();
    }
    co_await this->wait_for_wake();
  }
  close_quietly(beast::get_lowest_layer(this->stream_));
}

// Idle: no exchange running. While one runs, each has its own deadline.
template <class Stream>
std::chrono::steady_clock::duration Http2Session<Stream>::read_timeout() const {
  return exchanges_.empty()
             ? std::chrono::steady_clock::duration(client_.worker.settings().client_idle_timeout)
             : std::chrono::steady_clock::duration::max();
}

template <class Stream>
void Http2Session<Stream>::on_fatal(int error) {
  fail(guard_.violation() != FloodReason::None ? guard_.violation() : reason_for(error));
}

template <class Stream>
void Http2Session<Stream>::fail(FloodReason reason) {
  if (closing_) {
    return;
  }
  closing_ = true;
  ++client_.worker.stats().http2_goaways_abuse[static_cast<std::size_t>(reason)];
  log::warn("http2", "connection closed with GOAWAY",
            {{"client", client_.address}, {"reason", std::string(flood_reason_name(reason))}});
  nghttp2_session_terminate_session(session_, reason == FloodReason::ProtocolError
                                                  ? NGHTTP2_PROTOCOL_ERROR
                                                  : NGHTTP2_ENHANCE_YOUR_CALM);
  wake_writer();
}

template <class Stream>
void Http2Session<Stream>::consumed(std::int32_t stream_id, std::size_t bytes) {
  if (nghttp2_session_consume(session_, stream_id, bytes) != 0) {
    nghttp2_session_consume_connection(session_, bytes);  // the stream is already gone
  }
  wake_writer();
}

template <class Stream>
void Http2Session<Stream>::outbound_ready(std::int32_t stream_id) {
  nghttp2_session_resume_data(session_, stream_id);
  wake_writer();
}

template <class Stream>
void Http2Session<Stream>::start_exchange(std::int32_t stream_id) {
  const auto shared = streams_.share(stream_id);
  if (!shared || closing_) {
    return;
  }
  auto& stream = *shared;
  stream.request.version(11);
  // nghttp2 checked content-length against the DATA frames; it frames the body here.
  stream.request_framing.length = content_length_of(stream.request[http::field::content_length]);
  net::co_spawn(client_.worker.executor(), serve_stream(shared),
                [](std::exception_ptr error) { log::unexpected("http2", "stream", error); });
}

// One stream, start to end: the phases every codec shares, then a local reply on a fault.
template <class Stream>
Awaitable<void> Http2Session<Stream>::serve_stream(std::shared_ptr<Http2Stream> stream) {
  StreamExchange down(*this, stream);
  Exchange ex(stream->request, Protocol::Http2, client_);
  ex.body = stream->request_framing;
  ex.body.done = stream->inbound_ended();  // END_STREAM came with the HEADERS
  Fault fault = co_await proxy(ex, down);
  if (down.abandoned()) {
    fault = Fault::ClientGone;  // what ended the exchange, whatever it was waiting for
  }
  if (fault != Fault::None && !stream->closed()) {
    if (ex.response_started) {
      // The client has a head already: only a reset tells it the body was cut short.
      nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream->id(), NGHTTP2_INTERNAL_ERROR);
      wake_writer();
    } else if (fault != Fault::ClientGone) {
      const unsigned status = reply_status(ex, fault);
      co_await fetch_error_page(client_, ex, status, down.deadline());
      if (!stream->closed()) {  // the client may have reset it meanwhile
        send_local_reply(ex, *stream, status);
      }
    }
  }
  if (fault == Fault::ClientGone && down.deadline().expired() && !stream->closed() &&
      (nghttp2_session_get_stream_remote_window_size(session_, stream->id()) <= 0 ||
       nghttp2_session_get_remote_window_size(session_) <= 0)) {
    fail(FloodReason::WindowStalled);  // the client never made room for the response
  }
  stream->discard_inbound();
  finish_exchange(client_, ex, fault);
}

template <class Stream>
Awaitable<Fault> Http2Session<Stream>::proxy(Exchange& ex, StreamExchange& down) {
  if (down.body_source().malformed) {
    co_return Fault::BadRequest;
  }
  const Endpoint* endpoint = nullptr;
  Fault fault = plan_exchange(client_, ex, false, endpoint);
  if (fault == Fault::AuthPending) {
    fault = co_await plan_after_external_auth(client_, ex, down.deadline(), endpoint);
  }
  if (fault != Fault::None) {
    co_return fault;
  }
  co_return co_await exchange_upstream(client_, down, ex, *endpoint);
}

// A response head as HTTP/2 fields: :status first, then the rest (HeaderList: lowercase,
// nothing connection-specific).
template <class Stream>
void Http2Session<Stream>::submit_head(Http2Stream& stream, const ResponseHeader& head,
                                       bool with_body) {
  fields_.clear();
  fields_.add(":status", std::to_string(head.result_int()));
  fields_.add_fields(head);
  const nghttp2_data_provider provider = stream.data_provider();
  nghttp2_submit_response(session_, stream.id(), fields_.data(), fields_.size(),
                          with_body ? &provider : nullptr);
  wake_writer();
}

template <class Stream>
void Http2Session<Stream>::send_local_reply(Exchange& ex, Http2Stream& stream, unsigned status) {
  auto reply = local_reply(client_, ex, status);
  const bool with_body = !reply.body().empty();
  if (with_body) {
    stream.set_outbound(std::move(reply.body()));
  }
  submit_head(stream, reply.base(), with_body);
}

template class Http2Session<TcpSocket>;
template class Http2Session<TlsSocket>;

}  // namespace portico
