#pragma once
// FNV-1a over bytes, as the echo backend reports a request body's (`body_fnv1a`): tests compare
// it with what they sent. `hash` carries a running value across pieces.
#include <cstdint>
#include <string_view>

namespace portico::test {

inline constexpr std::uint32_t Fnv1aStart = 2166136261u;

inline std::uint32_t fnv1a(std::string_view bytes, std::uint32_t hash = Fnv1aStart) {
  for (const unsigned char c : bytes) {
    hash = (hash ^ c) * 16777619u;
  }
  return hash;
}

}  // namespace portico::test
