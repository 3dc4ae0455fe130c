#pragma once
// Http2Stream: one HTTP/2 stream as an exchange sees it, at either end of the proxy: a
// client's request stream (downstream) or Portico's own stream to an HTTP/2 backend
// (upstream). Its bodies are two bounded byte queues that the exchange reads and writes as
// Asio streams (async_read_some / async_write_some), so the same body relay templates serve
// HTTP/1.1 sockets and HTTP/2 streams:
//   inbound:  DATA frames -> queue -> the exchange reads; what it has read is given back to
//             the peer as flow-control window, so a slow reader slows the sender down and
//             memory stays flat.
//   outbound: the exchange writes -> queue (at most OutboundQueueLimit) -> nghttp2's data
//             provider takes it as the peer's window allows; trailers may follow.
// Pending operations complete through the stream's executor, never inside nghttp2's
// callbacks. Owned jointly (shared_ptr) by its connection's stream table and the exchange's
// coroutine; used on the worker's thread only.
#include <nghttp2/nghttp2.h>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "proxy/exchange/body_framing.hpp"
#include "proxy/exchange/header_fields.hpp"
#include "proxy/net.hpp"
#include "proxy/session/deadline.hpp"

namespace portico {

// What a stream needs of the connection it belongs to.
class Http2Connection {
 public:
  // The exchange took `bytes` of the inbound body: the peer may send that much more.
  virtual void consumed(std::int32_t stream_id, std::size_t bytes) = 0;
  // More of the outbound body (or its end) is queued: send it.
  virtual void outbound_ready(std::int32_t stream_id) = 0;

 protected:
  ~Http2Connection() = default;
};

class Http2Stream final : public Interruptible {
 public:
  using executor_type = Executor;
  using Handler = boost::asio::any_completion_handler<void(boost::system::error_code, std::size_t)>;
  static constexpr std::size_t OutboundQueueLimit = 64 * 1024;

  Http2Stream(std::int32_t id, executor_type executor, Http2Connection& connection)
      : id_(id), executor_(std::move(executor)), connection_(connection) {}

  std::int32_t id() const noexcept { return id_; }
  void set_id(std::int32_t id) noexcept { id_ = id; }  // an upstream stream's, once submitted
  executor_type get_executor() const noexcept { return executor_; }

  // Downstream: the request head as the session assembled it from HEADERS (HTTP/1.1-shaped:
  // Host is :authority) and its body's framing.
  RequestHeader request;
  BodyFraming request_framing;
  bool malformed = false;  // a rule of RFC 9113 §8 that nghttp2 leaves to the application
  // Upstream: the response head and trailers the backend sent.
  ResponseHeader response;
  HeaderFields received_trailers;
  // Either end: trailers to send after the outbound body (gRPC's status).
  HeaderFields trailers_to_send;

  // --- The connection's side. ---
  void receive(const std::uint8_t* data, std::size_t size);  // a DATA frame's payload
  void end_inbound();                                        // END_STREAM from the peer
  // Upstream: the response head has arrived; `ends_stream`: and no body follows it.
  void head_arrived(bool ends_stream);
  // The stream is gone (reset or closed): pending and later operations fail.
  void close(boost::system::error_code why);
  bool closed() const noexcept { return closed_; }
  bool inbound_ended() const noexcept { return inbound_ended_; }
  bool head_complete() const noexcept { return head_arrived_; }
  bool head_only() const noexcept { return head_only_; }
  // nghttp2's data provider for the outbound body (and trailers) of this stream.
  nghttp2_data_provider data_provider() noexcept;

  // --- The exchange's side. ---
  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, boost::asio::mutable_buffer into) {
          start_read(Handler(std::move(handler)), into);
        },
        token, *boost::asio::buffer_sequence_begin(buffers));
  }
  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, boost::asio::const_buffer from) {
          start_write(Handler(std::move(handler)), from);
        },
        token, *boost::asio::buffer_sequence_begin(buffers));
  }
  // Upstream: completes once the response head has arrived (or the stream is gone).
  template <class Token>
  auto async_wait_head(Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler) { start_head_wait(Handler(std::move(handler))); }, token);
  }
  // The outbound body is complete (trailers_to_send, if any, follow it).
  void end_outbound();
  // A whole outbound body at once (a local reply's).
  void set_outbound(std::string body);
  // Nothing reads the inbound body any more: its bytes are given back as they come.
  void discard_inbound();
  // Deadline: fail the pending operations with operation_aborted.
  void interrupt() override;

 private:
  static ssize_t provide(nghttp2_session* session, std::int32_t stream_id, std::uint8_t* out,
                         std::size_t size, std::uint32_t* flags, nghttp2_data_source* source,
                         void* user);
  void start_read(Handler handler, boost::asio::mutable_buffer into);
  void start_write(Handler handler, boost::asio::const_buffer from);
  void start_head_wait(Handler handler);
  void try_read();
  void try_write(bool notify);  // notify: tell the connection that data is queued
  void try_head();
  void complete(std::optional<Handler>& pending, boost::system::error_code ec, std::size_t n);

  std::int32_t id_;
  executor_type executor_;
  Http2Connection& connection_;
  std::string inbound_;   // received, not yet read; bounded by the stream's window
  std::string outbound_;  // written, not yet sent
  // Optional, not empty handlers: Boost 1.81's any_completion_handler move-assignment
  // recurses without end (it wraps itself), so these are only ever move-constructed.
  std::optional<Handler> reader_;
  boost::asio::mutable_buffer read_into_;
  std::optional<Handler> writer_;
  boost::asio::const_buffer write_from_;
  std::optional<Handler> head_waiter_;
  boost::system::error_code closed_with_;
  bool inbound_ended_ = false;
  bool outbound_ended_ = false;
  bool head_arrived_ = false;
  bool head_only_ = false;
  bool discarding_ = false;
  bool closed_ = false;
};

}  // namespace portico
