// Fuzzes what a client controls first: bytes parsed as a request head by the HTTP/1.1 codec's
// parser, then judged by vet_request_head. Whatever is accepted must be safe to route and to send
// upstream:
// - the path routed is the path sent, absolute, with no dot segment left;
// - normalizing it again changes nothing;
// - a backend that decodes every percent-encoding (and takes '\' for '/') and then removes
//   dot segments lands under every Prefix rule the path matched: no route is escaped;
// - the host is a valid authority, lowercase.
#include <boost/beast/http/message.hpp>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "proxy/common/http_chars.hpp"
#include "proxy/exchange/request_head.hpp"
#include "proxy/http1/head_parser.hpp"
#include "proxy/route/path.hpp"

namespace http = boost::beast::http;

namespace {

// What the least careful backend makes of a path: everything decoded, '\' as '/', then
// dot segments removed.
std::string as_a_naive_backend_reads(std::string_view path) {
  std::string decoded;
  for (std::size_t i = 0; i < path.size(); ++i) {
    const int high = i + 2 < path.size() ? portico::chars::hex_value(path[i + 1]) : -1;
    const int low = i + 2 < path.size() ? portico::chars::hex_value(path[i + 2]) : -1;
    if (path[i] == '%' && high >= 0 && low >= 0) {
      decoded.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else {
      decoded.push_back(path[i]);
    }
  }
  for (char& c : decoded) {
    c = c == '\\' ? '/' : c;
  }
  std::string scratch;
  return std::string(portico::remove_dot_segments(decoded, scratch));
}

// Prefix rule semantics: the path is the prefix, or continues it with a new element.
bool under(std::string_view path, std::string_view prefix) {
  return path == prefix || (path.starts_with(prefix) && path[prefix.size()] == '/');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  portico::RequestHeader request;
  portico::RequestHeadParser parser(request, 32 * 1024);
  if (parser.parse({reinterpret_cast<const char*>(data), size}) !=
      portico::RequestHeadParser::Result::Done) {
    return 0;
  }
  portico::ProxySettings limits;
  portico::RequestHead head;
  const auto fault = portico::vet_request_head(
      request, parser.connection_upgrade() && !parser.has_body(), limits, head);
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
  std::string decoded;
  std::string scratch;
  const auto again = portico::normalize_path(path, decoded, scratch);
  if (!again || *again != path) {
    std::abort();
  }
  // Each element-boundary prefix of the path is a Prefix rule it would match.
  const std::string naive = as_a_naive_backend_reads(path);
  for (std::size_t slash = path.find('/', 1); slash != std::string_view::npos;
       slash = path.find('/', slash + 1)) {
    const std::string_view prefix = path.substr(0, slash);
    if (prefix.find_first_of("%\\") == std::string_view::npos && !under(naive, prefix)) {
      std::abort();
    }
  }
  if (!portico::valid_authority(head.host)) {
    std::abort();
  }
  for (const char c : head.host) {
    if (c >= 'A' && c <= 'Z') {
      std::abort();  // hosts compare case-insensitively: they are routed lowercase
    }
  }
  return 0;
}
