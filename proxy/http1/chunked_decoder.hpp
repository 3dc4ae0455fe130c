#pragma once
// ChunkedDecoder: a chunked message body (RFC 9112 §7.1) decoded as it arrives, to the letter:
// chunk extensions with tokens or quoted strings, trailers as field lines, every line ended by
// CRLF. The first byte outside the grammar (a bare CR or LF, a control character in a quoted
// string, a size that is not hexadecimal) is an error at once, so a broken or hostile sender
// gets its 400 (or its 502, upstream) immediately and never leaves a connection waiting for
// bytes that would only make it worse. A chunk line or the trailers beyond their limits are
// errors too. Pure and incremental: bytes may arrive split anywhere.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace portico {

class ChunkedDecoder {
 public:
  // A chunk-size line, extensions included; the trailer section as a whole.
  static constexpr std::size_t MaxLineBytes = 4096;
  static constexpr std::size_t MaxTrailerBytes = 16 * 1024;

  enum class Status { NeedMore, Done, Invalid };
  struct Step {
    Status status = Status::NeedMore;
    std::size_t consumed = 0;  // bytes of the input used, data included
    std::string_view data;     // chunk data found (points into the input), maybe empty
  };

  // Reads `in` up to the end of the first run of chunk data, or the end of the body, or the
  // end of `in`. Call again with what follows `consumed`. After Done, the bytes past
  // `consumed` belong to the next message.
  Step feed(std::string_view in);
  std::uint64_t body_bytes() const noexcept { return body_bytes_; }

 private:
  enum class State {
    Size,
    Bws,
    ExtNameStart,
    ExtName,
    ExtNameBws,
    ExtValueStart,
    ExtToken,
    ExtQuoted,
    ExtQuotedPair,
    AfterQuoted,
    LineEnd,
    Data,
    DataCr,
    DataLf,
    TrailerStart,
    TrailerName,
    TrailerValue,
    TrailerLf,
    FinalLf,
    Done,
    Invalid
  };
  // One byte of a chunk line or of the trailers.
  State next(State state, unsigned char c);
  static State after_item(unsigned char c);

  State state_ = State::Size;
  std::uint64_t size_ = 0;       // of the chunk being read
  std::size_t size_digits_ = 0;  // significant hex digits seen, to refuse overflow
  bool any_digit_ = false;
  std::size_t line_bytes_ = 0;
  std::size_t trailer_bytes_ = 0;
  std::uint64_t body_bytes_ = 0;
};

}  // namespace portico
