#pragma once
// The current time as RFC 3339 in UTC, with `fraction_digits` of a second (3 for logs, 6 for
// the API server's MicroTime, e.g. "2026-11-26T15:14:40.123456Z"). Any thread.
#include <string>

namespace portico {

std::string utc_now_rfc3339(int fraction_digits);

}  // namespace portico
