#pragma once
// Small text helpers shared by the header, cookie, query and annotation readers.
#include <string_view>

namespace portico {

// Without optional whitespace (RFC 9110 OWS: spaces and tabs) at either end.
constexpr std::string_view trim_whitespace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// Calls `visit` with each `separator`-separated item of `list`, trimmed (empty items too).
// Stops, returning false, as soon as `visit` returns false.
template <class Visit>
constexpr bool for_each_item(std::string_view list, char separator, Visit&& visit) {
  while (!list.empty()) {
    const auto end = list.find(separator);
    if (!visit(trim_whitespace(list.substr(0, end)))) {
      return false;
    }
    list = end == std::string_view::npos ? std::string_view() : list.substr(end + 1);
  }
  return true;
}

}  // namespace portico
