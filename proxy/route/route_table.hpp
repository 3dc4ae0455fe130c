#pragma once
// RouteTable: where a request is routed. Maps (host, path) to the action of the Ingress rule
// that wins under the Ingress v1 precedence rules (the README's routing section states
// them), or, for hosts Gateway API routes serve, to the winning HTTPRoute rule. Built once by the
// control plane, then immutable and shared by every worker through the Snapshot; match() is
// noexcept, lock-free and allocation-free.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "proxy/common/expected.hpp"
#include "proxy/common/flat_string_map.hpp"
#include "proxy/common/string_hash.hpp"
#include "proxy/route/gateway_host.hpp"
#include "proxy/route/path_regex.hpp"
#include "proxy/route/route_action.hpp"

namespace portico {

// Regex: a Prefix or ImplementationSpecific path on a host where some Ingress asks for
// use-regex or rewrite-target (ingress-nginx then treats every such path of the host as a
// regex).
enum class PathMatch { Exact, Prefix, Regex };

constexpr std::string_view path_match_name(PathMatch match) {
  return match == PathMatch::Exact ? "Exact" : match == PathMatch::Prefix ? "Prefix" : "Regex";
}

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

// The rules a request's host selects: an Ingress host's or a Gateway API host's, never both.
struct HostSelection {
  const VirtualHost* ingress = nullptr;
  const GatewayHost* gateway = nullptr;
  explicit operator bool() const noexcept { return ingress != nullptr || gateway != nullptr; }
};

// A request as an Ingress rule sees it: a GET over HTTP with no headers (for lookups that
// have no request, such as tests of Ingress routing).
const RequestFacts& plain_request() noexcept;

class RouteTable {
 public:
  // The host's rules, created on first use. `host` is lowercase: "a.b", "*.b" or "" (no host).
  // Valid until the next call.
  VirtualHost& host(const std::string& host);
  // The same for Gateway API routes; a wildcard "*.b" covers any number of labels before
  // ".b", as the Gateway API specification says.
  GatewayHost& gateway_host(const std::string& host);
  void set_default_backend(RouteAction action) { default_backend_ = std::move(action); }
  bool has_default_backend() const noexcept { return default_backend_.has_value(); }

  // `host` is already normalized (lowercase, no port); `path` has no dot segments.
  RouteMatch match(std::string_view host, std::string_view path,
                   const RequestFacts& request = plain_request()) const noexcept;

  // Every host's rules (exact hosts, wildcards, then the host-less rules), for inspection.
  template <class Visit>
  void for_each_host(Visit&& visit) const {
    exact_hosts_.for_each([&](std::string_view, const VirtualHost& vhost) { visit(vhost); });
    wildcard_hosts_.for_each([&](std::string_view, const VirtualHost& vhost) { visit(vhost); });
    if (no_host_) {
      visit(*no_host_);
    }
  }
  template <class Visit>
  void for_each_gateway_host(Visit&& visit) const {
    gateway_exact_.for_each([&](std::string_view, const GatewayHost& host) { visit(host); });
    gateway_wildcard_.for_each([&](std::string_view, const GatewayHost& host) { visit(host); });
    if (gateway_any_) {
      visit(*gateway_any_);
    }
  }
  // The rules a request for `host` is matched against, most specific first: its exact host's
  // (a Gateway API host before an Ingress one: an HTTPRoute wins a hostname both claim), else
  // the longest wildcard's (an Ingress wildcard covers one label), else the host-less rules.
  HostSelection select_host(std::string_view host) const noexcept;
  // The Ingress rules of exactly `host`, whether or not a Gateway API host shadows them.
  const VirtualHost* ingress_host_named(std::string_view host) const noexcept {
    return exact_hosts_.find(host);
  }
  const RouteAction* default_backend() const noexcept {
    return default_backend_ ? &*default_backend_ : nullptr;
  }

  // ssl-passthrough: TLS connections whose SNI is exactly `host` are relayed untouched to the
  // cluster. The first one set keeps a host.
  void set_passthrough(const std::string& host, std::uint32_t cluster_id) {
    passthrough_.try_emplace(host, cluster_id);
  }
  bool has_passthrough() const noexcept { return !passthrough_.empty(); }
  const std::uint32_t* passthrough_cluster(std::string_view host) const noexcept {
    const auto it = passthrough_.find(host);
    return it == passthrough_.end() ? nullptr : &it->second;
  }

  std::size_t host_count() const noexcept {
    return exact_hosts_.size() + wildcard_hosts_.size() + (no_host_ ? 1 : 0) +
           gateway_exact_.size() + gateway_wildcard_.size() + (gateway_any_ ? 1 : 0);
  }

 private:
  using Hosts = FlatStringMap<VirtualHost>;
  using GatewayHosts = FlatStringMap<GatewayHost>;
  Hosts exact_hosts_;
  Hosts wildcard_hosts_;  // keyed by the suffix after "*.", e.g. "example.com"
  std::optional<VirtualHost> no_host_;
  GatewayHosts gateway_exact_;
  GatewayHosts gateway_wildcard_;  // keyed by the suffix after "*."
  std::optional<GatewayHost> gateway_any_;
  std::optional<RouteAction> default_backend_;
  std::unordered_map<std::string, std::uint32_t, StringHash, std::equal_to<>> passthrough_;
};

}  // namespace portico
