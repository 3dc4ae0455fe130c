#pragma once
// read_head: reads into a connection's buffer until its HeadParser has a whole head, a fault,
// or the read fails. The parser first sees what the buffer already holds (read ahead with the
// last message); a read takes what the buffer has free, from 512 bytes up to 64 KiB (Beast's
// choice for its own reads). On Done the head's bytes are consumed: what follows in the buffer
// is the body, or the next message.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/read_size.hpp>
#include <utility>

#include "proxy/http1/head_parser.hpp"
#include "proxy/net.hpp"

namespace portico {

template <class Stream, bool IsRequest>
Awaitable<std::pair<HeadParseResult, boost::system::error_code>> read_head(
    Stream& stream, beast::flat_buffer& buffer, HeadParser<IsRequest>& parser) {
  using Result = HeadParseResult;
  constexpr std::size_t MaxRead = 64 * 1024;
  Result result = parser.parse(readable_text(buffer));
  while (result == Result::NeedMore) {
    auto [ec, n] = co_await stream.async_read_some(
        buffer.prepare(beast::read_size(buffer, MaxRead)), use_nothrow);
    buffer.commit(n);
    if (ec) {
      co_return std::pair(result, ec);
    }
    result = parser.parse(readable_text(buffer));
  }
  if (result == Result::Done) {
    buffer.consume(parser.head_size());
  }
  co_return std::pair(result, boost::system::error_code());
}

}  // namespace portico
