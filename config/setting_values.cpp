#include "config/setting_values.hpp"

#include <algorithm>
#include <charconv>
#include <string>

#include "proxy/common/http_chars.hpp"

namespace portico {

Expected<bool> parse_true_false(std::string_view value) {
  if (value == "true" || value == "false") {
    return value == "true";
  }
  return fail("expected \"true\" or \"false\"");
}

Expected<long> parse_whole_number(std::string_view value, long min, long max) {
  long parsed = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
  if (ec == std::errc() && end == value.data() + value.size() && parsed >= min && parsed <= max) {
    return parsed;
  }
  return fail("expected a whole number from " + std::to_string(min) + " to " + std::to_string(max));
}

bool is_token(std::string_view value) {
  return !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
    return chars::is_tchar(static_cast<unsigned char>(c));
  });
}

}  // namespace portico
