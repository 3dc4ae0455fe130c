#include "proxy/policy/service_url.hpp"

#include <algorithm>
#include <charconv>
#include <string>

namespace portico {

Expected<ServiceUrl> ServiceUrl::parse(std::string_view url) {
  ServiceUrl out;
  if (url.starts_with("https://")) {
    out.tls = true;
    out.port = 443;
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    url.remove_prefix(7);
  } else {
    return fail("expected an http:// or https:// URL");
  }
  if (!std::all_of(url.begin(), url.end(), [](char c) { return c > ' ' && c < 127; })) {
    return fail("the URL has spaces or control characters");
  }
  const auto path_start = url.find_first_of("/?");
  std::string_view authority = url.substr(0, path_start);
  std::string target(path_start == std::string_view::npos ? "/" : url.substr(path_start));
  if (target.front() == '?') {
    target.insert(0, "/");
  }
  if (authority.find('@') != std::string_view::npos) {
    return fail("credentials in the URL are not supported");
  }
  // host[:port], the host an address in brackets, a name, or a variable.
  std::string_view host = authority;
  const auto colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
    host = authority.substr(0, colon);
    const auto digits = authority.substr(colon + 1);
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc() || end != digits.data() + digits.size() || port == 0 || port > 65535) {
      return fail("the port is not a number from 1 to 65535");
    }
    out.port = static_cast<std::uint16_t>(port);
  }
  if (host.starts_with('[') && host.ends_with(']')) {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) {
    return fail("the URL has no host");
  }
  out.host = VariableText::parse(host);
  out.target = VariableText::parse(target);
  return out;
}

}  // namespace portico
