#pragma once
// RequestHeadParser: HTTP/1.1's request head (RFC 9112 §2-§6), read where it lies in the
// connection's read buffer. Each call looks only at the bytes that arrived since the last one:
// every complete line is judged and its field goes straight into the header the exchange
// uses, so a head that arrives in pieces costs no more than one that arrives whole, and
// nothing is copied before it reaches its final place. A line is complete at its CRLF; what
// can never be part of any line (a control character, a bare LF) is refused as soon as it
// arrives, before its line ends, so garbage on the port is answered at once.
//
// It is at least as strict as Beast's parser, which it replaced here (tests/fuzz's
// request_head_differential proves they agree on every head this one accepts), and stricter
// where a proxy must be (RFC 9112): no obs-fold, exactly one Content-Length of digits, a
// Transfer-Encoding only of "chunked" and never next to a Content-Length.
#include <boost/beast/http/message.hpp>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proxy/exchange/body_framing.hpp"

namespace portico {

class RequestHeadParser {
 public:
  enum class Result {
    NeedMore,            // no fault so far, and the empty line not yet seen
    Done,                // the head is whole: head_size() bytes
    Malformed,           // 400
    RequestLineTooLong,  // the head limit reached inside the request line: 414
    HeadTooLarge,        // the head limit reached in the fields: 431 (RFC 6585)
  };

  // Fills `head`, which must be empty and outlive the parser.
  RequestHeadParser(boost::beast::http::request_header<>& head, std::size_t max_head_bytes)
      : head_(head), max_head_bytes_(max_head_bytes) {}

  // `received`: every byte of this request read so far, from its first, and maybe more
  // (a body, a pipelined request). Call again with more after NeedMore.
  Result parse(std::string_view received);

  // After Done.
  std::size_t head_size() const { return parsed_; }
  BodyFraming body() const { return {content_length_, chunked_, !has_body()}; }
  bool has_body() const { return chunked_ || content_length_.value_or(0) > 0; }
  // The connection stays open after this request (RFC 9112 §9.3).
  bool keep_alive() const { return head_.version() >= 11 ? !close_ : keep_alive_; }
  // Connection (or the older Proxy-Connection) names "upgrade".
  bool connection_upgrade() const { return upgrade_; }

 private:
  bool take_request_line(std::string_view line);
  bool take_field_line(std::string_view line);
  bool take_connection_options(std::string_view value);

  boost::beast::http::request_header<>& head_;
  const std::size_t max_head_bytes_;
  std::size_t parsed_ = 0;   // bytes of the whole lines taken
  std::size_t scanned_ = 0;  // bytes known to hold no LF past `parsed_`, and checked
  bool request_line_taken_ = false;
  boost::optional<std::uint64_t> content_length_;
  bool chunked_ = false;
  bool close_ = false;
  bool keep_alive_ = false;
  bool upgrade_ = false;
};

}  // namespace portico
