// Gateway API objects decoded with the specification's defaults and clear errors, and the
// pieces of translation that are pure: hostname intersection and the precedence of matches.
#include <catch2/catch.hpp>

#include "config/gateway_translator.hpp"
#include "tests/unit/yaml_objects.hpp"

using namespace portico;
using namespace portico::test;

namespace {

std::string error_of(const std::string& yaml) {
  const auto decoded = decode_yaml(yaml);
  REQUIRE_FALSE(decoded.ok());
  return decoded.error();
}

const std::string RouteHead = R"(apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: apps}
spec:
)";

}  // namespace

TEST_CASE("Gateway API decode: an HTTPRoute gets the specification's defaults", "[gateway]") {
  const auto decoded = decode_yaml(RouteHead + R"(  parentRefs: [{name: gw}]
  rules:
  - backendRefs: [{name: web, port: 80}]
  - matches: [{headers: [{name: version, value: two}]}]
    filters: [{type: RequestRedirect, requestRedirect: {scheme: https}}]
)");
  REQUIRE(decoded.ok());
  const auto& route = std::get<k8s::HttpRoute>(*decoded);
  REQUIRE(route.spec.parent_refs.size() == 1);
  CHECK(route.spec.parent_refs[0].group == "gateway.networking.k8s.io");
  CHECK(route.spec.parent_refs[0].kind == "Gateway");
  CHECK(route.spec.parent_refs[0].namespace_.empty());  // the route's own
  REQUIRE(route.spec.rules.size() == 2);
  // A rule without matches matches PathPrefix "/"; a match without a path too.
  for (const auto& rule : route.spec.rules) {
    REQUIRE(rule.matches.size() == 1);
    CHECK(rule.matches[0].path_type == k8s::HttpPathType::PathPrefix);
    CHECK(rule.matches[0].path == "/");
  }
  CHECK(route.spec.rules[0].backends[0].ref.kind == "Service");
  CHECK(route.spec.rules[0].backends[0].ref.group.empty());
  CHECK(route.spec.rules[0].backends[0].weight == 1);
  CHECK(route.spec.rules[1].filters[0].redirect.status_code == 302);

  const auto no_rules = decode_yaml(RouteHead + "  parentRefs: [{name: gw}]\n");
  REQUIRE(no_rules.ok());
  CHECK(std::get<k8s::HttpRoute>(*no_rules).spec.rules.size() == 1);  // one default rule
}

TEST_CASE("Gateway API decode: RequestMirror's share and a Gateway's parametersRef",
          "[gateway]") {
  const auto decoded = decode_yaml(RouteHead + R"(  rules:
  - filters:
    - {type: RequestMirror, requestMirror: {backendRef: {name: all, port: 80}}}
    - {type: RequestMirror, requestMirror: {backendRef: {name: some, port: 80}, percent: 20}}
    - type: RequestMirror
      requestMirror: {backendRef: {name: half, port: 80}, fraction: {numerator: 25, denominator: 50}}
)");
  REQUIRE(decoded.ok());
  const auto& filters = std::get<k8s::HttpRoute>(*decoded).spec.rules[0].filters;
  REQUIRE(filters.size() == 3);
  CHECK(filters[0].mirror.backend.kind == "Service");
  CHECK(std::pair{filters[0].mirror.numerator, filters[0].mirror.denominator} == std::pair{100, 100});
  CHECK(std::pair{filters[1].mirror.numerator, filters[1].mirror.denominator} == std::pair{20, 100});
  CHECK(std::pair{filters[2].mirror.numerator, filters[2].mirror.denominator} == std::pair{25, 50});

  const auto gateway = decode_yaml(R"(apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: g, namespace: apps}
spec:
  gatewayClassName: portico
  listeners: [{name: http, port: 80, protocol: HTTP}]
  infrastructure: {parametersRef: {group: example.io, kind: Params, name: p}}
)");
  REQUIRE(gateway.ok());
  const auto& ref = std::get<k8s::Gateway>(*gateway).spec.parameters_ref;
  REQUIRE(ref);
  CHECK(ref->group + "/" + ref->kind + "/" + ref->name == "example.io/Params/p");
}

TEST_CASE("Gateway API decode: an invalid object is refused with the field that is wrong",
          "[gateway]") {
  CHECK(error_of(RouteHead + "  rules: [{matches: [{path: {type: Prefix, value: /}}]}]\n") ==
        "spec.rules[0].matches[0].path.type: must be Exact, PathPrefix or RegularExpression");
  CHECK(error_of(RouteHead + "  rules: [{matches: [{path: {value: relative}}]}]\n") ==
        "spec.rules[0].matches[0].path.value: must be an absolute path");
  CHECK(error_of(RouteHead + "  hostnames: [10.0.0.1]\n") ==
        "spec.hostnames[0]: must be a DNS name, not an IP address: \"10.0.0.1\"");
  CHECK(error_of(RouteHead + "  rules: [{backendRefs: [{name: a, port: 80, weight: -1}]}]\n") ==
        "spec.rules[0].backendRefs[0].weight: must be between 0 and 1000000");
  CHECK(error_of(RouteHead + "  rules: [{filters: [{type: RequestRedirect, requestRedirect: "
                             "{statusCode: 305}}]}]\n") ==
        "spec.rules[0].filters[0].requestRedirect.statusCode: must be 301, 302, 303, 307 or 308");
  CHECK(error_of(RouteHead + "  rules: [{filters: [{type: RequestMirror, requestMirror: "
                             "{backendRef: {name: a, port: 80}, percent: 101}}]}]\n") ==
        "spec.rules[0].filters[0].requestMirror.percent: must be between 0 and 100");
  CHECK(error_of(RouteHead + "  rules: [{filters: [{type: RequestMirror, requestMirror: "
                             "{backendRef: {name: a, port: 80}, fraction: {numerator: 3, "
                             "denominator: 2}}}]}]\n") ==
        "spec.rules[0].filters[0].requestMirror.fraction: numerator must be between 0 and a "
        "denominator of at least 1");
  CHECK(error_of(RouteHead + "  rules: [{filters: [{type: RequestMirror, requestMirror: {}}]}]\n") ==
        "spec.rules[0].filters[0].requestMirror.backendRef: required");
  CHECK(error_of(R"(apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: g}
spec:
  gatewayClassName: portico
  listeners: [{name: http, protocol: HTTP}]
)") == "spec.listeners[0].port: required, between 1 and 65535");
  CHECK(error_of(R"(apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: c}
spec: {}
)") == "spec.controllerName: required");
  CHECK(error_of(R"(apiVersion: gateway.networking.k8s.io/v1alpha2
kind: HTTPRoute
metadata: {name: r}
)") == "apiVersion: \"gateway.networking.k8s.io/v1alpha2\" is not supported for HTTPRoute "
        "(expected gateway.networking.k8s.io/v1)");
}

TEST_CASE("Gateway API: listener and route hostnames intersect as the specification says",
          "[gateway]") {
  CHECK(intersect_hostnames("", "") == "");
  CHECK(intersect_hostnames("", "a.example.com") == "a.example.com");
  CHECK(intersect_hostnames("a.example.com", "") == "a.example.com");
  CHECK(intersect_hostnames("*.example.com", "a.b.example.com") == "a.b.example.com");
  CHECK(intersect_hostnames("a.example.com", "*.example.com") == "a.example.com");
  CHECK(intersect_hostnames("*.example.com", "*.a.example.com") == "*.a.example.com");
  CHECK(intersect_hostnames("*.a.example.com", "*.example.com") == "*.a.example.com");
  CHECK_FALSE(intersect_hostnames("*.example.com", "example.com"));
  CHECK_FALSE(intersect_hostnames("a.example.com", "b.example.com"));
  CHECK_FALSE(intersect_hostnames("*.example.com", "*.example.org"));
}

TEST_CASE("Gateway API decode: a GRPCRoute's method matches become the paths of gRPC calls",
          "[gateway]") {
  const auto decoded = decode_yaml(R"(apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: g, namespace: apps}
spec:
  parentRefs: [{name: gw}]
  rules:
  - matches:
    - method: {service: pkg.Echo, method: Unary}
    - method: {service: pkg.Echo}
    - method: {method: Unary}
    - method: {type: RegularExpression, service: "pkg\\..*", method: "Un.*"}
    - headers: [{name: x, value: z1}]
    backendRefs: [{name: echo, port: 80}]
)");
  REQUIRE(decoded.ok());
  const auto& matches = std::get<k8s::GrpcRoute>(*decoded).spec.rules.at(0).matches;
  REQUIRE(matches.size() == 5);
  for (const auto& match : matches) {
    CHECK(match.method == "POST");
  }
  CHECK(matches[0].path_type == k8s::HttpPathType::Exact);
  CHECK(matches[0].path == "/pkg.Echo/Unary");
  CHECK(matches[1].path_type == k8s::HttpPathType::PathPrefix);
  CHECK(matches[1].path == "/pkg.Echo");
  CHECK(matches[2].path_type == k8s::HttpPathType::RegularExpression);
  CHECK(matches[2].path == "/([^/]+)/(Unary)$");
  CHECK(matches[3].path == "/(pkg\\..*)/(Un.*)$");
  CHECK(matches[4].path == "/");  // any method, with the header
  CHECK(matches[4].headers.size() == 1);
  CHECK(error_of(R"(apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: g}
spec:
  rules: [{matches: [{method: {type: Exact}}]}]
)") == "spec.rules[0].matches[0].method: one of service or method is required");
}
