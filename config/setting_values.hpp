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

// nginx's ssl_protocols and proxy_ssl_protocols ("TLSv1.2 TLSv1.3"): which versions it names.
// Portico speaks TLS 1.2 and 1.3 only; a list naming neither fails.
struct TlsProtocols {
  bool tls12 = false;
  bool tls13 = false;
  bool older = false;  // TLSv1 or TLSv1.1, which are never spoken
};
Expected<TlsProtocols> parse_tls_protocols(std::string_view list);

}  // namespace portico
