#include "proxy/common/host_port.hpp"

#include <charconv>

namespace portico {

Expected<HostPort> parse_host_port(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return fail("expected HOST:PORT, got \"" + std::string(text) + "\"");
  }
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535 ||
      host.empty()) {
    return fail("expected HOST:PORT, got \"" + std::string(text) + "\"");
  }
  return HostPort{std::string(host), static_cast<std::uint16_t>(port)};
}

}  // namespace portico
