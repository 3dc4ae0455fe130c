#pragma once
// BodyFraming: how a message's body is delimited, as its codec saw it.
#include <boost/optional/optional.hpp>
#include <cstdint>

namespace portico {

struct BodyFraming {
  boost::optional<std::uint64_t> length;  // Content-Length (HTTP/2: content-length)
  bool chunked = false;                   // HTTP/1.1 chunked
  bool done = false;                      // no body, or all of it came with the head
};

}  // namespace portico
