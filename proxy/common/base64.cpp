#include "proxy/common/base64.hpp"

#include <array>

namespace portico {

std::optional<std::string> base64_decode(std::string_view in) {
  static constexpr auto table = [] {
    std::array<signed char, 256> t{};
    t.fill(-1);
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) {
      t[static_cast<unsigned char>(alphabet[i])] = static_cast<signed char>(i);
    }
    return t;
  }();
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (const char c : in) {
    if (c == '=' || c == '\n' || c == '\r') {
      continue;
    }
    const int v = table[static_cast<unsigned char>(c)];
    if (v < 0) {
      return std::nullopt;
    }
    bits = (bits << 6) | static_cast<unsigned>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xFF);
    }
  }
  return out;
}

std::string base64_encode(std::string_view bytes, bool url_safe) {
  const char* Alphabet = url_safe
                             ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                             : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const auto n = static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16 |
                   static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                   static_cast<unsigned char>(bytes[i + 2]);
    out += Alphabet[n >> 18 & 63];
    out += Alphabet[n >> 12 & 63];
    out += Alphabet[n >> 6 & 63];
    out += Alphabet[n & 63];
  }
  if (const auto rest = bytes.size() - i; rest > 0) {
    auto n = static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) {
      n |= static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    }
    out += Alphabet[n >> 18 & 63];
    out += Alphabet[n >> 12 & 63];
    if (rest == 2) {
      out += Alphabet[n >> 6 & 63];
    }
    if (!url_safe) {
      out.append(3 - rest, '=');
    }
  }
  return out;
}

}  // namespace portico
