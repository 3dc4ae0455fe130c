#pragma once
// The values of a request that Ingress settings key on: cookies (affinity, canary-by-cookie),
// query arguments and headers (upstream-hash-by), and the canary decision itself. Pure
// functions of the request head, so tests drive them directly.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/exchange/header_fields.hpp"
#include "proxy/exchange/request_head.hpp"
#include "proxy/policy/route_policy.hpp"
#include "proxy/route/route_table.hpp"
#include "proxy/upstream/load_balancer.hpp"

namespace portico {

// What Gateway API matches read of a request: its head, as the codec read it.
class HeadFacts final : public RequestFacts {
 public:
  HeadFacts(const RequestHeader& head, const RequestHead& target, bool tls)
      : head_(head), target_(target), tls_(tls) {}
  std::string_view method() const noexcept override { return head_.method_string(); }
  std::string_view header(std::string_view name) const noexcept override { return head_[name]; }
  std::string_view query() const noexcept override;
  bool tls() const noexcept override { return tls_; }

 private:
  const RequestHeader& head_;
  const RequestHead& target_;
  bool tls_;
};

// The value of cookie `name` in the request's Cookie fields, or "".
std::string_view find_cookie(const RequestHeader& head, std::string_view name);

// The value of query argument `name` in `target` ("/p?a=1&b=2"), or "" (as sent, not decoded).
std::string_view find_query_argument(std::string_view target, std::string_view name);

// The value of `key` in this request: what upstream-hash-by hashes, a part of an auth-cache-key.
std::string_view hash_key_value(const HashKey& key, const RequestHeader& head,
                                const RequestHead& target, std::string_view client_address);

// Whether the request itself decides for or against the canary: canary-by-header
// ("always"/"never", or the exact canary-by-header-value), then canary-by-cookie
// ("always"/"never"), each consulted only when the one before says nothing.
std::optional<bool> canary_by_request(const Canary& canary, const RequestHeader& head);
// Whether the request goes to the canary: as the request decides, else by canary-weight.
bool takes_canary(const Canary& canary, const RequestHeader& head, LoadBalancer& balancer);

// The request target the upstream receives: the normalized path and query, or, under
// rewrite-target, the target with the path's captures substituted and the query after any
// the target adds (as nginx's rewrite does).
std::string upstream_target_for(const RoutePolicy& policy, const RequestHead& target,
                                const PathCaptures& captures);

// The https:// URL a plain request is sent to (ssl-redirect, force-ssl-redirect).
std::string https_location(const RequestHead& target, std::uint16_t https_port);

// What an Ingress's policy answers by itself, before access is checked, in the session's
// order: fail closed (503), its redirect, force-ssl-redirect (plain HTTP only), app-root (for
// "/"). `fault` None: nothing; the request goes on. Shared by the session and explain.
struct PolicyAnswer {
  Fault fault = Fault::None;  // Misconfigured or Redirect
  unsigned status = 0;        // a redirect's status
  std::string location;       // a redirect's Location
};
PolicyAnswer policy_answer(const RoutePolicy& policy, bool tls, const RequestHead& target,
                           std::string_view host_header, std::string_view request_uri,
                           std::uint16_t https_port);

// What the client's address decides, after the limits and before credentials: refused (403:
// within denylist-source-range, or outside the allowlist), granted without credentials
// (satisfy any and an allowed address), or on to the credentials the route asks for (Basic,
// auth-url). Under satisfy any, an address outside the allowlist is left to the credentials
// when the route asks for some; the denylist refuses whatever the credentials. Shared by the
// session and explain.
enum class AddressVerdict { Refused, Granted, CredentialsDecide };
AddressVerdict judge_address(const RoutePolicy& policy, const boost::asio::ip::address& client);

// The Set-Cookie value that pins a client to `endpoint`.
std::string sticky_cookie(const StickyCookie& cookie, const Endpoint& endpoint);

}  // namespace portico
