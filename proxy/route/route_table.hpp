#pragma once
// RouteTable: where a request is routed. Maps (host, path) to the action of the Ingress rule
// that wins under the Ingress v1 precedence rules (see ../shared/interface.md, "Routing
// semantics"). Built once by the control plane, then immutable and shared by every worker
// through the Snapshot; match() is noexcept, lock-free and allocation-free.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <vector>

#include "proxy/common/expected.hpp"
#include "proxy/common/string_hash.hpp"
#include "proxy/policy/route_policy.hpp"
#include "proxy/route/path_regex.hpp"

namespace portico {

// A canary Ingress's claim on a rule of the main Ingress for the same host and path
// (canary: "true"): which requests go to its backend instead. By header first, then cookie,
// then weight, as ingress-nginx decides.
struct Canary {
  std::uint32_t cluster_id = 0;
  std::string ingress;       // the canary Ingress, "namespace/name"
  std::string header;        // canary-by-header: "always" -> canary, "never" -> main
  std::string header_value;  // canary-by-header-value: this value -> canary, others -> main
  std::string cookie;        // canary-by-cookie: "always" -> canary, "never" -> main
  std::uint32_t weight = 0;  // canary-weight, out of weight_total
  std::uint32_t weight_total = 100;
  bool operator==(const Canary&) const = default;
};

// What a matched rule does: send the request to one backend cluster, under its Ingress's policy.
struct RouteAction {
  std::uint32_t cluster_id = 0;
  std::string ingress;    // "namespace/name" of the Ingress the rule came from, for logs and stats.
  RoutePolicyPtr policy;  // null: the flags' defaults
  std::shared_ptr<const Canary> canary;  // null: no canary
  bool operator==(const RouteAction&) const = default;
};

// Regex: a Prefix or ImplementationSpecific path on a host where some Ingress asks for
// use-regex or rewrite-target (ingress-nginx then treats every such path of the host as a
// regex).
enum class PathMatch { Exact, Prefix, Regex };

constexpr std::string_view path_match_name(PathMatch match) {
  return match == PathMatch::Exact ? "Exact" : match == PathMatch::Prefix ? "Prefix" : "Regex";
}

struct RouteMatch {
  const RouteAction* action = nullptr;  // null: no rule and no default backend (404)
  std::string_view host;                // the rule host that matched, for stats; "" for none
  PathCaptures captures;                // of a Regex rule; count 0 otherwise
};

// The rules of one host (or of the host-less rules). Exact paths are looked up whole; Prefix
// paths are stored without their trailing slash and looked up once per '/'-element of the
// request path, longest first, so a lookup costs O(path depth) whatever the number of rules.
// Regex paths are tried in order of decreasing pattern length (ingress-nginx's order), after
// Exact and before Prefix.
class VirtualHost {
 public:
  explicit VirtualHost(std::string name) : name_(std::move(name)) {}

  // Adds an Exact or Prefix rule unless one with the same match already exists: rules are
  // added oldest Ingress first, so the first one in keeps a conflict. Returns false when it
  // lost.
  bool add(PathMatch match, std::string_view path, RouteAction action);
  // The same for a Regex rule; a Failure when the pattern does not compile.
  Expected<bool> add_regex(std::string_view pattern, RouteAction action);
  // The rule added for exactly this match and path, to attach a canary to; null if none.
  RouteAction* find(PathMatch match, std::string_view path);

  const RouteAction* match(std::string_view path, PathCaptures& captures) const noexcept;
  const std::string& name() const noexcept { return name_; }
  // Every rule, Exact, Regex then Prefix, for inspection (/debug/snapshot), not for routing.
  template <class Visit>
  void for_each_rule(Visit&& visit) const {
    for (const auto& [path, action] : exact_) {
      visit(PathMatch::Exact, std::string_view(path), action);
    }
    for (const auto& rule : regex_) {
      visit(PathMatch::Regex, std::string_view(rule.pattern), rule.action);
    }
    for (const auto& [path, action] : prefix_) {
      visit(PathMatch::Prefix, path.empty() ? std::string_view("/") : std::string_view(path),
            action);
    }
  }
  std::size_t size() const noexcept { return exact_.size() + regex_.size() + prefix_.size(); }

 private:
  using Rules = std::unordered_map<std::string, RouteAction, StringHash, std::equal_to<>>;
  struct RegexRule {
    std::string pattern;
    PathRegex regex;
    RouteAction action;
  };
  std::string name_;
  Rules exact_;
  std::vector<RegexRule> regex_;  // longest pattern first; equal lengths oldest first
  Rules prefix_;  // keyed by the path without trailing '/'; "/" is stored as "".
};

class RouteTable {
 public:
  // The host's rules, created on first use. `host` is lowercase: "a.b", "*.b" or "" (no host).
  VirtualHost& host(const std::string& host);
  void set_default_backend(RouteAction action) { default_backend_ = std::move(action); }
  bool has_default_backend() const noexcept { return default_backend_.has_value(); }

  // `host` is already normalized (lowercase, no port); `path` has no dot segments.
  RouteMatch match(std::string_view host, std::string_view path) const noexcept;

  // Every host's rules (exact hosts, wildcards, then the host-less rules), for inspection.
  template <class Visit>
  void for_each_host(Visit&& visit) const {
    for (const auto& [key, vhost] : exact_hosts_) {
      visit(vhost);
    }
    for (const auto& [key, vhost] : wildcard_hosts_) {
      visit(vhost);
    }
    if (no_host_) {
      visit(*no_host_);
    }
  }
  // The rules a request for `host` is matched against: its exact host's, else its one-label
  // wildcard's, else the host-less rules; null when there are none.
  const VirtualHost* select_host(std::string_view host) const noexcept;
  const RouteAction* default_backend() const noexcept {
    return default_backend_ ? &*default_backend_ : nullptr;
  }

  std::size_t host_count() const noexcept {
    return exact_hosts_.size() + wildcard_hosts_.size() + (no_host_ ? 1 : 0);
  }

 private:
  using Hosts = std::unordered_map<std::string, VirtualHost, StringHash, std::equal_to<>>;
  Hosts exact_hosts_;
  Hosts wildcard_hosts_;  // keyed by the suffix after "*.", e.g. "example.com"
  std::optional<VirtualHost> no_host_;
  std::optional<RouteAction> default_backend_;
};

}  // namespace portico
