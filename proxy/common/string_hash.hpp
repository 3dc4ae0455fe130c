#pragma once
// Transparent hashing so maps keyed by std::string can be searched with a std::string_view
// taken straight from a request, without building a temporary string on the hot path.
#include <functional>
#include <string>
#include <string_view>

namespace portico {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

}  // namespace portico
