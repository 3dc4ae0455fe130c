#pragma once
// BodyFraming: how a message's body is delimited, as its codec saw it.
#include <boost/optional/optional.hpp>
#include <charconv>
#include <cstdint>
#include <string_view>

namespace portico {

struct BodyFraming {
  boost::optional<std::uint64_t> length;  // Content-Length (HTTP/2: content-length)
  bool chunked = false;                   // HTTP/1.1 chunked
  bool done = false;                      // no body, or all of it came with the head
};

// A Content-Length value as a number; none when absent or not a number.
inline boost::optional<std::uint64_t> content_length_of(std::string_view value) {
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (value.empty() || ec != std::errc{} || end != value.data() + value.size()) {
    return boost::none;
  }
  return n;
}

}  // namespace portico
