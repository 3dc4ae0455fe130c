#pragma once
// The value forms that annotations and the global ConfigMap's keys share, each parsed into a
// value or the reason (for the warning) it is not one.
#include <string_view>

#include "proxy/common/expected.hpp"

namespace portico {

// "true" or "false", exactly.
Expected<bool> parse_true_false(std::string_view value);
// A whole number from `min` to `max`.
Expected<long> parse_whole_number(std::string_view value, long min, long max);
// A header field or cookie name: an RFC 9110 token.
bool is_token(std::string_view value);

}  // namespace portico
