#include "proxy/http2/http2_stream.hpp"

#include <algorithm>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <cstring>

#include "proxy/http2/header_list.hpp"

namespace portico {

namespace error = boost::asio::error;

void Http2Stream::receive(const std::uint8_t* data, std::size_t size) {
  if (discarding_) {
    connection_.consumed(id_, size);
    return;
  }
  inbound_.append(reinterpret_cast<const char*>(data), size);
  try_read();
}

void Http2Stream::end_inbound() {
  inbound_ended_ = true;
  try_read();
}

void Http2Stream::head_arrived(bool ends_stream) {
  head_arrived_ = true;
  head_only_ = ends_stream;
  try_head();
}

void Http2Stream::close(boost::system::error_code why) {
  closed_ = true;
  closed_with_ = why;
  try_read();
  try_write(false);
  try_head();
}

void Http2Stream::discard_inbound() {
  discarding_ = true;
  if (!inbound_.empty()) {
    connection_.consumed(id_, inbound_.size());
    inbound_.clear();
  }
}

nghttp2_data_provider Http2Stream::data_provider() noexcept {
  nghttp2_data_provider provider{};
  provider.source.ptr = this;
  provider.read_callback = provide;
  return provider;
}

// Queued bytes, the end of the body, and the trailers after it (submitted from here, as
// nghttp2 asks: NO_END_STREAM, then the trailers' HEADERS ends the stream).
ssize_t Http2Stream::provide(nghttp2_session* session, std::int32_t stream_id, std::uint8_t* out,
                             std::size_t size, std::uint32_t* flags, nghttp2_data_source* source,
                             void*) {
  auto& stream = *static_cast<Http2Stream*>(source->ptr);
  const std::size_t n = std::min(size, stream.outbound_.size());
  std::memcpy(out, stream.outbound_.data(), n);
  stream.outbound_.erase(0, n);
  stream.try_write(false);  // nghttp2 is taking data already: nothing to resume
  if (!stream.outbound_ended_ || !stream.outbound_.empty()) {
    // Nothing queued yet: deferred until outbound_ready() resumes it.
    return n == 0 ? ssize_t{NGHTTP2_ERR_DEFERRED} : static_cast<ssize_t>(n);
  }
  *flags |= NGHTTP2_DATA_FLAG_EOF;
  if (stream.trailers_to_send.begin() != stream.trailers_to_send.end()) {
    *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
    HeaderList trailers;
    trailers.add_fields(stream.trailers_to_send);
    nghttp2_submit_trailer(session, stream_id, trailers.data(), trailers.size());
  }
  return static_cast<ssize_t>(n);
}

void Http2Stream::end_outbound() {
  outbound_ended_ = true;
  connection_.outbound_ready(id_);
}

void Http2Stream::set_outbound(std::string body) {
  outbound_ = std::move(body);
  outbound_ended_ = true;
}

void Http2Stream::interrupt() {
  if (reader_) {
    complete(reader_, error::operation_aborted, 0);
  }
  if (writer_) {
    complete(writer_, error::operation_aborted, 0);
  }
  if (head_waiter_) {
    complete(head_waiter_, error::operation_aborted, 0);
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

void Http2Stream::start_head_wait(Handler handler) {
  head_waiter_.emplace(std::move(handler));
  try_head();
}

// A read completes with bytes when there are some, with eof at the end of the body, and
// with the close's error once the stream is gone.
void Http2Stream::try_read() {
  if (!reader_) {
    return;
  }
  if (!inbound_.empty()) {
    const std::size_t n = std::min(read_into_.size(), inbound_.size());
    std::memcpy(read_into_.data(), inbound_.data(), n);
    inbound_.erase(0, n);
    connection_.consumed(id_, n);
    complete(reader_, {}, n);
  } else if (inbound_ended_) {
    complete(reader_, error::eof, 0);
  } else if (closed_) {
    complete(reader_, closed_with_, 0);
  }
}

// A write completes once its bytes fit in the queue: a peer that does not read holds the
// exchange here (and the deadline ends the wait), with at most OutboundQueueLimit queued.
void Http2Stream::try_write(bool notify) {
  if (!writer_) {
    return;
  }
  if (closed_) {
    complete(writer_, closed_with_ ? closed_with_ : error::connection_reset, 0);
    return;
  }
  if (outbound_.size() >= OutboundQueueLimit) {
    return;
  }
  const std::size_t n = std::min(write_from_.size(), OutboundQueueLimit - outbound_.size());
  outbound_.append(static_cast<const char*>(write_from_.data()), n);
  if (notify) {
    connection_.outbound_ready(id_);
  }
  complete(writer_, {}, n);
}

void Http2Stream::try_head() {
  if (!head_waiter_) {
    return;
  }
  if (head_arrived_) {
    complete(head_waiter_, {}, 0);
  } else if (closed_) {
    complete(head_waiter_, closed_with_ ? closed_with_ : error::connection_reset, 0);
  }
}

void Http2Stream::complete(std::optional<Handler>& pending, boost::system::error_code ec,
                           std::size_t n) {
  boost::asio::post(executor_, [handler = Handler(std::move(*pending)), ec, n]() mutable {
    std::move(handler)(ec, n);
  });
  pending.reset();
}

}  // namespace portico
