#pragma once
// RouteAction: what a matched rule does (an Ingress rule, a Gateway API route rule or the
// default backend), and RouteMatch, what a lookup in the RouteTable returns. Immutable parts
// of the Snapshot.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

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
  // canary-by-header-pattern, without a header value: a value it finds -> canary
  std::shared_ptr<const PathRegex> header_pattern;
  std::string cookie;        // canary-by-cookie: "always" -> canary, "never" -> main
  std::uint32_t weight = 0;  // canary-weight, out of weight_total
  std::uint32_t weight_total = 100;
  bool operator==(const Canary&) const = default;
};

// A Gateway API rule's backendRefs. A share whose backend cannot be resolved (a missing
// Service, a reference not permitted) answers 500, as the specification asks.
inline constexpr std::uint32_t UnresolvedCluster = UINT32_MAX;
struct WeightedCluster {
  std::uint32_t cluster_id = UnresolvedCluster;
  std::uint32_t weight = 0;
  bool operator==(const WeightedCluster&) const = default;
};
struct WeightedClusters {
  std::vector<WeightedCluster> choices;
  std::uint64_t total = 0;  // the sum of the weights; 0 answers 500
  bool operator==(const WeightedClusters&) const = default;
};

// RouteAction::ingress of the default backend that --default-backend-service provides.
inline constexpr std::string_view DefaultBackendServiceSource = "--default-backend-service";

// What a matched rule does: send the request to a backend cluster, under its source's policy.

struct RouteAction {
  std::uint32_t cluster_id = 0;
  // Where the rule came from, for logs, stats and explain: "namespace/name" of an Ingress,
  // "HTTPRoute namespace/name" of a Gateway API route, or DefaultBackendServiceSource.
  std::string ingress;
  RoutePolicyPtr policy;                 // null: the flags' defaults
  std::shared_ptr<const Canary> canary;  // null: no canary
  // Gateway API backendRefs: the request goes to one of them by weight (cluster_id unused).
  std::shared_ptr<const WeightedClusters> weighted;  // null: cluster_id
  bool operator==(const RouteAction&) const = default;
};

struct RouteMatch {
  const RouteAction* action = nullptr;  // null: no rule and no default backend (404)
  std::string_view host;                // the rule host that matched, for stats; "" for none
  PathCaptures captures;                // of a Regex rule; count 0 otherwise
};

}  // namespace portico
