#pragma once
// The protocol a client spoke for one exchange: for the access log and the metrics.
#include <cstdint>
#include <string_view>

namespace portico {

enum class Protocol : std::uint8_t { Http10, Http11, Http2 };

constexpr std::string_view protocol_name(Protocol protocol) {
  switch (protocol) {
    case Protocol::Http10:
      return "HTTP/1.0";
    case Protocol::Http11:
      return "HTTP/1.1";
    case Protocol::Http2:
      return "HTTP/2.0";
  }
  return "";
}

}  // namespace portico
