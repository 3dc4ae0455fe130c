#pragma once
// RoutePolicy: what an Ingress's annotations change about how its requests are handled, as
// typed, bounded values (config/annotations.cpp reads them; nothing is ever pasted anywhere).
// Immutable once built and shared by every route of that Ingress; an unset field means the
// flag's default, or nothing, applies. The session applies it in HttpSession::apply_policy.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/policy/cors.hpp"
#include "proxy/policy/external_auth.hpp"
#include "proxy/policy/htpasswd.hpp"
#include "proxy/policy/rate_limits.hpp"
#include "proxy/policy/service_url.hpp"
#include "proxy/policy/source_ranges.hpp"
#include "proxy/policy/variable_text.hpp"
#include "proxy/upstream/upstream_protocol.hpp"

namespace portico {

class BackendTls;

struct Redirect {
  unsigned status = 301;  // permanent-redirect 301 (or its -code), temporal-redirect 302
  VariableText location;  // "https://new.example.com$request_uri"
  bool operator==(const Redirect&) const = default;
};

struct BasicAuth {
  std::shared_ptr<const Htpasswd> users;
  std::string realm;
  bool operator==(const BasicAuth&) const = default;
};

// affinity: cookie. The cookie names an endpoint by a token every replica computes the same.
struct StickyCookie {
  std::string name = "INGRESSCOOKIE";
  std::string path;  // empty: the request's matched path, as ingress-nginx does
  std::optional<std::chrono::seconds> max_age;
  bool secure = false;
  std::string same_site;  // "", "None", "Lax" or "Strict"
  bool operator==(const StickyCookie&) const = default;
};

enum class Balance { RoundRobin, Ewma };

// Gateway API's path replacement (URLRewrite, RequestRedirect): the whole path, or only the
// part its rule's PathPrefix matched.
struct PathReplacement {
  std::string value;           // an absolute path
  std::string matched_prefix;  // ReplacePrefixMatch: the rule's prefix, without trailing '/'
  bool prefix = false;
  std::string apply(std::string_view path) const;
  bool operator==(const PathReplacement&) const = default;
};

// The RequestRedirect filter: each part of the Location that is unset is the request's.
struct GatewayRedirect {
  std::string scheme;    // "" keeps the request's
  std::string hostname;  // "" keeps the request's host
  std::optional<std::uint16_t> port;
  std::optional<PathReplacement> path;
  unsigned status = 302;
  // The Gateway listeners' ports (--gateway-http-port, --gateway-https-port): the port a
  // redirect keeps when it sets neither scheme nor port.
  std::uint16_t http_port = 80;
  std::uint16_t https_port = 443;
  bool operator==(const GatewayRedirect&) const = default;
};

// RequestHeaderModifier and ResponseHeaderModifier: set (replace), add (append), remove.
struct HeaderEdits {
  std::vector<std::pair<std::string, std::string>> set;
  std::vector<std::pair<std::string, std::string>> add;
  std::vector<std::string> remove;
  bool operator==(const HeaderEdits&) const = default;
};

// proxy-redirect-from/-to (nginx's proxy_redirect): a backend's Location (and Refresh URL)
// starting with `from` has that prefix replaced by `to`, whose variables are expanded.
struct ProxyRedirect {
  std::string from;
  VariableText to;
  bool operator==(const ProxyRedirect&) const = default;
};

// A Gateway API RequestMirror: a copy of each request (numerator in denominator of them) goes
// to this cluster as well, and its answer is ignored.
struct RequestMirror {
  std::uint32_t cluster_id;
  std::uint32_t numerator = 100;
  std::uint32_t denominator = 100;
  bool operator==(const RequestMirror&) const = default;
};

// mirror-target (ingress-nginx's mirror): a copy of each request goes to a URL as well, and
// its answer is ignored. `host` (mirror-host) is the Host the copy carries, "" for the URL's;
// `without_body` (mirror-request-body: off): a request with a body is mirrored without it.
struct UrlMirror {
  ServiceUrl url;
  std::string host;
  bool without_body = false;
  bool operator==(const UrlMirror&) const = default;
};

// custom-http-errors: answers with one of these statuses, the backend's or the proxy's own,
// carry the page the error backend gives for them (the default-backend annotation's Service,
// else --default-backend-service).
struct ErrorPages {
  std::vector<unsigned> codes;
  std::uint32_t cluster_id = 0;  // the error backend's; set by the translator
  bool intercepts(unsigned status) const noexcept {
    return std::find(codes.begin(), codes.end(), status) != codes.end();
  }
  bool operator==(const ErrorPages&) const = default;
};

// limit-rate, limit-rate-after: a response body goes to the client at most this fast, after
// its first `after` bytes.
struct BandwidthLimit {
  std::uint64_t bytes_per_second = 0;  // above 0
  std::uint64_t after = 0;
  bool operator==(const BandwidthLimit&) const = default;
};

struct RoutePolicy {
  // Limits and timeouts.
  std::optional<std::uint64_t> max_body_bytes;  // 413 above this; 0: unlimited
  std::optional<std::chrono::milliseconds> connect_timeout;
  std::optional<std::chrono::milliseconds> read_timeout;  // between upstream reads; tunnel idle
  std::optional<std::chrono::milliseconds> send_timeout;  // between upstream writes
  // Answered by the proxy, in this order.
  // An invalid source range, an unusable auth-secret, or an access control Portico does not
  // offer: 503, never open.
  bool fail_closed = false;
  std::optional<Redirect> redirect;
  std::optional<GatewayRedirect> gateway_redirect;  // an HTTPRoute rule's RequestRedirect
  bool force_ssl_redirect = false;  // plain HTTP goes to HTTPS even without a spec.tls entry
  std::string app_root;             // "/" redirects here (302)
  std::optional<CorsPolicy> cors;
  RateLimitsPtr rate_limits;  // limit-rps, limit-rpm, limit-connections: 503 beyond them
  std::optional<BandwidthLimit> bandwidth;      // limit-rate, limit-rate-after
  std::optional<SourceRanges> denied_sources;   // these get 403, whatever the allowlist says
  std::optional<SourceRanges> allowed_sources;  // others get 403
  std::optional<BasicAuth> basic_auth;          // 401 without valid credentials
  std::optional<ExternalAuth> external_auth;    // auth-url: the auth service decides
  // satisfy any: an address within allowed_sources needs no credentials, and one outside
  // them may still come in with credentials.
  bool satisfy_any = false;
  // Forwarding.
  std::optional<std::string> rewrite_target;  // "$1"..."$9" from the path's regex captures
  std::optional<PathReplacement> path_rewrite;               // an HTTPRoute rule's URLRewrite path
  std::optional<HeaderEdits> request_header_edits;           // RequestHeaderModifier
  std::optional<HeaderEdits> response_header_edits;          // ResponseHeaderModifier
  std::vector<RequestMirror> mirrors;                        // RequestMirror
  std::optional<UrlMirror> url_mirror;                       // mirror-target
  std::optional<ProxyRedirect> proxy_redirect;               // proxy-redirect-from/-to
  std::optional<ErrorPages> error_pages;                     // custom-http-errors
  // default-backend: where requests go when the rule's Service has no ready endpoint.
  std::optional<std::uint32_t> fallback_cluster_id;
  BackendProtocol backend_protocol = BackendProtocol::Http;  // backend-protocol
  // proxy-ssl-*: how an HTTPS backend is verified and what it is shown; null: not verified.
  std::shared_ptr<const BackendTls> backend_tls;
  std::string upstream_host;     // upstream-vhost: the Host the backend receives, "" as sent
  std::string forwarded_prefix;  // x-forwarded-prefix: sent as X-Forwarded-Prefix when set
  std::string
      connection_header;  // connection-proxy-header: the Connection an HTTP/1.1 backend gets
  Balance balance = Balance::RoundRobin;
  std::optional<HashKey> hash_by;  // upstream-hash-by: the value whose hash picks the endpoint
  std::optional<StickyCookie> affinity;
  bool operator==(const RoutePolicy&) const = default;
};

using RoutePolicyPtr = std::shared_ptr<const RoutePolicy>;

}  // namespace portico
