#pragma once
// RouteTable: where a request is routed. Maps (host, path) to the action of the Ingress rule
// that wins under the Ingress v1 precedence rules (the README's routing section states
// them). Built once by the control plane, then immutable and shared by every worker
// through the Snapshot; match() is noexcept, lock-free and allocation-free.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/common/expected.hpp"
#include "proxy/common/flat_string_map.hpp"
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
// RouteAction::ingress of the default backend that --default-backend-service provides.
inline constexpr std::string_view DefaultBackendServiceSource = "--default-backend-service";

struct RouteAction {
  std::uint32_t cluster_id = 0;
  // "namespace/name" of the Ingress the rule came from (or DefaultBackendServiceSource), for
  // logs and stats.
  std::string ingress;
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

// The rules of one host (or of the host-less rules). A host with few rules (the common case)
// keeps them in one contiguous array that a lookup scans: no hashing and no pointer to chase
// beyond the array. From IndexedFrom rules on, Exact paths are also indexed whole and Prefix
// paths (stored without their trailing slash) are looked up once per '/'-element of the request
// path, longest first, so a lookup costs O(path depth) whatever the number of rules.
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
  // Valid until the next add.
  RouteAction* find(PathMatch match, std::string_view path);

  const RouteAction* match(std::string_view path, PathCaptures& captures) const noexcept;
  const std::string& name() const noexcept { return name_; }
  // Every rule, Exact, Regex then Prefix, for inspection (/debug/snapshot), not for routing.
  template <class Visit>
  void for_each_rule(Visit&& visit) const {
    for_each_path_rule(PathMatch::Exact, visit);
    for (const auto& rule : regex_) {
      visit(PathMatch::Regex, std::string_view(rule.pattern), rule.action);
    }
    for_each_path_rule(PathMatch::Prefix, visit);
  }
  std::size_t size() const noexcept { return rules_.size() + regex_.size(); }

 private:
  static constexpr std::size_t IndexedFrom = 8;
  struct PathRule {
    PathMatch match;
    std::string path;  // Prefix: without trailing '/'; "/" is stored as "".
    RouteAction action;
  };
  struct RegexRule {
    std::string pattern;
    PathRegex regex;
    RouteAction action;
  };
  template <class Visit>
  void for_each_path_rule(PathMatch match, Visit& visit) const {
    for (const auto& rule : rules_) {
      if (rule.match == match) {
        const bool root = match == PathMatch::Prefix && rule.path.empty();
        visit(match, root ? std::string_view("/") : std::string_view(rule.path), rule.action);
      }
    }
  }
  bool indexed() const noexcept { return index_ != nullptr; }
  void index(std::uint32_t rule);
  const PathRule* scan(std::string_view path, const PathRule*& longest_prefix) const noexcept;
  const RouteAction* longest_indexed_prefix(std::string_view path) const noexcept;

  std::string name_;
  std::vector<PathRule> rules_;  // Exact and Prefix, in the order added
  std::vector<RegexRule> regex_;  // longest pattern first; equal lengths oldest first
  // Positions in rules_ by path, once the host has IndexedFrom rules (apart, to keep the
  // many small hosts small).
  struct PathIndex {
    FlatStringMap<std::uint32_t> exact;
    FlatStringMap<std::uint32_t> prefix;
    FlatStringMap<std::uint32_t>& paths(PathMatch match) {
      return match == PathMatch::Exact ? exact : prefix;
    }
  };
  std::unique_ptr<PathIndex> index_;
};

class RouteTable {
 public:
  // The host's rules, created on first use. `host` is lowercase: "a.b", "*.b" or "" (no host).
  // Valid until the next call.
  VirtualHost& host(const std::string& host);
  void set_default_backend(RouteAction action) { default_backend_ = std::move(action); }
  bool has_default_backend() const noexcept { return default_backend_.has_value(); }

  // `host` is already normalized (lowercase, no port); `path` has no dot segments.
  RouteMatch match(std::string_view host, std::string_view path) const noexcept;

  // Every host's rules (exact hosts, wildcards, then the host-less rules), for inspection.
  template <class Visit>
  void for_each_host(Visit&& visit) const {
    exact_hosts_.for_each([&](std::string_view, const VirtualHost& vhost) { visit(vhost); });
    wildcard_hosts_.for_each([&](std::string_view, const VirtualHost& vhost) { visit(vhost); });
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
  using Hosts = FlatStringMap<VirtualHost>;
  Hosts exact_hosts_;
  Hosts wildcard_hosts_;  // keyed by the suffix after "*.", e.g. "example.com"
  std::optional<VirtualHost> no_host_;
  std::optional<RouteAction> default_backend_;
};

}  // namespace portico
