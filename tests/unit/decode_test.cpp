#include <catch2/catch.hpp>

#include "tests/unit/yaml_objects.hpp"

using namespace portico;
using namespace portico::test;

namespace {

std::string ingress_with_path(const std::string& path_yaml) {
  return R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: i}
spec:
  rules:
  - host: x.com
    http:
      paths:
)" + path_yaml;
}

std::string error_of(const std::string& yaml) {
  const auto decoded = decode_yaml(yaml);
  REQUIRE_FALSE(decoded.ok());
  return decoded.error();
}

}  // namespace

TEST_CASE("Decode: a full Ingress", "[decode]") {
  const auto decoded = decode_yaml(R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: blog
  creationTimestamp: "2026-11-26T15:14:40Z"
  annotations: {kubernetes.io/ingress.class: portico}
spec:
  ingressClassName: portico
  defaultBackend: {service: {name: fallback, port: {number: 8080}}}
  tls: [{hosts: [blog.example.com], secretName: blog-tls}]
  rules:
  - host: "*.example.com"
    http:
      paths:
      - {path: /api, pathType: Exact, backend: {service: {name: api, port: {name: http}}}}
  - http:
      paths:
      - {pathType: ImplementationSpecific, backend: {service: {name: web, port: {number: 80}}}}
)");
  REQUIRE(decoded.ok());
  const auto& ingress = std::get<k8s::Ingress>(*decoded);
  CHECK(ingress.meta.namespace_ == "default");  // a missing namespace means default
  CHECK(ingress.meta.creation_timestamp == "2026-11-26T15:14:40Z");
  CHECK(ingress.class_name == "portico");
  CHECK(ingress.default_backend->service->port_number == 8080);
  CHECK(ingress.tls.at(0).secret_name == "blog-tls");
  CHECK(ingress.rules.at(0).host == "*.example.com");
  CHECK(ingress.rules.at(0).paths.at(0).type == k8s::PathType::Exact);
  CHECK(ingress.rules.at(0).paths.at(0).backend.service->port_name == "http");
  CHECK(ingress.rules.at(1).host.empty());
  CHECK(ingress.rules.at(1).paths.at(0).path.empty());
}

TEST_CASE("Decode: the API server's validation rules for Ingress paths", "[decode]") {
  const auto path = [](const std::string& p, const std::string& type) {
    return ingress_with_path("      - {path: \"" + p + "\", pathType: " + type +
                             ", backend: {service: {name: s, port: {number: 80}}}}\n");
  };
  CHECK_THAT(error_of(path("api", "Prefix")),
             Catch::Contains("spec.rules[0].http.paths[0].path: must be an absolute path"));
  CHECK_THAT(error_of(path("/a//b", "Exact")), Catch::Contains("must not contain '//'"));
  CHECK_THAT(error_of(path("/a/../b", "Prefix")), Catch::Contains("'/../'"));
  CHECK_THAT(error_of(path("/a%2fb", "Prefix")), Catch::Contains("'%2f'"));
  CHECK_THAT(error_of(path("/a/..", "Prefix")), Catch::Contains("must not end with"));
  CHECK_THAT(error_of(path("/a", "Regex")), Catch::Contains("pathType: \"Regex\" is not"));
  CHECK(decode_yaml(path("/a//b", "ImplementationSpecific")).ok());
  CHECK_THAT(error_of(ingress_with_path(
                 "      - {path: /a, backend: {service: {name: s, port: {number: 80}}}}\n")),
             Catch::Contains("pathType: required"));
}

TEST_CASE("Decode: backends, hosts and the spec as a whole", "[decode]") {
  const auto backend = [](const std::string& b) {
    return ingress_with_path("      - {path: /, pathType: Prefix, backend: " + b + "}\n");
  };
  CHECK_THAT(error_of(backend("{service: {name: s, port: {number: 70000}}}")),
             Catch::Contains("between 1 and 65535"));
  CHECK_THAT(error_of(backend("{service: {name: s, port: {number: 80, name: http}}}")),
             Catch::Contains("exactly one of name or number"));
  CHECK_THAT(error_of(backend("{service: {name: s, port: {name: Not_Valid}}}")),
             Catch::Contains("not a valid port name"));
  CHECK_THAT(error_of(backend("{service: {name: S!, port: {number: 1}}}")),
             Catch::Contains("valid Service name"));
  CHECK_THAT(error_of(backend("{}")), Catch::Contains("exactly one of service or resource"));
  CHECK_THAT(error_of(R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: i}
spec:
  rules: [{host: 10.0.0.1}]
)"),
             Catch::Contains("not an IP address"));
  CHECK_THAT(error_of(R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: i}
spec:
  rules: [{host: "a.*.com"}]
)"),
             Catch::Contains("not a valid host"));
  CHECK_THAT(
      error_of("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\nspec: {}\n"),
      Catch::Contains("either defaultBackend or rules"));
  CHECK_THAT(
      error_of("apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: i}\nspec: {}\n"),
      Catch::Contains("apiVersion: \"extensions/v1beta1\" is not supported"));
  CHECK_THAT(error_of("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {}\nspec: {}\n"),
             Catch::Contains("metadata.name: required"));
  CHECK_THAT(error_of(R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: i, annotations: {portico.dev/ssl-redirect: false}}
spec: {defaultBackend: {service: {name: s, port: {number: 1}}}}
)"),
             Catch::Contains("metadata.annotations.portico.dev/ssl-redirect: must be a string"));
}

TEST_CASE("Decode: IngressClass, Service, EndpointSlice and Secret", "[decode]") {
  const auto cls = decode_yaml(
      "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: c, namespace: x}\n"
      "spec: {controller: portico.dev/ingress-controller}\n");
  REQUIRE(cls.ok());
  CHECK(std::get<k8s::IngressClass>(*cls).meta.namespace_.empty());  // cluster-scoped
  CHECK_THAT(
      error_of(
          "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: c}\nspec: {}\n"),
      Catch::Contains("spec.controller: required"));

  CHECK_THAT(
      error_of("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{name: a}]}\n"),
      Catch::Contains("spec.ports[0].port: required"));

  const auto slice = decode_yaml(R"(apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: s-1, labels: {kubernetes.io/service-name: s}}
addressType: IPv4
ports: [{port: 8080}]
endpoints:
- addresses: [10.0.0.1, 10.0.0.9]
  conditions: {serving: true, terminating: true}
)");
  REQUIRE(slice.ok());
  const auto& s = std::get<k8s::EndpointSlice>(*slice);
  CHECK(s.service_name == "s");
  CHECK(s.ports.at(0).name.empty());
  CHECK(s.ports.at(0).protocol == "TCP");
  CHECK(s.endpoints.at(0).address == "10.0.0.1");
  CHECK_FALSE(s.endpoints.at(0).ready.has_value());
  CHECK(s.endpoints.at(0).terminating == true);
  CHECK_THAT(error_of("apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: e}\n"
                      "addressType: IPv4\nendpoints: [{addresses: []}]\n"),
             Catch::Contains("endpoints[0].addresses: must list at least one address"));

  const auto secret = decode_yaml(R"(apiVersion: v1
kind: Secret
metadata: {name: tls}
type: kubernetes.io/tls
data: {tls.crt: Y2VydA==, tls.key: a2V5}
stringData: {tls.key: plain-key}
)");
  REQUIRE(secret.ok());
  CHECK(std::get<k8s::Secret>(*secret).data.at("tls.crt") == "cert");
  CHECK(std::get<k8s::Secret>(*secret).data.at("tls.key") == "plain-key");  // stringData wins
  const auto bad =
      error_of("apiVersion: v1\nkind: Secret\nmetadata: {name: x}\ndata: {k: \"not base64!\"}\n");
  CHECK_THAT(bad, Catch::Contains("data.k: is not valid base64"));
  CHECK_THAT(bad, !Catch::Contains("not base64!"));  // secret values never reach a message
}
