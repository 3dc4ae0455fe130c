#pragma once
// Streaming a message body from one connection to another, for both directions and both
// codecs: Content-Length bodies socket to socket, chunked ones through ChunkedDecoder (and
// framed again as chunks when the receiver needs that), close-delimited ones until the close.
// `From` and `To` are Asio streams: a TCP or TLS stream, or an HTTP/2 stream's body.
// Header-only templates: each codec's session instantiates them for its own stream types.
#include <algorithm>
#include <array>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional/optional.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>

#include "proxy/exchange/body_framing.hpp"
#include "proxy/http1/chunked_decoder.hpp"
#include "proxy/net.hpp"
#include "proxy/session/deadline.hpp"
#include "proxy/worker/buffer_pool.hpp"

namespace portico {

inline bool is_disconnect(const boost::system::error_code& ec) {
  return ec == http::error::end_of_stream || ec == http::error::partial_message ||
         ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == net::error::operation_aborted;
}

enum class RelayEnd { Complete, ReadFailed, ReadInvalid, ReadTimedOut, TooLarge, WriteFailed };

// Why a read of a body failed: the deadline, or the connection.
inline RelayEnd read_failure(const Deadline& deadline) {
  return deadline.expired() ? RelayEnd::ReadTimedOut : RelayEnd::ReadFailed;
}

// A Content-Length body goes socket to socket through `chunk`, with no parser in the loop:
// first what was read ahead with the head (never past the body: the rest is the next
// request), then reads of at most what is left. One copy, 64 KiB system calls; a body that
// was all read ahead never takes the chunk's buffer. Body bytes
// delivered are added to `moved`.
template <class From, class To>
Awaitable<RelayEnd> relay_length(From& from, beast::flat_buffer& from_buffer, std::uint64_t length,
                                 To& to, RelayBuffer& chunk, Deadline& deadline,
                                 std::chrono::milliseconds timeout, std::uint64_t& moved) {
  while (length > 0) {
    const char* data = nullptr;
    std::size_t n = 0;
    const bool read_ahead = from_buffer.size() > 0;
    if (read_ahead) {
      data = static_cast<const char*>(from_buffer.data().data());
      n = static_cast<std::size_t>(std::min<std::uint64_t>(from_buffer.size(), length));
    } else {
      deadline.expires_after(timeout);
      const auto want =
          static_cast<std::size_t>(std::min<std::uint64_t>(RelayBuffer::Size, length));
      char* into = chunk.data();
      data = into;
      auto [ec, got] = co_await from.async_read_some(net::buffer(into, want), use_nothrow);
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
    if (read_ahead) {
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
void format_head(const http::header<IsRequest, HeaderFields>& message, std::string& out) {
  // A new connection's string starts with room for a usual head: growing from empty
  // reallocated it about three times. Later heads reuse it, so this costs nothing then.
  constexpr std::size_t UsualHeadBytes = 1024;
  out.clear();
  if (out.capacity() < UsualHeadBytes) {
    out.reserve(UsualHeadBytes);
  }
  if constexpr (IsRequest) {
    out.append(message.method_string())
        .append(" ")
        .append(message.target())
        .append(" HTTP/1.1\r\n");
  } else {
    out.append("HTTP/1.1 ").append(std::to_string(message.result_int())).append(" ");
    out.append(message.reason()).append("\r\n");
  }
  message.append_lines(out);
}

// Writes a message head, together with the body bytes that were read along with it when the
// body has a Content-Length, so a small message goes out in one write. Returns how many body
// bytes went with the head (they are consumed from `from_buffer`).
template <bool IsRequest, class To>
Awaitable<std::pair<boost::system::error_code, std::uint64_t>> write_head(
    To& to, const http::header<IsRequest, HeaderFields>& message, std::string& head_text,
    beast::flat_buffer& from_buffer, const BodyFraming& body, Deadline& deadline,
    std::chrono::milliseconds timeout) {
  std::uint64_t carried = 0;
  if (body.length && !body.chunked && !body.done && from_buffer.size() > 0) {
    carried = std::min<std::uint64_t>(from_buffer.size(), *body.length);
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
Awaitable<bool> write_body_bytes(To& to, std::string_view bytes, bool chunked_out,
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

// Reads more of a body into `from_buffer` (which holds none of it unread), as much as a relay
// buffer holds.
template <class From>
Awaitable<boost::system::error_code> read_more(From& from, beast::flat_buffer& from_buffer,
                                               Deadline& deadline,
                                               std::chrono::milliseconds timeout) {
  deadline.expires_after(timeout);
  auto [ec, n] = co_await from.async_read_some(from_buffer.prepare(RelayBuffer::Size), use_nothrow);
  from_buffer.commit(n);
  co_return ec;
}

// The end of a body relayed as chunks: the last chunk. Nothing to write for raw bytes.
template <class To>
Awaitable<RelayEnd> end_body(To& to, bool chunked_out, Deadline& deadline,
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
Awaitable<RelayEnd> relay_chunked(From& from, beast::flat_buffer& from_buffer, To& to,
                                  bool chunked_out, std::uint64_t limit, Deadline& deadline,
                                  std::chrono::milliseconds timeout, std::uint64_t& moved) {
  ChunkedDecoder decoder;
  for (;;) {
    if (from_buffer.size() == 0) {
      if (co_await read_more(from, from_buffer, deadline, timeout)) {
        co_return read_failure(deadline);
      }
    }
    const auto step = decoder.feed(readable_text(from_buffer));
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

// A body without length or chunks: a response's until the sender closes, an HTTP/2
// request's until its stream ends. Relayed as it is (framed as chunks when `chunked_out`),
// its size counted against `limit`.
template <class From, class To>
Awaitable<RelayEnd> relay_until_close(From& from, beast::flat_buffer& from_buffer, To& to,
                                      bool chunked_out, std::uint64_t limit, Deadline& deadline,
                                      std::chrono::milliseconds timeout, std::uint64_t& moved) {
  for (std::uint64_t total = 0;;) {
    if (from_buffer.size() == 0) {
      if (const auto ec = co_await read_more(from, from_buffer, deadline, timeout)) {
        if (is_disconnect(ec) && !deadline.expired()) {
          break;
        }
        co_return read_failure(deadline);
      }
    }
    const std::string_view bytes = readable_text(from_buffer);
    total += bytes.size();
    if (total > limit) {
      co_return RelayEnd::TooLarge;
    }
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
// `sent_with_head`: body bytes write_head already carried.
template <class From, class To>
Awaitable<RelayEnd> relay_body(From& from, beast::flat_buffer& from_buffer, const BodyFraming& in,
                               To& to, bool chunked_out, std::uint64_t limit,
                               std::uint64_t sent_with_head, RelayBuffer& chunk, Deadline& deadline,
                               std::chrono::milliseconds timeout, std::uint64_t& moved) {
  if (in.chunked) {
    co_return co_await relay_chunked(from, from_buffer, to, chunked_out, limit, deadline, timeout,
                                     moved);
  }
  if (in.length) {
    co_return co_await relay_length(from, from_buffer, *in.length - sent_with_head, to, chunk,
                                    deadline, timeout, moved);
  }
  co_return co_await relay_until_close(from, from_buffer, to, chunked_out, limit, deadline, timeout,
                                       moved);
}

// A body relay grows a connection's read buffer; an idle connection should not keep that.
inline void release_large_buffer(beast::flat_buffer& buffer) {
  if (buffer.size() == 0 && buffer.capacity() > 16 * 1024) {
    buffer.shrink_to_fit();
  }
}

}  // namespace portico
