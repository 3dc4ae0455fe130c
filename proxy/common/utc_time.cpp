#include "proxy/common/utc_time.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace portico {

std::string utc_now_rfc3339(int fraction_digits) {
  const auto now = std::chrono::system_clock::now();
  const auto seconds = std::chrono::system_clock::to_time_t(now);
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()) % 1'000'000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  long fraction = static_cast<long>(micros.count());
  for (int digits = 6; digits > fraction_digits; --digits) {
    fraction /= 10;
  }
  char buf[64];
  // No fraction at all for 0 digits: Kubernetes writes times as "2026-12-06T21:50:14Z".
  const int length =
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  std::string out(buf, static_cast<std::size_t>(length));
  if (fraction_digits > 0) {
    const std::string digits = std::to_string(fraction);
    out +=
        '.' + std::string(static_cast<std::size_t>(fraction_digits) - digits.size(), '0') + digits;
  }
  return out + 'Z';
}

}  // namespace portico
