#include "proxy/http1/head_parser.hpp"

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

// Only the two versions this codec speaks: 11, 10, else 0.
unsigned version_of(std::string_view version) {
  return version == "HTTP/1.1" ? 11 : version == "HTTP/1.0" ? 10 : 0;
}

// request-line = method SP request-target SP HTTP-version (RFC 9112 §3): single spaces.
bool take_request_line(std::string_view line, RequestHeader& head) {
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
  const unsigned version = version_of(rest.substr(target_end + 1));
  if (method.empty() || !made_of(method, Token) || target.empty() || !made_of(target, TargetChar) ||
      version == 0) {
    return false;
  }
  head.version(version);
  head.method_string(method);
  head.target(target);
  return true;
}

// status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 §4). A status
// under 100 has no class (RFC 9110 §15) and would be taken for an interim one.
bool take_status_line(std::string_view line, ResponseHeader& head) {
  constexpr std::size_t ReasonStart = 13;  // "HTTP/1.1 200 "
  if (line.size() < ReasonStart || line[8] != ' ' || line[12] != ' ') {
    return false;
  }
  const unsigned version = version_of(line.substr(0, 8));
  const std::string_view code = line.substr(9, 3);
  const std::string_view reason = line.substr(ReasonStart);
  if (version == 0 || !std::all_of(code.begin(), code.end(), chars::is_digit) || code[0] == '0' ||
      !made_of(reason, ValueChar)) {
    return false;
  }
  head.version(version);
  head.result((code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0'));
  head.reason(reason);
  return true;
}

}  // namespace

template <bool IsRequest>
HeadParseResult HeadParser<IsRequest>::parse(std::string_view received) {
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
    if (!start_line_taken_) {
      bool taken = false;
      if constexpr (IsRequest) {
        taken = take_request_line(line, head_);
      } else {
        taken = take_status_line(line, head_);
      }
      if (!taken) {
        return Result::Malformed;
      }
      start_line_taken_ = true;
    } else if (line.empty()) {
      return Result::Done;
    } else if (!take_field_line(line)) {
      return Result::Malformed;
    }
  }
  if (received.size() >= max_head_bytes_) {
    return start_line_taken_ ? Result::HeadTooLarge : Result::StartLineTooLong;
  }
  return Result::NeedMore;
}

// field-line = field-name ":" OWS field-value OWS (RFC 9112 §5). A line that starts with a
// blank is obs-fold, which a server may refuse (§5.2): its name is not a token.
template <bool IsRequest>
bool HeadParser<IsRequest>::take_field_line(std::string_view line) {
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
template <bool IsRequest>
bool HeadParser<IsRequest>::take_connection_options(std::string_view value) {
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

template <bool IsRequest>
bool HeadParser<IsRequest>::has_body() const {
  if constexpr (IsRequest) {
    return chunked_ || content_length_.value_or(0) > 0;
  } else {
    // RFC 9110 §6.4.1: these responses end at their heads, whatever their fields say.
    const unsigned status = head_.result_int();
    if (answers_head_request_ || status / 100 == 1 || status == 204 || status == 304) {
      return false;
    }
    return !content_length_ || *content_length_ > 0;
  }
}

template <bool IsRequest>
bool HeadParser<IsRequest>::keep_alive() const {
  const bool persistent = head_.version() >= 11 ? !close_ : keep_alive_;
  // A response body with neither Content-Length nor chunked ends only at the close.
  const bool ends_at_close = !IsRequest && has_body() && !content_length_ && !chunked_;
  return persistent && !ends_at_close;
}

template class HeadParser<true>;
template class HeadParser<false>;

}  // namespace portico
