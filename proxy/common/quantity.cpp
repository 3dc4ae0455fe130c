#include "proxy/common/quantity.hpp"

#include <charconv>
#include <string>

namespace portico {

Expected<std::chrono::milliseconds> parse_duration(std::string_view text) {
  const auto failure = [&] {
    return fail("expected a duration such as 5s or 500ms, got \"" + std::string(text) + "\"");
  };
  double number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  if (ec != std::errc{} || number < 0) {
    return failure();
  }
  double ms = 0;
  if (unit.empty() || unit == "s") {
    ms = number * 1000;
  } else if (unit == "ms") {
    ms = number;
  } else if (unit == "m") {
    ms = number * 60'000;
  } else if (unit == "h") {
    ms = number * 3'600'000;
  } else {
    return failure();
  }
  // Past a year is a typo, and would overflow timer arithmetic further on.
  if (ms > 365.0 * 24 * 3'600'000) {
    return fail("duration \"" + std::string(text) + "\" is longer than a year");
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

Expected<std::uint64_t> parse_size(std::string_view text) {
  const auto failure = [&] {
    return fail("expected a size such as 512k, 8m or 1g, got \"" + std::string(text) + "\"");
  };
  std::uint64_t number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  if (ec != std::errc{} || end == text.data()) {
    return failure();
  }
  unsigned shift = 0;
  if (unit == "k" || unit == "K") {
    shift = 10;
  } else if (unit == "m" || unit == "M") {
    shift = 20;
  } else if (unit == "g" || unit == "G") {
    shift = 30;
  } else if (!unit.empty()) {
    return failure();
  }
  if (number > (std::uint64_t{1} << 50) >> shift) {
    return fail("size \"" + std::string(text) + "\" is larger than a petabyte");
  }
  return number << shift;
}

}  // namespace portico
