#include "proxy/http2/http2_stream.hpp"

#include <algorithm>
#include <boost/asio/error.hpp>
#include <cstring>

namespace portico {

namespace error = boost::asio::error;

void Http2Stream::receive(const std::uint8_t* data, std::size_t size) {
  if (discarding_) {
    connection_.consumed(id_, size);
    return;
  }
  request_.append(reinterpret_cast<const char*>(data), size);
  try_read();
}

void Http2Stream::end_of_request() {
  request_ended_ = true;
  try_read();
}

void Http2Stream::close(boost::system::error_code why) {
  closed_ = true;
  closed_with_ = why;
  try_read();
  try_write(false);
}

void Http2Stream::discard_request_body() {
  discarding_ = true;
  if (!request_.empty()) {
    connection_.consumed(id_, request_.size());
    request_.clear();
  }
}

std::size_t Http2Stream::take_response(std::uint8_t* out, std::size_t size, bool& end) {
  const std::size_t n = std::min(size, response_.size());
  std::memcpy(out, response_.data(), n);
  response_.erase(0, n);
  end = response_ended_ && response_.empty();
  try_write(false);  // nghttp2 is taking data already: nothing to resume
  return n;
}

void Http2Stream::end_response() {
  response_ended_ = true;
  connection_.response_ready(id_);
}

void Http2Stream::interrupt() {
  if (reader_) {
    complete(reader_, error::operation_aborted, 0);
  }
  if (writer_) {
    complete(writer_, error::operation_aborted, 0);
  }
}

void Http2Stream::start_read(Handler handler, boost::asio::mutable_buffer into) {
  reader_.emplace(std::move(handler));
  read_into_ = into;
  try_read();
}

void Http2Stream::start_write(Handler handler, boost::asio::const_buffer from) {
  writer_.emplace(std::move(handler));
  write_from_ = from;
  try_write(true);
}

// A read completes with bytes when there are some, with eof at the end of the request, and
// with the close's error once the stream is gone.
void Http2Stream::try_read() {
  if (!reader_) {
    return;
  }
  if (!request_.empty()) {
    const std::size_t n = std::min(read_into_.size(), request_.size());
    std::memcpy(read_into_.data(), request_.data(), n);
    request_.erase(0, n);
    connection_.consumed(id_, n);
    complete(reader_, {}, n);
  } else if (request_ended_) {
    complete(reader_, error::eof, 0);
  } else if (closed_) {
    complete(reader_, closed_with_, 0);
  }
}

// A write completes once its bytes fit in the queue: a client that does not read holds the
// exchange here (and the deadline ends the wait), with at most ResponseQueueLimit queued.
void Http2Stream::try_write(bool notify) {
  if (!writer_) {
    return;
  }
  if (closed_) {
    complete(writer_, closed_with_ ? closed_with_ : error::connection_reset, 0);
    return;
  }
  if (response_.size() >= ResponseQueueLimit) {
    return;
  }
  const std::size_t n = std::min(write_from_.size(), ResponseQueueLimit - response_.size());
  response_.append(static_cast<const char*>(write_from_.data()), n);
  if (notify) {
    connection_.response_ready(id_);
  }
  complete(writer_, {}, n);
}

void Http2Stream::complete(std::optional<Handler>& pending, boost::system::error_code ec,
                           std::size_t n) {
  boost::asio::post(executor_, [handler = Handler(std::move(*pending)), ec, n]() mutable {
    std::move(handler)(ec, n);
  });
  pending.reset();
}

}  // namespace portico
