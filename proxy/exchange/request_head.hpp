#pragma once
// vet_request_head: where a request head is judged before anything acts on it. It applies
// the limits, the Host rules (RFC 9112 §3.2: one Host, a valid authority), absolute-form targets
// (routed by their own authority, also checked, never elsewhere: no open proxy), and works out what
// routing needs: the normalized host and the normalized path (normalize_path: unreserved
// characters decoded, no dot segments) the upstream will receive too. Pure, so the fuzzer
// drives it directly. How the body is framed (the smuggling rules of RFC 9112 §6.3) is the
// codec's to judge as it parses: HeadParser for HTTP/1.1, nghttp2 for HTTP/2 (which refuses
// Transfer-Encoding outright).
#include <string>
#include <string_view>

#include "proxy/exchange/fault.hpp"
#include "proxy/exchange/header_fields.hpp"
#include "proxy/proxy_settings.hpp"

namespace portico {

struct RequestHead {
  std::string_view host;        // lowercase, no port; points into the head or `host_scratch`
  std::string upstream_target;  // normalized path, then the query as sent
  std::size_t path_length = 0;  // upstream_target's path part
  std::string websocket;        // the Upgrade value of a WebSocket handshake, else ""
  std::string host_scratch;
  std::string decode_scratch;
  std::string path_scratch;

  std::string_view path() const { return std::string_view(upstream_target).substr(0, path_length); }
};

// `upgrade_without_body`: the parser saw Connection: upgrade and no body follows.
Fault vet_request_head(const RequestHeader& head, bool upgrade_without_body,
                       const ProxySettings& limits, RequestHead& out);

}  // namespace portico
