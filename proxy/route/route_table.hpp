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

#include "proxy/common/string_hash.hpp"
#include "proxy/route/route_policy.hpp"

namespace portico {

// What a matched rule does: send the request to one backend cluster, under its Ingress's policy.
struct RouteAction {
  std::uint32_t cluster_id = 0;
  std::string ingress;    // "namespace/name" of the Ingress the rule came from, for logs and stats.
  RoutePolicyPtr policy;  // null: the flags' defaults
  bool operator==(const RouteAction&) const = default;
};

enum class PathMatch { Exact, Prefix };

// The rules of one host (or of the host-less rules). Exact paths are looked up whole; Prefix
// paths are stored without their trailing slash and looked up once per '/'-element of the
// request path, longest first, so a lookup costs O(path depth) whatever the number of rules.
class VirtualHost {
 public:
  explicit VirtualHost(std::string name) : name_(std::move(name)) {}

  // Adds a rule unless one with the same match already exists: rules are added oldest
  // Ingress first, so the first one in keeps a conflict. Returns false when it lost.
  bool add(PathMatch match, std::string_view path, RouteAction action);

  const RouteAction* match(std::string_view path) const noexcept;
  const std::string& name() const noexcept { return name_; }
  // Every rule, Exact then Prefix, for inspection (/debug/snapshot), not for routing.
  template <class Visit>
  void for_each_rule(Visit&& visit) const {
    for (const auto& [path, action] : exact_) {
      visit(PathMatch::Exact, std::string_view(path), action);
    }
    for (const auto& [path, action] : prefix_) {
      visit(PathMatch::Prefix, path.empty() ? std::string_view("/") : std::string_view(path),
            action);
    }
  }
  std::size_t size() const noexcept { return exact_.size() + prefix_.size(); }

 private:
  using Rules = std::unordered_map<std::string, RouteAction, StringHash, std::equal_to<>>;
  std::string name_;
  Rules exact_;
  Rules prefix_;  // keyed by the path without trailing '/'; "/" is stored as "".
};

struct RouteMatch {
  const RouteAction* action = nullptr;  // null: no rule and no default backend (404)
  std::string_view host;                // the rule host that matched, for stats; "" for none
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
  const RouteAction* default_backend() const noexcept {
    return default_backend_ ? &*default_backend_ : nullptr;
  }

  std::size_t host_count() const noexcept {
    return exact_hosts_.size() + wildcard_hosts_.size() + (no_host_ ? 1 : 0);
  }

 private:
  const VirtualHost* select_host(std::string_view host) const noexcept;

  using Hosts = std::unordered_map<std::string, VirtualHost, StringHash, std::equal_to<>>;
  Hosts exact_hosts_;
  Hosts wildcard_hosts_;  // keyed by the suffix after "*.", e.g. "example.com"
  std::optional<VirtualHost> no_host_;
  std::optional<RouteAction> default_backend_;
};

}  // namespace portico
