#include "proxy/http2/http2_upstream.hpp"

#include <boost/asio/co_spawn.hpp>
#include <charconv>

#include "proxy/common/log.hpp"
#include "proxy/http2/header_list.hpp"
#include "proxy/http2/http2_wire.hpp"
#include "proxy/http2/nghttp2_memory.hpp"
#include "proxy/http2/stream_table.hpp"

namespace portico {
namespace {

// Flow control toward the backend's responses: per stream as downstream, and room for many.
constexpr std::int32_t StreamWindow = 64 * 1024;
constexpr std::int32_t ConnectionWindow = 4 * 1024 * 1024;

template <class Stream>
class Http2Upstream final : public Http2UpstreamLink,
                            private Http2Connection,
                            private Http2Wire<Stream>,
                            public std::enable_shared_from_this<Http2Upstream<Stream>> {
 public:
  Http2Upstream(Stream stream, Deadline read_deadline, std::chrono::milliseconds idle_timeout,
                std::chrono::milliseconds send_timeout)
      : Wire(std::move(stream), std::move(read_deadline), send_timeout),
        idle_timeout_(idle_timeout) {
    nghttp2_session_callbacks* callbacks = nullptr;
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, on_stream_close);
    nghttp2_option* options = nullptr;
    nghttp2_option_new(&options);
    // Window updates follow what the exchanges have passed on to their clients.
    nghttp2_option_set_no_auto_window_update(options, 1);
    nghttp2_session_client_new3(&session_, callbacks, this, options, nghttp2_memory());
    nghttp2_option_del(options);
    nghttp2_session_callbacks_del(callbacks);
    const nghttp2_settings_entry entries[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<std::uint32_t>(StreamWindow)},
    };
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, entries, std::size(entries));
    nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, ConnectionWindow);
  }

  void start() {
    net::co_spawn(
        beast::get_lowest_layer(this->stream_).get_executor(),
        [self = this->shared_from_this()]() -> Awaitable<void> { co_await self->run(); },
        [](std::exception_ptr error) {
          log::unexpected("proxy", "HTTP/2 upstream connection", error);
        });
  }

  bool usable() const override {
    return !closing_ && !goaway_ && nghttp2_session_check_request_allowed(session_) != 0;
  }
  std::size_t load() const override { return streams_.size(); }
  std::size_t capacity() const override {
    return nghttp2_session_get_remote_settings(session_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
  }

  std::shared_ptr<Http2Stream> start_request(const RequestHeader& head, bool grpc,
                                             bool has_body) override {
    HeaderList& fields = fields_;
    fields.clear();
    fields.add(":method", head.method_string());
    fields.add(":scheme", std::is_same_v<Stream, TcpSocket> ? "http" : "https");
    fields.add(":authority", head[http::field::host]);
    fields.add(":path", head.target());
    fields.add_fields(head);
    if (grpc) {
      fields.add("te", "trailers");
    }
    auto stream =
        std::make_shared<Http2Stream>(0, beast::get_lowest_layer(this->stream_).get_executor(),
                                      static_cast<Http2Connection&>(*this));
    const nghttp2_data_provider provider = stream->data_provider();
    const std::int32_t id = nghttp2_submit_request(session_, nullptr, fields.data(), fields.size(),
                                                   has_body ? &provider : nullptr, nullptr);
    if (id < 0) {
      return nullptr;
    }
    stream->set_id(id);
    streams_.add(stream);
    this->wake_writer();
    return stream;
  }

  void cancel(const Http2Stream& stream) override {
    if (streams_.find(stream.id()) != nullptr) {
      nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream.id(), NGHTTP2_CANCEL);
      this->wake_writer();
    }
  }

 private:
  using Wire = Http2Wire<Stream>;
  using Wire::closing_;
  using Wire::session_;

  Awaitable<void> run() {
    beast::flat_buffer nothing_read_yet;
    co_await this->run_wire(nothing_read_yet);
    closing_ = true;
    streams_.close_all();
    close_quietly(beast::get_lowest_layer(this->stream_));
  }

  // Idle (no stream) for the upstream idle timeout: closed, as idle HTTP/1.1 ones are.
  std::chrono::steady_clock::duration read_timeout() const override {
    return streams_.empty() ? std::chrono::steady_clock::duration(idle_timeout_)
                            : std::chrono::steady_clock::duration::max();
  }
  void on_fatal(int error) override {
    log::debug("proxy", "HTTP/2 upstream connection failed", {{"error", nghttp2_strerror(error)}});
    closing_ = true;
  }
  void consumed(std::int32_t stream_id, std::size_t bytes) override {
    if (nghttp2_session_consume(session_, stream_id, bytes) != 0) {
      nghttp2_session_consume_connection(session_, bytes);
    }
    this->wake_writer();
  }
  void outbound_ready(std::int32_t stream_id) override {
    nghttp2_session_resume_data(session_, stream_id);
    this->wake_writer();
  }

  static Http2Upstream& self(void* user) { return *static_cast<Http2Upstream*>(user); }

  // The response head until it has arrived, then trailers. An interim (1xx) head is
  // dropped when its HEADERS frame ends.
  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
                       std::size_t name_length, const std::uint8_t* value, std::size_t value_length,
                       std::uint8_t, void* user) {
    Http2Stream* stream = self(user).streams_.find(frame->hd.stream_id);
    if (stream == nullptr || frame->hd.type != NGHTTP2_HEADERS) {
      return 0;
    }
    const std::string_view n(reinterpret_cast<const char*>(name), name_length);
    const std::string_view v(reinterpret_cast<const char*>(value), value_length);
    if (stream->head_complete()) {
      stream->received_trailers.insert(n, v);
    } else if (n == ":status") {
      unsigned status = 0;
      std::from_chars(v.data(), v.data() + v.size(), status);
      stream->response.result(status);
    } else if (!n.starts_with(':')) {
      stream->response.insert(n, v);
    }
    return 0;
  }

  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto& s = self(user);
    if (frame->hd.type == NGHTTP2_GOAWAY) {
      s.goaway_ = true;
      return 0;
    }
    Http2Stream* stream = s.streams_.find(frame->hd.stream_id);
    if (stream == nullptr) {
      return 0;
    }
    if (frame->hd.type == NGHTTP2_HEADERS && !stream->head_complete()) {
      if (stream->response.result_int() < 200) {
        stream->response = {};  // interim: the final head follows
      } else {
        stream->head_arrived((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0);
      }
    }
    if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
      stream->end_inbound();
    }
    return 0;
  }

  static int on_data_chunk(nghttp2_session* session, std::uint8_t, std::int32_t stream_id,
                           const std::uint8_t* data, std::size_t size, void* user) {
    self(user).streams_.deliver(session, stream_id, data, size);
    return 0;
  }

  static int on_stream_close(nghttp2_session*, std::int32_t stream_id, std::uint32_t error_code,
                             void* user) {
    self(user).streams_.close(stream_id, error_code);
    return 0;
  }

  std::chrono::milliseconds idle_timeout_;
  Http2StreamTable streams_;
  HeaderList fields_;  // reused by every request head
  bool goaway_ = false;
};

}  // namespace

std::shared_ptr<Http2UpstreamLink> start_http2_upstream(UpstreamStream stream,
                                                        std::chrono::milliseconds idle_timeout,
                                                        std::chrono::milliseconds send_timeout) {
  return std::visit(
      [&](auto& connected) -> std::shared_ptr<Http2UpstreamLink> {
        using Stream = std::decay_t<decltype(connected)>;
        Deadline read_deadline(beast::get_lowest_layer(connected).get_executor());
        auto connection = std::make_shared<Http2Upstream<Stream>>(
            std::move(connected), std::move(read_deadline), idle_timeout, send_timeout);
        connection->start();
        return connection;
      },
      stream);
}

}  // namespace portico
