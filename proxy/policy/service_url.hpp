#pragma once
// ServiceUrl: an http:// or https:// URL that Portico sends side requests to (auth-url,
// mirror-target): its host and target may hold the nginx variables VariableText knows,
// expanded per request.
#include <cstdint>
#include <string_view>

#include "proxy/common/expected.hpp"
#include "proxy/policy/variable_text.hpp"

namespace portico {

struct ServiceUrl {
  bool tls = false;   // https://
  VariableText host;  // a name or an address; may be a variable
  std::uint16_t port = 80;
  VariableText target;  // the path and query
  bool operator==(const ServiceUrl&) const = default;

  // http:// or https://, a host, an optional port, a path. Fails with the reason.
  static Expected<ServiceUrl> parse(std::string_view url);
};

}  // namespace portico
