#pragma once
// GlobalPolicy: what the global ConfigMap (--configmap) sets for every request, whatever its
// route: whom to believe about the client's address and scheme, HSTS, the clients refused
// outright (block-cidrs, block-user-agents) and the statuses of refused rate limits. Built by
// the control thread, carried immutable in the Snapshot; the defaults change nothing.
#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/policy/source_ranges.hpp"
#include "proxy/proxy_settings.hpp"
#include "proxy/route/path_regex.hpp"

namespace portico {

// block-user-agents: as nginx's map matches $http_user_agent, a whole string ignoring case, or
// a PCRE ("~" case-sensitive, "~*" not) found anywhere in it.
class UserAgentBlocklist {
 public:
  // Comma-separated entries; an empty one is skipped. A regex that does not compile fails the
  // whole list, naming it.
  static Expected<UserAgentBlocklist> parse(std::string_view list);
  bool blocks(std::string_view user_agent) const noexcept;
  bool empty() const noexcept { return exact_.empty() && patterns_.empty(); }

 private:
  std::vector<std::string> exact_;
  std::vector<PathRegex> patterns_;
};

// keep-alive, keep-alive-requests and upstream-keepalive-*: each set one replaces the flag's
// value (ProxySettings) while the ConfigMap says so.
struct KeepAliveOverrides {
  std::optional<std::chrono::milliseconds> client_idle_timeout;  // 0: no keep-alive
  std::optional<std::uint64_t> client_max_requests;
  std::optional<std::size_t> max_idle_per_endpoint;  // 0: no upstream keep-alive
  std::optional<std::chrono::milliseconds> upstream_idle_timeout;
  std::optional<std::uint64_t> upstream_max_requests;

  void apply_to(ProxySettings& settings) const {
    settings.client_idle_timeout = client_idle_timeout.value_or(settings.client_idle_timeout);
    settings.client_max_requests = client_max_requests.value_or(settings.client_max_requests);
    settings.max_idle_per_endpoint = max_idle_per_endpoint.value_or(settings.max_idle_per_endpoint);
    settings.upstream_idle_timeout = upstream_idle_timeout.value_or(settings.upstream_idle_timeout);
    settings.upstream_max_requests = upstream_max_requests.value_or(settings.upstream_max_requests);
  }
};

struct GlobalPolicy {
  // use-forwarded-headers: a peer within `trusted_proxies` (proxy-real-ip-cidr) is believed
  // about the client's address (`forwarded_for_header`), scheme and port (X-Forwarded-Proto,
  // -Port) and host (X-Forwarded-Host, passed on); enable-real-ip: about the address only.
  bool forwarded_headers = false;
  bool real_ip = false;
  std::string forwarded_for_header = "X-Forwarded-For";
  SourceRanges trusted_proxies;
  // Strict-Transport-Security on HTTPS answers (hsts...); "" sends none; unset: the flag's.
  std::optional<std::string> hsts;
  std::optional<SourceRanges> blocked_sources;  // block-cidrs: 403 whatever the route
  UserAgentBlocklist blocked_agents;            // block-user-agents: 403
  unsigned limit_req_status = 503;              // limit-rps, limit-rpm refused
  unsigned limit_conn_status = 503;             // limit-connections refused
  // use-proxy-protocol: connections accepted from now on start with a PROXY protocol header
  // (as with --proxy-protocol, which holds whatever this says).
  bool proxy_protocol = false;
  // ssl-protocols without TLSv1.2: handshakes need TLS 1.3 (Portico never offers older ones).
  bool tls13_only = false;
  // ssl-ciphers: the OpenSSL cipher list TLS 1.2 handshakes choose from; "" Portico's own.
  std::string tls12_ciphers;
  // add-headers: set on every answer; proxy-set-headers: on every request to a backend. A
  // route's own header settings (custom-headers...) come after, so they win.
  std::vector<std::pair<std::string, std::string>> response_headers;
  std::vector<std::pair<std::string, std::string>> request_headers;
  KeepAliveOverrides keep_alive;
  // block-cidrs, block-user-agents or global-auth-url could not be read: refusing nobody would open
  // what they close, so every routed request answers 503 until they are fixed.
  bool fail_closed = false;

  bool believes_forwarded() const noexcept { return forwarded_headers || real_ip; }
  // block-cidrs and block-user-agents. `user_agent()` gives the request's User-Agent; it is
  // looked up only when there is a list to match it against (every request passes here).
  template <class UserAgent>
  bool blocks(const boost::asio::ip::address& client, UserAgent&& user_agent) const {
    return (blocked_sources && blocked_sources->contains(client)) ||
           (!blocked_agents.empty() && blocked_agents.blocks(user_agent()));
  }
};

}  // namespace portico
