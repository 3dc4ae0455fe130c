#include "proxy/policy/route_policy.hpp"

namespace portico {

std::string PathReplacement::apply(std::string_view path) const {
  if (!prefix) {
    return value;
  }
  // What follows the matched prefix is empty or starts with '/': "/old/x" under "/old" -> "/x".
  const std::string_view rest =
      path.starts_with(matched_prefix) ? path.substr(matched_prefix.size()) : path;
  std::string_view base = value;
  while (!base.empty() && base.back() == '/') {
    base.remove_suffix(1);
  }
  std::string out = std::string(base) + std::string(rest);
  return out.empty() ? "/" : out;
}

}  // namespace portico
