// Fuzzes what a client controls first: bytes parsed as a request head by Beast, then judged
// by vet_request_head. Whatever is accepted must be safe to route and to send upstream.
#include <boost/beast/http.hpp>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "proxy/session/request_head.hpp"

namespace http = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  http::request_parser<http::buffer_body> parser;
  parser.header_limit(32 * 1024);
  boost::system::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec || !parser.is_header_done()) {
    return 0;
  }
  portico::ProxySettings limits;
  portico::RequestHead head;
  const auto fault = portico::vet_request_head(parser.get().base(),
                                               parser.upgrade() && parser.is_done(), limits, head);
  if (fault != portico::Fault::None) {
    return 0;
  }
  const std::string_view path = head.path();
  const std::string_view target = head.upstream_target;
  // The path routed is the path sent: absolute, with no dot segment left to reinterpret.
  if (path.empty() || path.front() != '/' || target.substr(0, path.size()) != path ||
      path.find("/../") != std::string_view::npos || path.find("/./") != std::string_view::npos ||
      path.ends_with("/..") || path.ends_with("/.")) {
    std::abort();
  }
  for (const char c : head.host) {
    if (c >= 'A' && c <= 'Z') {
      std::abort();  // hosts compare case-insensitively: they are routed lowercase
    }
  }
  return 0;
}
