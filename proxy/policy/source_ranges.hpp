#pragma once
// SourceRanges: the client networks an Ingress admits (whitelist-source-range /
// allowlist-source-range), as parsed CIDR blocks. IPv4 and IPv6; an IPv4 client that arrives
// as an IPv4-mapped IPv6 address is judged as IPv4. Immutable once parsed.
#include <array>
#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <string_view>
#include <vector>

#include "proxy/common/expected.hpp"

namespace portico {

class SourceRanges {
 public:
  // "10.0.0.0/8, 192.168.1.7, 2001:db8::/32": comma-separated, a bare address is one host.
  // Any entry that does not parse makes the whole list a Failure naming it.
  static Expected<SourceRanges> parse(std::string_view list);

  bool contains(const boost::asio::ip::address& client) const noexcept;
  bool operator==(const SourceRanges&) const = default;

 private:
  struct Block {
    std::array<std::uint8_t, 16> bytes{};  // IPv4 in the first 4
    unsigned prefix_bits = 0;
    bool v4 = false;
    bool operator==(const Block&) const = default;
  };
  static Expected<Block> parse_block(std::string_view entry);
  std::vector<Block> blocks_;
};

}  // namespace portico
