#include "proxy/session/proxy_protocol.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>

#include "proxy/common/http_chars.hpp"

namespace portico {
namespace {

namespace ip = boost::asio::ip;
using Status = ProxyHeader::Status;

constexpr std::string_view V1Prefix = "PROXY ";
constexpr std::size_t V1MaxBytes = 107;  // the specification's bound, CRLF included
constexpr std::string_view V2Signature{"\r\n\r\n\0\r\nQUIT\n", 12};

ProxyHeader invalid() {
  return {Status::Invalid, 0, std::nullopt};
}

// Whether `start` could still become `prefix` (or already begins with it).
bool may_start(std::string_view start, std::string_view prefix) {
  const auto n = std::min(start.size(), prefix.size());
  return start.substr(0, n) == prefix.substr(0, n);
}

bool valid_port(std::string_view text) {
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  // Decimal without leading zeros, as the specification writes it.
  return ec == std::errc() && end == text.data() + text.size() && port <= 65535 &&
         (text.size() == 1 || text.front() != '0');
}

// "PROXY TCP4 SRC DST SPORT DPORT\r\n", "PROXY TCP6 ...", or "PROXY UNKNOWN...\r\n".
ProxyHeader parse_v1(std::string_view start) {
  const auto end = start.substr(0, V1MaxBytes).find("\r\n");
  if (end == std::string_view::npos) {
    return start.size() >= V1MaxBytes ? invalid() : ProxyHeader{};
  }
  const std::string_view line = start.substr(V1Prefix.size(), end - V1Prefix.size());
  const ProxyHeader unknown{Status::Done, end + 2, std::nullopt};
  if (line == "UNKNOWN" || line.starts_with("UNKNOWN ")) {
    return unknown;
  }
  std::array<std::string_view, 5> fields;
  std::size_t count = 0;
  for (std::size_t at = 0; at <= line.size();) {
    const auto space = std::min(line.find(' ', at), line.size());
    if (count == fields.size() || space == at) {
      return invalid();  // too many fields, or an empty one (two spaces)
    }
    fields[count++] = line.substr(at, space - at);
    at = space + 1;
  }
  if (count != fields.size() || (fields[0] != "TCP4" && fields[0] != "TCP6")) {
    return invalid();
  }
  boost::system::error_code source_ec;
  boost::system::error_code destination_ec;
  const auto source = ip::make_address(std::string(fields[1]), source_ec);
  const auto destination = ip::make_address(std::string(fields[2]), destination_ec);
  if (source_ec || destination_ec || source.is_v4() != (fields[0] == "TCP4") ||
      destination.is_v4() != source.is_v4() || !valid_port(fields[3]) || !valid_port(fields[4])) {
    return invalid();
  }
  return {Status::Done, end + 2, source};
}

ProxyHeader parse_v2(std::string_view start) {
  if (start.size() < 16) {
    return {};
  }
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(start[i]); };
  const std::uint8_t version = byte(12) >> 4;
  const std::uint8_t command = byte(12) & 0x0f;
  const std::size_t length = static_cast<std::size_t>(byte(14)) << 8 | byte(15);
  if (version != 2 || command > 1 || 16 + length > MaxProxyHeaderBytes) {
    return invalid();
  }
  if (start.size() < 16 + length) {
    return {};
  }
  ProxyHeader header{Status::Done, 16 + length, std::nullopt};
  if (command == 0) {
    return header;  // LOCAL: the balancer speaking for itself
  }
  const std::uint8_t family = byte(13);
  if (family == 0x11) {  // TCP over IPv4: source, destination, ports
    if (length < 12) {
      return invalid();
    }
    ip::address_v4::bytes_type source;
    std::memcpy(source.data(), start.data() + 16, source.size());
    header.source = ip::address_v4(source);
  } else if (family == 0x21) {  // TCP over IPv6
    if (length < 36) {
      return invalid();
    }
    ip::address_v6::bytes_type source;
    std::memcpy(source.data(), start.data() + 16, source.size());
    header.source = ip::address_v6(source);
  }  // UNSPEC, UDP, UNIX: accepted; the connection's own address stands
  return header;
}

}  // namespace

ProxyHeader parse_proxy_header(std::string_view start) {
  if (may_start(start, V2Signature)) {
    return start.size() < V2Signature.size() ? ProxyHeader{} : parse_v2(start);
  }
  if (may_start(start, V1Prefix)) {
    return start.size() < V1Prefix.size() ? ProxyHeader{} : parse_v1(start);
  }
  return invalid();
}

}  // namespace portico
