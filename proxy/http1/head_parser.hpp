#pragma once
// HeadParser: an HTTP/1.1 head (RFC 9112 §2-§6), a client's request or a backend's response,
// read where it lies in the connection's read buffer. Each call looks only at the bytes that
// arrived since the last one: every complete line is judged and its field goes straight into
// the header the exchange uses, so a head that arrives in pieces costs no more than one that
// arrives whole, and nothing is copied before it reaches its final place. A line is complete
// at its CRLF; what can never be part of any line (a control character, a bare LF) is refused
// as soon as it arrives, before its line ends, so garbage is answered at once.
//
// It is at least as strict as Beast's parser, which it replaced (tests/fuzz's
// head_differential proves they agree on every head this one accepts), and stricter where a
// proxy must be (RFC 9112): no obs-fold, exactly one Content-Length of digits, a
// Transfer-Encoding only of "chunked" and never next to a Content-Length, status codes from
// 100. Pure: the fuzzers drive it directly.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proxy/exchange/body_framing.hpp"
#include "proxy/exchange/header_fields.hpp"

namespace portico {

enum class HeadParseResult {
  NeedMore,          // no fault so far, and the empty line not yet seen
  Done,              // the head is whole: head_size() bytes
  Malformed,         // a request's 400, a response's 502
  StartLineTooLong,  // the head limit reached inside the first line: a request's 414
  HeadTooLarge,      // the head limit reached in the fields: a request's 431 (RFC 6585)
};

template <bool IsRequest>
class HeadParser {
 public:
  using Header = boost::beast::http::header<IsRequest, HeaderFields>;
  using Result = HeadParseResult;

  // Fills `head`, which must be empty and outlive the parser.
  HeadParser(Header& head, std::size_t max_head_bytes)
      : head_(head), max_head_bytes_(max_head_bytes) {}

  // A response whose head is all there is, whatever its fields say: the answer to a HEAD
  // request (RFC 9110 §9.3.2).
  void answers_head_request() requires(!IsRequest) { answers_head_request_ = true; }

  // `received`: every byte of this message read so far, from its first, and maybe more
  // (a body, the next message). Call again with more after NeedMore.
  Result parse(std::string_view received);

  // After Done.
  std::size_t head_size() const { return parsed_; }
  bool has_body() const;
  BodyFraming body() const { return {content_length_, chunked_, !has_body()}; }
  // The connection stays open after this message (RFC 9112 §9.3, §9.6).
  bool keep_alive() const;
  // Connection (or the older Proxy-Connection) names "upgrade".
  bool connection_upgrade() const { return upgrade_; }

 private:
  bool take_start_line(std::string_view line);
  bool take_field_line(std::string_view line);
  bool take_connection_options(std::string_view value);

  Header& head_;
  const std::size_t max_head_bytes_;
  std::size_t parsed_ = 0;   // bytes of the whole lines taken
  std::size_t scanned_ = 0;  // bytes known to hold no LF past `parsed_`, and checked
  bool start_line_taken_ = false;
  bool answers_head_request_ = false;
  boost::optional<std::uint64_t> content_length_;
  bool chunked_ = false;
  bool close_ = false;
  bool keep_alive_ = false;
  bool upgrade_ = false;
};

using RequestHeadParser = HeadParser<true>;
using ResponseHeadParser = HeadParser<false>;
extern template class HeadParser<true>;
extern template class HeadParser<false>;

}  // namespace portico
