#pragma once
// The Kubernetes objects Portico reads, with only the fields it uses. Decoded once (from the
// API server or from manifest files) and then shared immutably with the control plane.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "k8swatch/gateway_resources.hpp"

namespace portico::k8s {

struct ObjectMeta {
  std::string name;
  std::string namespace_;          // "" for cluster-scoped kinds
  std::string creation_timestamp;  // RFC 3339 as sent, "" when absent
  std::string resource_version;
  std::int64_t generation = 0;  // what status conditions report as observedGeneration
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  bool operator==(const ObjectMeta&) const = default;
};

// IngressBackend: a Service port, or a resource reference (which Portico does not serve).
struct ServiceBackend {
  std::string name;
  std::optional<std::int32_t> port_number;
  std::string port_name;  // set when port_number is not
  bool operator==(const ServiceBackend&) const = default;
};

struct IngressBackend {
  std::optional<ServiceBackend> service;  // empty: a `resource` backend
  bool operator==(const IngressBackend&) const = default;
};

enum class PathType { Exact, Prefix, ImplementationSpecific };

struct IngressPath {
  std::string path;
  PathType type = PathType::Prefix;
  IngressBackend backend;
  bool operator==(const IngressPath&) const = default;
};

struct IngressRule {
  std::string host;  // "" for every host; "*.example.com" for a one-label wildcard
  std::vector<IngressPath> paths;
  bool operator==(const IngressRule&) const = default;
};

struct IngressTls {
  std::vector<std::string> hosts;
  std::string secret_name;
  bool operator==(const IngressTls&) const = default;
};

struct Ingress {
  ObjectMeta meta;
  std::optional<std::string> class_name;  // spec.ingressClassName
  std::optional<IngressBackend> default_backend;
  std::vector<IngressRule> rules;
  std::vector<IngressTls> tls;
  // status.loadBalancer.ingress, each entry's ip or hostname, as written by the leader.
  std::vector<std::string> status_addresses;
  bool operator==(const Ingress&) const = default;
};

struct IngressClass {
  ObjectMeta meta;
  std::string controller;
  bool operator==(const IngressClass&) const = default;
};

struct ServicePort {
  std::string name;
  std::int32_t port = 0;
  std::string app_protocol;  // spec.ports[].appProtocol, "" when unset
  bool operator==(const ServicePort&) const = default;
};

struct Service {
  ObjectMeta meta;
  std::string type;  // ClusterIP, NodePort, LoadBalancer or ExternalName
  std::string cluster_ip;  // spec.clusterIP: "" when unset, "None" when headless
  std::vector<ServicePort> ports;
  // Where the Service is reachable from outside: status.loadBalancer.ingress (ip or
  // hostname), else spec.externalIPs. What --publish-service publishes.
  std::vector<std::string> external_addresses;
  bool operator==(const Service&) const = default;
};

struct SliceEndpoint {
  std::string address;  // the first of `addresses`: they are fungible by definition
  // Conditions as sent; absent means ready=true, serving=true, terminating=false.
  std::optional<bool> ready;
  std::optional<bool> serving;
  std::optional<bool> terminating;
  bool operator==(const SliceEndpoint&) const = default;
};

struct SlicePort {
  std::string name;
  std::optional<std::int32_t> port;
  std::string protocol;  // TCP unless stated
  bool operator==(const SlicePort&) const = default;
};

struct EndpointSlice {
  ObjectMeta meta;
  std::string service_name;  // label kubernetes.io/service-name
  std::string address_type;  // IPv4, IPv6 or FQDN
  std::vector<SliceEndpoint> endpoints;
  std::vector<SlicePort> ports;
  bool operator==(const EndpointSlice&) const = default;
};

struct Secret {
  ObjectMeta meta;
  std::string type;
  std::map<std::string, std::string> data;  // decoded bytes; stringData merged over data
  // Only the name was kept: nothing served referred to this Secret when it arrived.
  bool withheld = false;
  bool operator==(const Secret&) const = default;
};

// The global ConfigMap (--configmap): ingress-nginx's cluster-wide settings, as strings.
struct ConfigMap {
  ObjectMeta meta;
  std::map<std::string, std::string> data;
  bool operator==(const ConfigMap&) const = default;
};

// Only its labels matter: a Gateway listener's allowedRoutes can select namespaces by label.
struct Namespace {
  ObjectMeta meta;
  bool operator==(const Namespace&) const = default;
};

struct GatewayClass {
  ObjectMeta meta;
  GatewayClassSpec spec;
  bool operator==(const GatewayClass&) const = default;
};

struct Gateway {
  ObjectMeta meta;
  GatewaySpec spec;
  bool operator==(const Gateway&) const = default;
};

struct HttpRoute {
  ObjectMeta meta;
  HttpRouteSpec spec;
  bool operator==(const HttpRoute&) const = default;
};

// A GRPCRoute, read into the HTTPRoute form it routes as: each gRPC method match is a POST
// to a path ("/service/method", "/service/..." or a regex), so one translator serves both.
struct GrpcRoute {
  ObjectMeta meta;
  HttpRouteSpec spec;
  bool operator==(const GrpcRoute&) const = default;
};

struct ReferenceGrant {
  ObjectMeta meta;
  ReferenceGrantSpec spec;
  bool operator==(const ReferenceGrant&) const = default;
};

using Object = std::variant<Ingress, IngressClass, Service, EndpointSlice, Secret, Namespace,
                            ConfigMap, GatewayClass, Gateway, HttpRoute, GrpcRoute, ReferenceGrant>;

enum class Kind {
  Ingress,
  IngressClass,
  Service,
  EndpointSlice,
  Secret,
  Namespace,
  ConfigMap,
  GatewayClass,
  Gateway,
  HttpRoute,
  GrpcRoute,
  ReferenceGrant
};
inline constexpr std::size_t KindCount = 12;
// The kinds of gateway.networking.k8s.io: watched only where the API server serves them.
inline constexpr Kind FirstGatewayKind = Kind::GatewayClass;
inline bool is_gateway_kind(Kind kind) noexcept {
  return kind >= FirstGatewayKind;
}

const char* kind_name(Kind kind) noexcept;
// IngressClass, Namespace and GatewayClass: no namespace, in keys or in API paths.
bool is_cluster_scoped(Kind kind) noexcept;
inline Kind kind_of(const Object& object) noexcept {
  return static_cast<Kind>(object.index());
}
const ObjectMeta& meta_of(const Object& object) noexcept;
// "namespace/name", or "name" for cluster-scoped objects: the key in caches and in logs.
std::string key_of(const ObjectMeta& meta);

}  // namespace portico::k8s
