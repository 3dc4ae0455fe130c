#pragma once
// Http2Stream: one HTTP/2 stream as the exchange sees it. Its request head is assembled by
// the session from HEADERS; its bodies are two bounded byte queues that the exchange reads
// and writes as Asio streams (async_read_some / async_write_some), so the same body relay
// templates serve HTTP/1.1 sockets and HTTP/2 streams:
//   request body:  session (DATA frames) -> queue -> exchange reads; what the exchange has
//                  read is given back to the client as flow-control window, so a slow
//                  upstream slows the client down and memory stays flat.
//   response body: exchange writes -> queue (at most ResponseQueueLimit) -> nghttp2's data
//                  provider takes it as the client's window allows.
// Pending operations complete through the stream's executor, never inside nghttp2's
// callbacks. Owned jointly (shared_ptr) by the session's stream table and the exchange's
// coroutine; used on the worker's thread only.
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/system/error_code.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "proxy/exchange/body_framing.hpp"
#include "proxy/session/deadline.hpp"

namespace portico {

// What a stream needs of the connection it belongs to.
class Http2Connection {
 public:
  // The exchange took `bytes` of the request body: the client may send that much more.
  virtual void consumed(std::int32_t stream_id, std::size_t bytes) = 0;
  // More of the response body (or its end) is queued: send it.
  virtual void response_ready(std::int32_t stream_id) = 0;

 protected:
  ~Http2Connection() = default;
};

class Http2Stream final : public Interruptible {
 public:
  using executor_type = boost::asio::any_io_executor;
  using Handler = boost::asio::any_completion_handler<void(boost::system::error_code, std::size_t)>;
  static constexpr std::size_t ResponseQueueLimit = 64 * 1024;

  Http2Stream(std::int32_t id, executor_type executor, Http2Connection& connection)
      : id_(id), executor_(std::move(executor)), connection_(connection) {}

  std::int32_t id() const noexcept { return id_; }
  executor_type get_executor() const noexcept { return executor_; }

  // The request head, as the session assembled it from HEADERS (HTTP/1.1-shaped: Host is
  // :authority), and how its body is framed.
  boost::beast::http::request_header<> head;
  BodyFraming framing;
  std::size_t field_count = 0;
  bool malformed = false;  // a rule of RFC 9113 §8 that nghttp2 leaves to the application

  // --- The session's side. ---
  void receive(const std::uint8_t* data, std::size_t size);  // a DATA frame's payload
  void end_of_request();                                     // END_STREAM from the client
  // The stream is gone (reset or closed): pending and later operations fail.
  void close(boost::system::error_code why);
  bool closed() const noexcept { return closed_; }
  // Whether nothing reads the request body any more (its bytes are then just given back).
  bool discarding() const noexcept { return discarding_; }
  // nghttp2's data provider: up to `size` response bytes into `out`; `end` when that was all.
  std::size_t take_response(std::uint8_t* out, std::size_t size, bool& end);
  bool request_ended() const noexcept { return request_ended_; }

  // --- The exchange's side. ---
  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, boost::asio::mutable_buffer into) {
          start_read(Handler(std::move(handler)), into);
        },
        token, first_buffer(buffers));
  }
  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, boost::asio::const_buffer from) {
          start_write(Handler(std::move(handler)), from);
        },
        token, first_buffer(buffers));
  }
  // The response body is complete.
  void end_response();
  // A whole response body at once (a local reply's).
  void set_response(std::string body) {
    response_ = std::move(body);
    response_ended_ = true;
  }
  // The exchange no longer reads the request body.
  void discard_request_body();
  // Deadline: fail the pending read or write with operation_aborted.
  void interrupt() override;

 private:
  template <class Buffers>
  static auto first_buffer(const Buffers& buffers) {
    return *boost::asio::buffer_sequence_begin(buffers);
  }
  void start_read(Handler handler, boost::asio::mutable_buffer into);
  void start_write(Handler handler, boost::asio::const_buffer from);
  void try_read();
  void try_write(bool notify);  // notify: tell the connection that data is queued
  void complete(std::optional<Handler>& handler, boost::system::error_code ec, std::size_t n);

  std::int32_t id_;
  executor_type executor_;
  Http2Connection& connection_;
  std::string request_;   // received, not yet read; bounded by the stream's window
  std::string response_;  // written, not yet sent
  // Optional, not empty handlers: Boost 1.81's any_completion_handler move-assignment
  // recurses without end (it wraps itself), so these are only ever move-constructed.
  std::optional<Handler> reader_;
  boost::asio::mutable_buffer read_into_;
  std::optional<Handler> writer_;
  boost::asio::const_buffer write_from_;
  boost::system::error_code closed_with_;
  bool request_ended_ = false;
  bool response_ended_ = false;
  bool discarding_ = false;
  bool closed_ = false;
};

}  // namespace portico
