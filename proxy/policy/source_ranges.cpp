#include "proxy/policy/source_ranges.hpp"

#include <charconv>

#include "proxy/common/text.hpp"

namespace portico {
namespace {

// True when the first `bits` bits of `a` and `b` are equal.
bool same_prefix(const std::uint8_t* a, const std::uint8_t* b, unsigned bits) noexcept {
  const unsigned whole = bits / 8;
  for (unsigned i = 0; i < whole; ++i) {
    if (a[i] != b[i]) {
      return false;
    }
  }
  const unsigned rest = bits % 8;
  if (rest == 0) {
    return true;
  }
  const auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

}  // namespace

Expected<SourceRanges> SourceRanges::parse(std::string_view list) {
  SourceRanges out;
  std::string problem;
  for_each_item(list, ',', [&](std::string_view entry) {
    if (entry.empty()) {
      return true;
    }
    auto block = parse_block(entry);
    if (!block) {
      problem = block.error();
      return false;
    }
    out.blocks_.push_back(*block);
    return true;
  });
  if (!problem.empty()) {
    return fail(problem);
  }
  if (out.blocks_.empty()) {
    return fail("no address or CIDR block");
  }
  return out;
}

Expected<SourceRanges::Block> SourceRanges::parse_block(std::string_view entry) {
  const auto slash = entry.find('/');
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(std::string(entry.substr(0, slash)), ec);
  if (ec) {
    return fail("\"" + std::string(entry) + "\" is not an address or CIDR block");
  }
  Block block;
  block.v4 = address.is_v4();
  const unsigned width = block.v4 ? 32 : 128;
  block.prefix_bits = width;
  if (slash != std::string_view::npos) {
    const auto bits = entry.substr(slash + 1);
    const auto [end, err] =
        std::from_chars(bits.data(), bits.data() + bits.size(), block.prefix_bits);
    if (err != std::errc() || end != bits.data() + bits.size() || bits.empty() ||
        block.prefix_bits > width) {
      return fail("\"" + std::string(entry) + "\" has an invalid prefix length");
    }
  }
  if (block.v4) {
    const auto b = address.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), block.bytes.begin());
  } else {
    block.bytes = address.to_v6().to_bytes();
  }
  return block;
}

bool SourceRanges::contains(const boost::asio::ip::address& client) const noexcept {
  std::array<std::uint8_t, 16> bytes{};
  bool v4 = client.is_v4();
  if (v4) {
    const auto b = client.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), bytes.begin());
  } else if (const auto v6 = client.to_v6(); v6.is_v4_mapped()) {
    const auto b = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_bytes();
    std::copy(b.begin(), b.end(), bytes.begin());
    v4 = true;
  } else {
    bytes = v6.to_bytes();
  }
  for (const Block& block : blocks_) {
    if (block.v4 == v4 && same_prefix(block.bytes.data(), bytes.data(), block.prefix_bits)) {
      return true;
    }
  }
  return false;
}

}  // namespace portico
