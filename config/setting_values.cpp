#include "config/setting_values.hpp"

#include <algorithm>
#include <charconv>
#include <string>

#include "proxy/common/http_chars.hpp"
#include "proxy/common/text.hpp"

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

Expected<TlsProtocols> parse_tls_protocols(std::string_view list) {
  TlsProtocols out;
  const bool known = for_each_item(list, ' ', [&](std::string_view name) {
    out.tls12 = out.tls12 || name == "TLSv1.2";
    out.tls13 = out.tls13 || name == "TLSv1.3";
    out.older = out.older || name == "TLSv1" || name == "TLSv1.1";
    return name.empty() || name == "TLSv1" || name == "TLSv1.1" || name == "TLSv1.2" ||
           name == "TLSv1.3";
  });
  if (!known) {
    return fail("expected TLSv1.2 and/or TLSv1.3, separated by spaces");
  }
  if (!out.tls12 && !out.tls13) {
    return fail("Portico offers TLS 1.2 and 1.3 only, never older versions");
  }
  return out;
}

}  // namespace portico
