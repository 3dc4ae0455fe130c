#include "proxy/http1/chunked_decoder.hpp"

#include <algorithm>

#include "proxy/common/http_chars.hpp"

namespace portico {

using namespace chars;

// What may follow a chunk size, an extension's name or its value: BWS (then a ';'), the next
// extension, or the end of the line.
ChunkedDecoder::State ChunkedDecoder::after_item(unsigned char c) {
  return is_blank(c) ? State::Bws
         : c == ';'  ? State::ExtNameStart
         : c == '\r' ? State::LineEnd
                     : State::Invalid;
}

ChunkedDecoder::State ChunkedDecoder::next(State state, unsigned char c) {
  switch (state) {
    case State::Size:
      if (const int digit = hex_value(c); digit >= 0) {
        // 16 significant hex digits fill 64 bits: one more would overflow.
        if ((size_digits_ > 0 || digit != 0) && ++size_digits_ > 15) {
          return State::Invalid;
        }
        size_ = size_ * 16 + static_cast<std::uint64_t>(digit);
        any_digit_ = true;
        return State::Size;
      }
      return !any_digit_ ? State::Invalid : after_item(c);
    case State::Bws:  // BWS is allowed only before a ';' (or a '=' after a name)
      return is_blank(c) ? State::Bws : c == ';' ? State::ExtNameStart : State::Invalid;
    case State::ExtNameStart:
      return is_blank(c) ? State::ExtNameStart : is_tchar(c) ? State::ExtName : State::Invalid;
    case State::ExtName:
      return is_tchar(c)   ? State::ExtName
             : is_blank(c) ? State::ExtNameBws
             : c == '='    ? State::ExtValueStart
                           : after_item(c);
    case State::ExtNameBws:
      return is_blank(c) ? State::ExtNameBws
             : c == '='  ? State::ExtValueStart
             : c == ';'  ? State::ExtNameStart
                         : State::Invalid;
    case State::ExtValueStart:
      return is_blank(c)   ? State::ExtValueStart
             : c == '"'    ? State::ExtQuoted
             : is_tchar(c) ? State::ExtToken
                           : State::Invalid;
    case State::ExtToken:
      return is_tchar(c) ? State::ExtToken : after_item(c);
    case State::ExtQuoted:  // qdtext: HTAB, SP, VCHAR but '"' and '\', obs-text
      return c == '"'                                 ? State::AfterQuoted
             : c == '\\'                              ? State::ExtQuotedPair
             : is_blank(c) || is_vchar_or_obs_text(c) ? State::ExtQuoted
                                                      : State::Invalid;
    case State::ExtQuotedPair:
      return is_blank(c) || is_vchar_or_obs_text(c) ? State::ExtQuoted : State::Invalid;
    case State::AfterQuoted:
      return after_item(c);
    case State::LineEnd:
      if (c != '\n') {
        return State::Invalid;
      }
      return size_ == 0 ? State::TrailerStart : State::Data;
    case State::DataCr:
      return c == '\r' ? State::DataLf : State::Invalid;
    case State::DataLf:
      return c == '\n' ? State::Size : State::Invalid;
    case State::TrailerStart:
      return c == '\r' ? State::FinalLf : is_tchar(c) ? State::TrailerName : State::Invalid;
    case State::TrailerName:
      return is_tchar(c) ? State::TrailerName : c == ':' ? State::TrailerValue : State::Invalid;
    case State::TrailerValue:
      return c == '\r'                                ? State::TrailerLf
             : is_blank(c) || is_vchar_or_obs_text(c) ? State::TrailerValue
                                                      : State::Invalid;
    case State::TrailerLf:
      return c == '\n' ? State::TrailerStart : State::Invalid;
    case State::FinalLf:
      return c == '\n' ? State::Done : State::Invalid;
    case State::Data:
    case State::Done:
    case State::Invalid:
      break;
  }
  return State::Invalid;
}

ChunkedDecoder::Step ChunkedDecoder::feed(std::string_view in) {
  Step step;
  while (step.consumed < in.size() && state_ != State::Done && state_ != State::Invalid) {
    if (state_ == State::Data) {
      const auto n =
          static_cast<std::size_t>(std::min<std::uint64_t>(size_, in.size() - step.consumed));
      step.data = in.substr(step.consumed, n);
      step.consumed += n;
      size_ -= n;
      body_bytes_ += n;
      if (size_ == 0) {
        state_ = State::DataCr;
      }
      break;  // one run of data per step: the caller sends it before going on
    }
    const auto c = static_cast<unsigned char>(in[step.consumed++]);
    const bool in_trailers = state_ >= State::TrailerStart;
    state_ = next(state_, c);
    if (state_ == State::Size && c == '\n') {  // a new chunk line begins
      size_ = 0;
      size_digits_ = 0;
      any_digit_ = false;
      line_bytes_ = 0;
    } else if (state_ == State::Data) {
      line_bytes_ = 0;
    } else if (in_trailers ? ++trailer_bytes_ > MaxTrailerBytes : ++line_bytes_ > MaxLineBytes) {
      state_ = State::Invalid;
    }
  }
  step.status = state_ == State::Done      ? Status::Done
                : state_ == State::Invalid ? Status::Invalid
                                           : Status::NeedMore;
  return step;
}

}  // namespace portico
