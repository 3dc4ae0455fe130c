#pragma once
// One HTTPRoute rule as the data plane runs it: its matches as GatewayRule conditions, its
// filters as a RoutePolicy, its backendRefs as weighted clusters. Used by GatewayTranslator.
#include <string>

#include "config/gateway_translator.hpp"

namespace portico {

// Whether an object in `from_namespace` of (`from_group`, `from_kind`) may refer to the
// object `to_name` of (`to_group`, `to_kind`) in `to_namespace`: always in its own
// namespace, elsewhere only when a ReferenceGrant there allows it.
bool reference_permitted(const ObjectCache& cache, std::string_view from_group,
                         std::string_view from_kind, const std::string& from_namespace,
                         std::string_view to_group, std::string_view to_kind,
                         const std::string& to_namespace, const std::string& to_name);

// The route a rule belongs to: an HTTPRoute, or a GRPCRoute (whose backends speak gRPC).
struct RouteSource {
  const k8s::ObjectMeta* meta;
  std::string_view kind;  // "HTTPRoute" or "GRPCRoute"
  bool grpc() const noexcept { return kind == "GRPCRoute"; }
};

struct RuleTranslation {
  const ObjectCache& cache;
  const GatewaySettings& settings;
  Translation& out;
  ClusterIds& ids;
};

// The route's ResolvedRefs condition is updated when a backendRef cannot be resolved (the
// first problem found names the reason). A rule that cannot be served as written (a filter
// Portico does not offer) answers 500.
RouteAction rule_action(RuleTranslation& context, const RouteSource& route,
                        const k8s::HttpRouteRule& rule, const k8s::HttpRouteMatch& match,
                        k8s::Condition& resolved_refs);

// The match's conditions, or a Failure when a regex does not compile.
Expected<GatewayRule> rule_conditions(const k8s::HttpRouteMatch& match);

}  // namespace portico
