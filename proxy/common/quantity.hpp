#pragma once
// Durations and sizes as people write them in flags and annotations, parsed into bounded
// values. A value that does not parse is a Failure with the reason, never a guess.
#include <chrono>
#include <cstdint>
#include <string_view>

#include "proxy/common/expected.hpp"

namespace portico {

// "5s", "500ms", "2m", "1h", or a plain number of seconds (as ingress-nginx's timeout
// annotations are written). Fractions are allowed ("1.5s").
Expected<std::chrono::milliseconds> parse_duration(std::string_view text);

// A byte count as nginx writes it: a number with an optional k, m or g suffix (either case,
// powers of 1024), e.g. "8m". "0" is zero; the caller decides what zero means.
Expected<std::uint64_t> parse_size(std::string_view text);

}  // namespace portico
