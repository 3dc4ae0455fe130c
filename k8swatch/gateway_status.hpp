#pragma once
// What the Gateway API translation concluded about each object Portico owns, as the status
// the specification asks for: conditions of GatewayClasses, Gateways and their listeners, and
// each HTTPRoute's parents. Computed on the control thread, written by the leader.
#include <cstdint>
#include <string>
#include <vector>

#include "k8swatch/gateway_resources.hpp"

namespace portico::k8s {

struct Condition {
  std::string type;    // Accepted, Programmed, ResolvedRefs, Conflicted, SupportedVersion
  bool status = true;  // "True" or "False"
  std::string reason;
  std::string message;
  bool operator==(const Condition&) const = default;
};

struct ListenerStatus {
  std::string name;
  std::vector<RouteGroupKind> supported_kinds;
  std::int32_t attached_routes = 0;
  std::vector<Condition> conditions;
  bool operator==(const ListenerStatus&) const = default;
};

struct GatewayClassStatus {
  std::string name;
  std::int64_t generation = 0;
  std::vector<Condition> conditions;
  bool operator==(const GatewayClassStatus&) const = default;
};

struct GatewayStatus {
  std::string namespace_;
  std::string name;
  std::int64_t generation = 0;
  std::vector<Condition> conditions;
  std::vector<ListenerStatus> listeners;
  bool operator==(const GatewayStatus&) const = default;
};

struct RouteParentStatus {
  ObjectReference parent;  // as the route wrote it, its defaults filled in
  std::vector<Condition> conditions;
  bool operator==(const RouteParentStatus&) const = default;
};

// An HTTPRoute's or a GRPCRoute's.
struct HttpRouteStatus {
  std::string plural;  // "httproutes" or "grpcroutes": where its status is written
  std::string namespace_;
  std::string name;
  std::int64_t generation = 0;
  std::vector<RouteParentStatus> parents;  // only parents that are Portico's Gateways
  bool operator==(const HttpRouteStatus&) const = default;
};

struct GatewayApiStatus {
  std::vector<GatewayClassStatus> classes;
  std::vector<GatewayStatus> gateways;
  std::vector<HttpRouteStatus> routes;
  bool operator==(const GatewayApiStatus&) const = default;
};

}  // namespace portico::k8s
