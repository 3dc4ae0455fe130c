#include "proxy/http1/request_head_parser.hpp"

#include <algorithm>
#include <array>
#include <boost/beast/core/string.hpp>
#include <cstring>

#include "proxy/common/http_chars.hpp"
#include "proxy/common/text.hpp"

namespace portico {
namespace {

namespace http = boost::beast::http;

using CharClass = std::array<bool, 256>;

template <class Member>
constexpr CharClass char_class(Member member) {
  CharClass table{};
  for (unsigned c = 0; c < table.size(); ++c) {
    table[c] = member(static_cast<unsigned char>(c));
  }
  return table;
}

constexpr CharClass Token = char_class(chars::is_tchar);
// A request-target's characters in any of its forms; its grammar is vet_request_head's.
constexpr CharClass TargetChar = char_class(chars::is_vchar_or_obs_text);
constexpr CharClass ValueChar = char_class(
    [](unsigned char c) { return chars::is_vchar_or_obs_text(c) || chars::is_blank(c); });
// What a head line may hold at all: no control character but HTAB and the CR that ends it.
constexpr CharClass LineChar =
    char_class([](unsigned char c) { return (c >= 0x20 || c == '\t' || c == '\r') && c != 0x7f; });

bool made_of(std::string_view text, const CharClass& members) {
  return std::all_of(text.begin(), text.end(),
                     [&](char c) { return members[static_cast<unsigned char>(c)]; });
}

}  // namespace

RequestHeadParser::Result RequestHeadParser::parse(std::string_view received) {
  // The head must end within the limit: nothing past it is looked at.
  const std::string_view window = received.substr(0, max_head_bytes_);
  while (parsed_ < window.size()) {
    const std::size_t from = std::max(parsed_, scanned_);
    const void* lf = std::memchr(window.data() + from, '\n', window.size() - from);
    if (lf == nullptr) {
      // A partial line: what can never be part of it is refused now, not at its end.
      if (!made_of(window.substr(from), LineChar)) {
        return Result::Malformed;
      }
      scanned_ = window.size();
      break;
    }
    const std::size_t end = static_cast<std::size_t>(static_cast<const char*>(lf) - window.data());
    if (end == parsed_ || window[end - 1] != '\r') {
      return Result::Malformed;  // a bare LF ends no line (RFC 9112 §2.2 allows refusing it)
    }
    const std::string_view line = window.substr(parsed_, end - 1 - parsed_);
    parsed_ = end + 1;
    if (!request_line_taken_) {
      if (!take_request_line(line)) {
        return Result::Malformed;
      }
      request_line_taken_ = true;
    } else if (line.empty()) {
      return Result::Done;
    } else if (!take_field_line(line)) {
      return Result::Malformed;
    }
  }
  if (received.size() >= max_head_bytes_) {
    return request_line_taken_ ? Result::HeadTooLarge : Result::RequestLineTooLong;
  }
  return Result::NeedMore;
}

// request-line = method SP request-target SP HTTP-version (RFC 9112 §3): single spaces, and
// only the two versions this codec speaks.
bool RequestHeadParser::take_request_line(std::string_view line) {
  const auto method_end = line.find(' ');
  if (method_end == std::string_view::npos) {
    return false;
  }
  const std::string_view method = line.substr(0, method_end);
  const std::string_view rest = line.substr(method_end + 1);
  const auto target_end = rest.find(' ');
  if (target_end == std::string_view::npos) {
    return false;
  }
  const std::string_view target = rest.substr(0, target_end);
  const std::string_view version = rest.substr(target_end + 1);
  if (method.empty() || !made_of(method, Token) || target.empty() || !made_of(target, TargetChar)) {
    return false;
  }
  if (version == "HTTP/1.1") {
    head_.version(11);
  } else if (version == "HTTP/1.0") {
    head_.version(10);
  } else {
    return false;
  }
  head_.method_string(method);
  head_.target(target);
  return true;
}

// field-line = field-name ":" OWS field-value OWS (RFC 9112 §5). A line that starts with a
// blank is obs-fold, which a server may refuse (§5.2): its name is not a token.
bool RequestHeadParser::take_field_line(std::string_view line) {
  const auto colon = line.find(':');
  if (colon == 0 || colon == std::string_view::npos) {
    return false;
  }
  const std::string_view name = line.substr(0, colon);
  const std::string_view value = trim_whitespace(line.substr(colon + 1));
  if (!made_of(name, Token) || !made_of(value, ValueChar)) {
    return false;
  }
  const http::field field = http::string_to_field(name);
  switch (field) {
    // Exactly one way to find where the body ends (RFC 9112 §6.3): two could be read
    // differently by the next hop (request smuggling).
    case http::field::content_length:
      if (content_length_ || chunked_) {
        return false;
      }
      content_length_ = content_length_of(value);
      if (!content_length_) {
        return false;
      }
      break;
    case http::field::transfer_encoding:
      // chunked is the only coding Portico decodes; anything else could be framed differently
      // by the next hop.
      if (content_length_ || chunked_ || !boost::beast::iequals(value, "chunked")) {
        return false;
      }
      chunked_ = true;
      break;
    case http::field::connection:
    case http::field::proxy_connection:
      if (!take_connection_options(value)) {
        return false;
      }
      break;
    default:
      break;
  }
  head_.insert(field, name, value);
  return true;
}

// Connection = #connection-option (RFC 9110 §7.6.1): a list of tokens.
bool RequestHeadParser::take_connection_options(std::string_view value) {
  return for_each_item(value, ',', [this](std::string_view option) {
    if (!made_of(option, Token)) {
      return false;
    }
    close_ = close_ || boost::beast::iequals(option, "close");
    keep_alive_ = keep_alive_ || boost::beast::iequals(option, "keep-alive");
    upgrade_ = upgrade_ || boost::beast::iequals(option, "upgrade");
    return true;
  });
}

}  // namespace portico
