#include "proxy/exchange/request_head.hpp"

#include <boost/beast/core/string.hpp>

#include "proxy/route/path.hpp"

namespace portico {
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace {

// Splits an absolute-form target ("http://host/path?q") into its authority and the rest.
bool split_absolute_form(std::string_view target, std::string_view& authority,
                         std::string_view& rest) {
  for (const std::string_view scheme : {"http://", "https://"}) {
    if (target.size() > scheme.size() && beast::iequals(target.substr(0, scheme.size()), scheme)) {
      target.remove_prefix(scheme.size());
      const auto slash = target.find_first_of("/?");
      authority = target.substr(0, slash);
      rest = slash == std::string_view::npos ? std::string_view{} : target.substr(slash);
      return !authority.empty();
    }
  }
  return false;
}

}  // namespace

Fault vet_request_head(const RequestHeader& head, bool upgrade_without_body,
                       const ProxySettings& limits, RequestHead& out) {
  if (head.version() != 10 && head.version() != 11) {
    return Fault::BadRequest;
  }
  if (head.method() == http::verb::connect) {
    return Fault::BadRequest;  // never a tunnel to wherever the client names
  }
  // "METHOD SP target SP HTTP/1.1": what --max-request-line bounds.
  if (head.method_string().size() + head.target().size() + 10 > limits.max_request_line_bytes) {
    return Fault::UriTooLong;
  }
  if (static_cast<std::size_t>(std::distance(head.begin(), head.end())) >
      limits.max_header_fields) {
    return Fault::HeadersTooLarge;
  }
  const auto hosts = head.count(http::field::host);
  if (hosts > 1 || (hosts == 0 && head.version() == 11)) {
    return Fault::BadRequest;
  }

  std::string_view host = head[http::field::host];
  // RFC 9112 §3.2: an invalid Host is refused even when an absolute-form target overrides it.
  if (!valid_authority(host)) {
    return Fault::BadRequest;
  }
  std::string_view target = head.target();
  std::string_view authority;
  std::string_view rest;
  if (split_absolute_form(target, authority, rest)) {
    host = authority;  // RFC 9112 §3.2.2: the target's authority wins over Host
    if (!valid_authority(host)) {
      return Fault::BadRequest;
    }
    target = rest.empty() ? std::string_view("/") : rest;
  }
  if (target.empty() || target.front() != '/') {
    return Fault::BadRequest;
  }
  const auto question = target.find('?');
  const std::string_view query =
      question == std::string_view::npos ? std::string_view{} : target.substr(question);
  const auto normalized =
      normalize_path(target.substr(0, question), out.decode_scratch, out.path_scratch);
  if (!normalized) {
    return Fault::BadRequest;
  }
  const std::string_view path = *normalized;
  out.host = normalize_host(host, out.host_scratch);
  // The upstream receives the same normalized path the route was chosen by.
  out.upstream_target.reserve(path.size() + query.size());
  out.upstream_target.assign(path).append(query);
  out.path_length = path.size();
  // A WebSocket handshake (RFC 6455 §4.1) is the one upgrade relayed: it has no body, and
  // after the upstream's 101 the connection becomes a tunnel.
  if (upgrade_without_body && beast::iequals(head[http::field::upgrade], "websocket")) {
    out.websocket = head[http::field::upgrade];
  }
  return Fault::None;
}

}  // namespace portico
