// The Gateway API conformance suite's GATEWAY-HTTP tests (kubernetes-sigs/gateway-api
// v1.6, conformance/tests), ported: each TEST_CASE carries the suite's test name, writes the
// objects that test applies (over the suite's base: a GatewayClass, the infra Gateways and
// the backends, as manifests), and sends the same requests with the same expectations to a
// live Portico over loopback. The backends are echo servers named like the suite's, which
// answer with the request as they received it.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/certificates.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/http_client.hpp"

using namespace portico;
using namespace portico::test;
using nlohmann::json;

namespace {

const std::string Infra = "gateway-conformance-infra";
const std::string WebBackend = "gateway-conformance-web-backend";
const std::string AppBackend = "gateway-conformance-app-backend";

// A Service whose one port (`service_port`, named http) has the echo backend on `port`.
std::string service(const std::string& ns, const std::string& name, std::uint16_t port,
                    int service_port = 8080) {
  return "apiVersion: v1\nkind: Service\nmetadata: {name: " + name + ", namespace: " + ns +
         "}\nspec: {ports: [{name: http, port: " + std::to_string(service_port) +
         "}]}\n---\n"
         "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: " +
         name + "-1, namespace: " + ns + ", labels: {kubernetes.io/service-name: " + name +
         "}}\naddressType: IPv4\nports: [{name: http, port: " + std::to_string(port) +
         "}]\nendpoints: [{addresses: [127.0.0.1]}]\n";
}

std::string gateway(const std::string& name, const std::string& listeners) {
  return "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: " + name +
         ", namespace: " + Infra + "}\nspec:\n  gatewayClassName: portico\n  listeners:\n" +
         listeners;
}

// An HTTPRoute in the infra namespace attached to Gateway same-namespace; `spec` is the rest
// of its spec (hostnames, rules), indented by two spaces.
std::string route(const std::string& name, const std::string& spec,
                  const std::string& parents = "  parentRefs: [{name: same-namespace}]\n") {
  return "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: " + name +
         ", namespace: " + Infra + "}\nspec:\n" + parents + spec;
}

// The suite's base: the GatewayClass, Gateways same-namespace, all-namespaces and
// backend-namespaces (routes from namespaces labelled gateway-conformance: backend), the
// namespaces with their labels, and the backends infra-backend-v1..v3, web-backend and
// app-backend-v1..v2.
// A test's manifests may name an infra backend's port as {port:NAME}, for EndpointSlices of its
// own.
class Conformance {
 public:
  explicit Conformance(std::string test_manifests) {
    std::string base =
        "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: "
        "portico}\nspec: {controllerName: portico.dev/gateway-controller}\n---\n" +
        gateway("same-namespace",
                "  - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: "
                "Same}}}\n") +
        "---\n" +
        gateway("all-namespaces",
                "  - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: "
                "All}}}\n") +
        "---\n" +
        gateway("backend-namespaces",
                "  - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: "
                "Selector, selector: {matchLabels: {gateway-conformance: backend}}}}}\n") +
        "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: " + Infra +
        ", labels: {gateway-conformance: infra}}\n---\napiVersion: v1\nkind: Namespace\n"
        "metadata: {name: " +
        WebBackend + ", labels: {gateway-conformance: backend}}\n";
    for (const char* name : {"infra-backend-v1", "infra-backend-v2", "infra-backend-v3"}) {
      const std::uint16_t port = backends_.start(name);
      infra_backends_.push_back(name);
      base += "---\n" + service(Infra, name, port);
      const std::string placeholder = "{port:" + std::string(name) + "}";
      for (auto at = test_manifests.find(placeholder); at != std::string::npos;
           at = test_manifests.find(placeholder)) {
        test_manifests.replace(at, placeholder.size(), std::to_string(port));
      }
    }
    base += "---\n" + service(WebBackend, "web-backend", backends_.start("web-backend"));
    for (const char* name : {"app-backend-v1", "app-backend-v2"}) {
      base += "---\n" + service(AppBackend, name, backends_.start(name));
    }
    dir_.write("base.yaml", base);
    dir_.write("test.yaml", test_manifests);
    portico_ = std::make_unique<Portico>(dir_.path());
    portico_->wait_ready();
  }

  struct Request {
    std::string path = "/";
    std::string host = "127.0.0.1";  // the suite sends to the Gateway's address
    std::map<std::string, std::string> headers = {};
    std::string method = "GET";
  };

  Response send(const Request& request) {
    Connection connection(portico_->port());
    return connection.send(request.method, request.host, request.path, "", request.headers);
  }
  // The backend that answered, or the status when the proxy answered itself.
  std::string answer(const Request& request) {
    const Response response = send(request);
    const std::string backend = response.header("x-echo-name");
    return backend.empty() ? std::to_string(response.status) : backend;
  }
  // The request as the backend received it.
  json received(const Request& request) {
    const Response response = send(request);
    REQUIRE(response.status == 200);
    return json::parse(response.body);
  }
  // "METHOD target" of the requests infra backend `name` received.
  std::vector<std::string> received_by(const std::string& name) const {
    const auto at = std::find(infra_backends_.begin(), infra_backends_.end(), name);
    return backends_.server(static_cast<std::size_t>(at - infra_backends_.begin()))
        .requests_received();
  }
  // Requests `name` received for exactly `target`.
  std::size_t count_received(const std::string& name, const std::string& target) const {
    const auto received = received_by(name);
    return static_cast<std::size_t>(std::count(received.begin(), received.end(), "GET " + target));
  }
  double metric_value(const std::string& sample) const {
    return metric(get(admin_port(), "localhost", "/metrics").body, sample);
  }
  std::uint16_t port() const { return portico_->port(); }
  std::uint16_t https_port() const { return portico_->https_port(); }
  std::uint16_t admin_port() const { return portico_->admin_port(); }

 private:
  Backends backends_;
  std::vector<std::string> infra_backends_;  // in the order backends_ started them
  TempDir dir_;
  std::unique_ptr<Portico> portico_;
};

std::string header_of(const json& received, const std::string& name) {
  for (const auto& [key, value] : received["headers"].items()) {
    if (strcasecmp(key.c_str(), name.c_str()) == 0) {
      return value.get<std::string>();
    }
  }
  return "(absent)";
}

}  // namespace

TEST_CASE("Gateway API conformance: HTTPRouteSimpleSameNamespace", "[e2e][gateway]") {
  Conformance c(route("gateway-conformance-infra-test",
                      "  rules: [{backendRefs: [{name: infra-backend-v1, port: 8080}]}]\n"));
  CHECK(c.answer({"/"}) == "infra-backend-v1");
}

TEST_CASE("Gateway API conformance: HTTPRouteMatching", "[e2e][gateway]") {
  Conformance c(route("matching", R"(  rules:
  - matches: [{path: {type: PathPrefix, value: /}}, {headers: [{name: version, value: one}]}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /v2}}, {headers: [{name: version, value: two}]}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
)"));
  CHECK(c.answer({"/"}) == "infra-backend-v1");
  CHECK(c.answer({"/example"}) == "infra-backend-v1");
  CHECK(c.answer({"/", "127.0.0.1", {{"Version", "one"}}}) == "infra-backend-v1");
  CHECK(c.answer({"/v2"}) == "infra-backend-v2");
  CHECK(c.answer({"/v2/example"}) == "infra-backend-v2");
  CHECK(c.answer({"/", "127.0.0.1", {{"Version", "two"}}}) == "infra-backend-v2");
  CHECK(c.answer({"/v2/"}) == "infra-backend-v2");
  CHECK(c.answer({"/v2example"}) == "infra-backend-v1");
  CHECK(c.answer({"/foo/v2/example"}) == "infra-backend-v1");
}

TEST_CASE("Gateway API conformance: HTTPRouteExactPathMatching", "[e2e][gateway]") {
  Conformance c(route("exact-matching", R"(  rules:
  - matches: [{path: {type: Exact, value: /one}}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{path: {type: Exact, value: /two}}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
)"));
  CHECK(c.answer({"/one"}) == "infra-backend-v1");
  CHECK(c.answer({"/two"}) == "infra-backend-v2");
  CHECK(c.answer({"/"}) == "404");
  CHECK(c.answer({"/one/example"}) == "404");
  CHECK(c.answer({"/two/"}) == "404");
  CHECK(c.answer({"/Two"}) == "404");
}

TEST_CASE("Gateway API conformance: HTTPRoutePathMatchOrder", "[e2e][gateway]") {
  Conformance c(route("path-matching-order", R"(  rules:
  - matches: [{path: {type: Exact, value: /match}}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{path: {type: Exact, value: /match/exact}}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
  - matches: [{path: {type: Exact, value: /match/exact/one}}]
    backendRefs: [{name: infra-backend-v3, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /match/}}]
    backendRefs: [{name: infra-backend-v3, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /match/prefix/}}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /match/prefix/one}}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
)"));
  CHECK(c.answer({"/match/exact/one"}) == "infra-backend-v3");
  CHECK(c.answer({"/match/exact"}) == "infra-backend-v2");
  CHECK(c.answer({"/match"}) == "infra-backend-v1");
  CHECK(c.answer({"/match/prefix/one/any"}) == "infra-backend-v2");
  CHECK(c.answer({"/match/prefix/any"}) == "infra-backend-v1");
  CHECK(c.answer({"/match/any"}) == "infra-backend-v3");
}

TEST_CASE("Gateway API conformance: HTTPRouteHeaderMatching", "[e2e][gateway]") {
  Conformance c(route("header-matching", R"(  rules:
  - matches: [{headers: [{name: version, value: one}]}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{headers: [{name: version, value: two}]}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
  - matches: [{headers: [{name: version, value: two}, {name: color, value: orange}]}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{headers: [{name: color, value: blue}]}, {headers: [{name: color, value: green}]}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{headers: [{name: color, value: red}]}, {headers: [{name: color, value: yellow}]}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
)"));
  const auto with = [](std::map<std::string, std::string> headers) {
    return Conformance::Request{"/", "127.0.0.1", std::move(headers)};
  };
  CHECK(c.answer(with({{"Version", "one"}})) == "infra-backend-v1");
  CHECK(c.answer(with({{"Version", "two"}})) == "infra-backend-v2");
  CHECK(c.answer(with({{"Version", "two"}, {"Color", "orange"}})) == "infra-backend-v1");
  CHECK(c.answer(with({{"Version", "two"}, {"Color", "blue"}})) == "infra-backend-v2");
  CHECK(c.answer(with({{"Color", "orange"}})) == "404");
  CHECK(c.answer(with({{"Some-Other-Header", "one"}})) == "404");
  CHECK(c.answer(with({{"Color", "blue"}})) == "infra-backend-v1");
  CHECK(c.answer(with({{"Color", "green"}})) == "infra-backend-v1");
  CHECK(c.answer(with({{"Color", "red"}})) == "infra-backend-v2");
  CHECK(c.answer(with({{"Color", "yellow"}})) == "infra-backend-v2");
  CHECK(c.answer(with({{"Color", "purple"}})) == "404");
}

TEST_CASE("Gateway API conformance: HTTPRouteQueryParamMatching", "[e2e][gateway]") {
  Conformance c(route("query-param-matching", R"(  rules:
  - matches: [{queryParams: [{name: animal, value: whale}]}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{queryParams: [{name: animal, value: dolphin}]}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
  - matches:
    - queryParams: [{name: animal, value: dolphin}, {name: color, value: blue}]
    - queryParams: [{name: ANIMAL, value: Whale}]
    backendRefs: [{name: infra-backend-v3, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /path1}, queryParams: [{name: animal, value: whale}]}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{headers: [{name: version, value: one}], queryParams: [{name: animal, value: whale}]}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
  - matches:
    - path: {type: PathPrefix, value: /path2}
      headers: [{name: version, value: two}]
      queryParams: [{name: animal, value: whale}]
    backendRefs: [{name: infra-backend-v3, port: 8080}]
  - matches:
    - path: {type: PathPrefix, value: /path3}
      queryParams: [{name: animal, value: shark}]
    - path: {type: PathPrefix, value: /path4}
      headers: [{name: version, value: three}]
      queryParams: [{name: animal, value: kraken}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /path5}}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{queryParams: [{name: animal, value: hydra}]}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
  - matches: [{headers: [{name: version, value: four}]}]
    backendRefs: [{name: infra-backend-v3, port: 8080}]
)"));
  const auto with = [](std::string path, std::map<std::string, std::string> headers = {}) {
    return Conformance::Request{std::move(path), "127.0.0.1", std::move(headers)};
  };
  CHECK(c.answer(with("/?animal=whale")) == "infra-backend-v1");
  CHECK(c.answer(with("/?animal=dolphin")) == "infra-backend-v2");
  CHECK(c.answer(with("/?animal=dolphin&color=blue")) == "infra-backend-v3");
  CHECK(c.answer(with("/?ANIMAL=Whale")) == "infra-backend-v3");
  CHECK(c.answer(with("/?animal=whale&otherparam=irrelevant")) == "infra-backend-v1");
  CHECK(c.answer(with("/?animal=dolphin&color=yellow")) == "infra-backend-v2");
  CHECK(c.answer(with("/?color=blue")) == "404");
  CHECK(c.answer(with("/?animal=dog")) == "404");
  CHECK(c.answer(with("/?animal=whaledolphin")) == "404");
  CHECK(c.answer(with("/")) == "404");
  CHECK(c.answer(with("/path1?animal=whale")) == "infra-backend-v1");
  CHECK(c.answer(with("/?animal=whale", {{"version", "one"}})) == "infra-backend-v2");
  CHECK(c.answer(with("/path2?animal=whale", {{"version", "two"}})) == "infra-backend-v3");
  CHECK(c.answer(with("/path3?animal=shark")) == "infra-backend-v1");
  CHECK(c.answer(with("/path4?animal=kraken", {{"version", "three"}})) == "infra-backend-v1");
  CHECK(c.answer(with("/?animal=shark")) == "404");
  CHECK(c.answer(with("/path4?animal=kraken")) == "404");
  CHECK(c.answer(with("/path5?animal=hydra")) == "infra-backend-v1");
  CHECK(c.answer(with("/?animal=hydra", {{"version", "four"}})) == "infra-backend-v3");
}

TEST_CASE("Gateway API conformance: HTTPRouteMethodMatching", "[e2e][gateway]") {
  Conformance c(route("method-matching", R"(  rules:
  - matches: [{method: POST}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{method: GET}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /path1}, method: GET}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{headers: [{name: version, value: one}], method: PUT}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
  - matches:
    - {path: {type: PathPrefix, value: /path2}, headers: [{name: version, value: two}], method: POST}
    backendRefs: [{name: infra-backend-v3, port: 8080}]
  - matches:
    - {path: {type: PathPrefix, value: /path3}, method: PATCH}
    - {path: {type: PathPrefix, value: /path4}, headers: [{name: version, value: three}], method: DELETE}
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /path5}}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{method: PATCH}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
  - matches: [{headers: [{name: version, value: four}]}]
    backendRefs: [{name: infra-backend-v3, port: 8080}]
)"));
  const auto with = [](std::string method, std::string path,
                       std::map<std::string, std::string> headers = {}) {
    return Conformance::Request{std::move(path), "127.0.0.1", std::move(headers),
                                std::move(method)};
  };
  CHECK(c.answer(with("POST", "/")) == "infra-backend-v1");
  CHECK(c.answer(with("GET", "/")) == "infra-backend-v2");
  CHECK(c.answer(with("HEAD", "/")) == "404");
  CHECK(c.answer(with("GET", "/path1")) == "infra-backend-v1");
  CHECK(c.answer(with("PUT", "/", {{"version", "one"}})) == "infra-backend-v2");
  CHECK(c.answer(with("POST", "/path2", {{"version", "two"}})) == "infra-backend-v3");
  CHECK(c.answer(with("PATCH", "/path3")) == "infra-backend-v1");
  CHECK(c.answer(with("DELETE", "/path4", {{"version", "three"}})) == "infra-backend-v1");
  CHECK(c.answer(with("PUT", "/")) == "404");
  CHECK(c.answer(with("DELETE", "/path4")) == "404");
  CHECK(c.answer(with("PATCH", "/path5")) == "infra-backend-v1");
  CHECK(c.answer(with("PATCH", "/", {{"version", "four"}})) == "infra-backend-v2");
}

TEST_CASE("Gateway API conformance: HTTPRouteMatchingAcrossRoutes", "[e2e][gateway]") {
  Conformance c(route("matching-part1", R"(  hostnames: [example.com, example.net]
  rules:
  - matches: [{path: {type: PathPrefix, value: /}}, {headers: [{name: version, value: one}]}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
)") + "---\n" + route("matching-part2", R"(  hostnames: [example.com]
  rules:
  - matches: [{path: {type: PathPrefix, value: /v2}}, {headers: [{name: version, value: two}]}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
)"));
  CHECK(c.answer({"/", "example.com"}) == "infra-backend-v1");
  CHECK(c.answer({"/example", "example.com"}) == "infra-backend-v1");
  CHECK(c.answer({"/example", "example.net"}) == "infra-backend-v1");
  CHECK(c.answer({"/example", "example.com", {{"Version", "one"}}}) == "infra-backend-v1");
  CHECK(c.answer({"/v2", "example.com"}) == "infra-backend-v2");
  CHECK(c.answer({"/v2", "example.net"}) == "infra-backend-v1");
  CHECK(c.answer({"/v2/example", "example.com"}) == "infra-backend-v2");
  CHECK(c.answer({"/", "example.com", {{"Version", "two"}}}) == "infra-backend-v2");
}

TEST_CASE("Gateway API conformance: HTTPRouteHostnameIntersection", "[e2e][gateway]") {
  const std::string parents =
      "  parentRefs: [{name: httproute-hostname-intersection, namespace: " + Infra + "}]\n";
  const auto rule = [](const char* prefix, const char* backend) {
    return std::string("  rules:\n  - matches: [{path: {type: PathPrefix, value: ") + prefix +
           "}}]\n    backendRefs: [{name: " + backend + ", port: 8080}]\n";
  };
  Conformance c(
      gateway("httproute-hostname-intersection",
              "  - {name: listener-1, port: 80, protocol: HTTP, hostname: very.specific.com}\n"
              "  - {name: listener-2, port: 80, protocol: HTTP, hostname: '*.wildcard.io'}\n"
              "  - {name: listener-3, port: 80, protocol: HTTP, hostname: "
              "'*.anotherwildcard.io'}\n") +
      "---\n" +
      gateway("httproute-hostname-intersection-all",
              "  - {name: listener-1, port: 80, protocol: HTTP}\n") +
      "---\n" +
      route("specific-host-matches-listener-specific-host",
            "  hostnames: [non.matching.com, '*.nonmatchingwildcard.io', very.specific.com]\n" +
                rule("/s1", "infra-backend-v1"),
            parents) +
      "---\n" +
      route("specific-host-matches-listener-wildcard-host",
            "  hostnames: [non.matching.com, wildcard.io, foo.wildcard.io, bar.wildcard.io, "
            "foo.bar.wildcard.io]\n" +
                rule("/s2", "infra-backend-v2"),
            parents) +
      "---\n" +
      route("wildcard-host-matches-listener-specific-host",
            "  hostnames: [non.matching.com, '*.specific.com']\n" + rule("/s3", "infra-backend-v3"),
            parents) +
      "---\n" +
      route("wildcard-host-matches-listener-wildcard-host",
            "  hostnames: ['*.anotherwildcard.io']\n" + rule("/s4", "infra-backend-v1"), parents) +
      "---\n" +
      route(
          "no-intersecting-hosts",
          "  hostnames: [specific.but.wrong.com, wildcard.io]\n" + rule("/s5", "infra-backend-v2"),
          parents) +
      "---\n" +
      route("httproute-hostname-intersection-all",
            "  hostnames: [first.com, sub.first.com, second.com, sub.second.com]\n"
            "  rules: [{backendRefs: [{name: infra-backend-v2, port: 8080}]}]\n",
            "  parentRefs: [{name: httproute-hostname-intersection-all}]\n"));
  CHECK(c.answer({"/s1", "very.specific.com"}) == "infra-backend-v1");
  CHECK(c.answer({"/s1", "very.specific.com:1234"}) == "infra-backend-v1");
  CHECK(c.answer({"/s1", "non.matching.com"}) == "404");
  CHECK(c.answer({"/s1", "foo.nonmatchingwildcard.io"}) == "404");
  CHECK(c.answer({"/s1", "foo.wildcard.io"}) == "404");
  CHECK(c.answer({"/non-matching-prefix", "very.specific.com"}) == "404");
  CHECK(c.answer({"/s2", "foo.wildcard.io"}) == "infra-backend-v2");
  CHECK(c.answer({"/s2", "bar.wildcard.io"}) == "infra-backend-v2");
  CHECK(c.answer({"/s2", "foo.bar.wildcard.io"}) == "infra-backend-v2");
  CHECK(c.answer({"/s2", "non.matching.com"}) == "404");
  CHECK(c.answer({"/s2", "wildcard.io"}) == "404");
  CHECK(c.answer({"/s2", "very.specific.com"}) == "404");
  CHECK(c.answer({"/non-matching-prefix", "foo.wildcard.io"}) == "404");
  CHECK(c.answer({"/s3", "very.specific.com"}) == "infra-backend-v3");
  CHECK(c.answer({"/s3", "non.matching.com"}) == "404");
  CHECK(c.answer({"/s3", "foo.specific.com"}) == "404");
  CHECK(c.answer({"/s3", "foo.wildcard.io"}) == "404");
  CHECK(c.answer({"/s4", "foo.anotherwildcard.io"}) == "infra-backend-v1");
  CHECK(c.answer({"/s4", "bar.anotherwildcard.io"}) == "infra-backend-v1");
  CHECK(c.answer({"/s4", "foo.bar.anotherwildcard.io"}) == "infra-backend-v1");
  CHECK(c.answer({"/s4", "anotherwildcard.io"}) == "404");
  CHECK(c.answer({"/s4", "foo.wildcard.io"}) == "404");
  CHECK(c.answer({"/s4", "very.specific.com"}) == "404");
  CHECK(c.answer({"/non-matching-prefix", "foo.anotherwildcard.io"}) == "404");
  CHECK(c.answer({"/s5", "specific.but.wrong.com"}) == "404");
  CHECK(c.answer({"/", "sub.first.com"}) == "infra-backend-v2");
}

TEST_CASE("Gateway API conformance: HTTPRouteListenerHostnameMatching", "[e2e][gateway]") {
  const auto on = [](const char* sections) { return std::string("  parentRefs:\n") + sections; };
  const std::string ref = "  - {name: httproute-listener-hostname-matching, namespace: " + Infra;
  Conformance c(
      gateway("httproute-listener-hostname-matching",
              "  - {name: listener-1, port: 80, protocol: HTTP, hostname: bar.com}\n"
              "  - {name: listener-2, port: 80, protocol: HTTP, hostname: foo.bar.com}\n"
              "  - {name: listener-3, port: 80, protocol: HTTP, hostname: '*.bar.com'}\n"
              "  - {name: listener-4, port: 80, protocol: HTTP, hostname: '*.foo.com'}\n") +
      "---\n" +
      route("backend-v1", "  rules: [{backendRefs: [{name: infra-backend-v1, port: 8080}]}]\n",
            on((ref + ", sectionName: listener-1}\n").c_str())) +
      "---\n" +
      route("backend-v2", "  rules: [{backendRefs: [{name: infra-backend-v2, port: 8080}]}]\n",
            on((ref + ", sectionName: listener-2}\n").c_str())) +
      "---\n" +
      route("backend-v3", "  rules: [{backendRefs: [{name: infra-backend-v3, port: 8080}]}]\n",
            on((ref + ", sectionName: listener-3}\n" + ref + ", sectionName: listener-4}\n")
                   .c_str())));
  CHECK(c.answer({"/", "bar.com"}) == "infra-backend-v1");
  CHECK(c.answer({"/", "foo.bar.com"}) == "infra-backend-v2");
  CHECK(c.answer({"/", "baz.bar.com"}) == "infra-backend-v3");
  CHECK(c.answer({"/", "boo.bar.com"}) == "infra-backend-v3");
  CHECK(c.answer({"/", "multiple.prefixes.bar.com"}) == "infra-backend-v3");
  CHECK(c.answer({"/", "multiple.prefixes.foo.com"}) == "infra-backend-v3");
  CHECK(c.answer({"/", "foo.com"}) == "404");
  CHECK(c.answer({"/", "no.matching.host"}) == "404");
}

TEST_CASE("Gateway API conformance: HTTPRouteRequestHeaderModifier", "[e2e][gateway]") {
  Conformance c(route("request-header-modifier", R"(  rules:
  - matches: [{path: {type: PathPrefix, value: /set}}]
    filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: X-Header-Set, value: set-overwrites-values}]}}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /add}}]
    filters: [{type: RequestHeaderModifier, requestHeaderModifier: {add: [{name: X-Header-Add, value: add-appends-values}]}}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /remove}}]
    filters: [{type: RequestHeaderModifier, requestHeaderModifier: {remove: [X-Header-Remove]}}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /case-insensitivity}}]
    filters:
    - type: RequestHeaderModifier
      requestHeaderModifier:
        set: [{name: X-Header-Set, value: header-set}]
        add: [{name: X-Header-Add, value: header-add}]
        remove: [X-Header-Remove]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
)"));
  json seen = c.received({"/set", "127.0.0.1", {{"Some-Other-Header", "val"}}});
  CHECK(header_of(seen, "X-Header-Set") == "set-overwrites-values");
  CHECK(header_of(seen, "Some-Other-Header") == "val");
  seen = c.received({"/set", "127.0.0.1", {{"X-Header-Set", "some-other-value"}}});
  CHECK(header_of(seen, "X-Header-Set") == "set-overwrites-values");
  seen = c.received({"/add", "127.0.0.1", {{"Some-Other-Header", "val"}}});
  CHECK(header_of(seen, "X-Header-Add") == "add-appends-values");
  seen = c.received({"/remove", "127.0.0.1", {{"X-Header-Remove", "val"}}});
  CHECK(header_of(seen, "X-Header-Remove") == "(absent)");
  seen = c.received({"/case-insensitivity",
                     "127.0.0.1",
                     {{"x-header-set", "original"}, {"x-header-remove", "val"}}});
  CHECK(header_of(seen, "X-Header-Set") == "header-set");
  CHECK(header_of(seen, "X-Header-Add") == "header-add");
  CHECK(header_of(seen, "X-Header-Remove") == "(absent)");
}

TEST_CASE("Gateway API conformance: HTTPRouteResponseHeaderModifier", "[e2e][gateway]") {
  Conformance c(route("response-header-modifier", R"(  rules:
  - matches: [{path: {type: PathPrefix, value: /set}}]
    filters: [{type: ResponseHeaderModifier, responseHeaderModifier: {set: [{name: X-Echo-Connection, value: overwritten}]}}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /add}}]
    filters: [{type: ResponseHeaderModifier, responseHeaderModifier: {add: [{name: X-Header-Add, value: add-appends-values}]}}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /remove}}]
    filters: [{type: ResponseHeaderModifier, responseHeaderModifier: {remove: [X-Echo-Connection]}}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
)"));
  // The echo backend sets X-Echo-Connection on every response: what set and remove work on.
  CHECK(c.send({"/set"}).header("x-echo-connection") == "overwritten");
  CHECK(c.send({"/add"}).header("x-header-add") == "add-appends-values");
  const Response removed = c.send({"/remove"});
  CHECK(removed.status == 200);
  CHECK(removed.headers.count("x-echo-connection") == 0);
}

TEST_CASE(
    "Gateway API conformance: HTTPRouteRedirectHostAndStatus, RedirectPath, RedirectPort, "
    "RedirectScheme",
    "[e2e][gateway]") {
  Conformance c(route("redirects", R"(  rules:
  - matches: [{path: {type: PathPrefix, value: /hostname-redirect}}]
    filters: [{type: RequestRedirect, requestRedirect: {hostname: example.org}}]
  - matches: [{path: {type: PathPrefix, value: /host-and-status}}]
    filters: [{type: RequestRedirect, requestRedirect: {statusCode: 301, hostname: example.org}}]
  - matches: [{path: {type: PathPrefix, value: /original-prefix}}]
    filters: [{type: RequestRedirect, requestRedirect: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /replacement-prefix}}}]
  - matches: [{path: {type: PathPrefix, value: /full}}]
    filters: [{type: RequestRedirect, requestRedirect: {path: {type: ReplaceFullPath, replaceFullPath: /full-path-replacement}}}]
  - matches: [{path: {type: PathPrefix, value: /path-and-host}}]
    filters: [{type: RequestRedirect, requestRedirect: {hostname: example.org, path: {type: ReplacePrefixMatch, replacePrefixMatch: /replacement-prefix}}}]
  - matches: [{path: {type: PathPrefix, value: /port}}]
    filters: [{type: RequestRedirect, requestRedirect: {port: 8083}}]
  - matches: [{path: {type: PathPrefix, value: /port-and-host-and-status}}]
    filters: [{type: RequestRedirect, requestRedirect: {port: 8083, hostname: example.org, statusCode: 302}}]
  - matches: [{path: {type: PathPrefix, value: /scheme}}]
    filters: [{type: RequestRedirect, requestRedirect: {scheme: https}}]
  - matches: [{path: {type: PathPrefix, value: /scheme-and-host-and-status}}]
    filters: [{type: RequestRedirect, requestRedirect: {scheme: https, statusCode: 302, hostname: example.org}}]
  - matches: [{path: {type: PathPrefix, value: /scheme-and-port}}]
    filters: [{type: RequestRedirect, requestRedirect: {scheme: https, port: 8443}}]
  - matches: [{path: {type: PathPrefix, value: /see-other}}]
    filters: [{type: RequestRedirect, requestRedirect: {statusCode: 303}}]
  - matches: [{path: {type: PathPrefix, value: /temporary}}]
    filters: [{type: RequestRedirect, requestRedirect: {statusCode: 307}}]
  - matches: [{path: {type: PathPrefix, value: /permanent}}]
    filters: [{type: RequestRedirect, requestRedirect: {statusCode: 308}}]
)"));
  const auto redirect = [&](const std::string& host, const std::string& path) {
    const Response response = c.send({path, host});
    return std::to_string(response.status) + " " + response.header("location");
  };
  CHECK(redirect("example.com", "/hostname-redirect") ==
        "302 http://example.org/hostname-redirect");
  CHECK(redirect("example.com", "/host-and-status") == "301 http://example.org/host-and-status");
  CHECK(redirect("example.com", "/original-prefix/lemon") ==
        "302 http://example.com/replacement-prefix/lemon");
  CHECK(redirect("example.com", "/full/path/original") ==
        "302 http://example.com/full-path-replacement");
  CHECK(redirect("example.com", "/path-and-host") == "302 http://example.org/replacement-prefix");
  CHECK(redirect("example.com", "/port") == "302 http://example.com:8083/port");
  CHECK(redirect("example.com", "/port-and-host-and-status") ==
        "302 http://example.org:8083/port-and-host-and-status");
  CHECK(redirect("example.com", "/scheme") == "302 https://example.com/scheme");
  CHECK(redirect("example.com", "/scheme-and-host-and-status") ==
        "302 https://example.org/scheme-and-host-and-status");
  CHECK(redirect("example.com", "/scheme-and-port?q=1") ==
        "302 https://example.com:8443/scheme-and-port?q=1");
  // HTTPRoute303Redirect, HTTPRoute307Redirect, HTTPRoute308Redirect.
  CHECK(redirect("example.com", "/see-other") == "303 http://example.com/see-other");
  CHECK(redirect("example.com", "/temporary") == "307 http://example.com/temporary");
  CHECK(redirect("example.com", "/permanent") == "308 http://example.com/permanent");
}

// RequestMirror (extended): a copy of each request goes to the mirror, whose answer is
// dropped; requests with a body are not mirrored (counted as skipped).
const std::string MirrorFilter =
    "{type: RequestMirror, requestMirror: {backendRef: {name: infra-backend-v2, namespace: "
    "gateway-conformance-infra, port: 8080}}}";
const std::string HeaderFilter =
    "{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: X-Header-Set, value: "
    "set-overwrites-values}], remove: [X-Header-Remove]}}";

TEST_CASE("Gateway API conformance: HTTPRouteRequestMirror", "[e2e][gateway]") {
  Conformance c(route("request-mirror",
                      "  rules:\n  - matches: [{path: {type: PathPrefix, value: /mirror}}]\n"
                      "    filters: [" +
                          MirrorFilter +
                          "]\n    backendRefs: [{name: infra-backend-v1, port: 8080}]\n"
                          "  - matches: [{path: {type: PathPrefix, value: "
                          "/mirror-and-modify-headers}}]\n    filters: [" +
                          HeaderFilter + ", " + MirrorFilter +
                          "]\n    backendRefs: [{name: infra-backend-v1, port: 8080}]\n"));
  CHECK(c.answer({"/mirror"}) == "infra-backend-v1");
  CHECK(eventually([&] { return c.count_received("infra-backend-v2", "/mirror") == 1; }));
  const json received =
      c.received({"/mirror-and-modify-headers", "127.0.0.1", {{"X-Header-Remove", "remove-val"}}});
  CHECK(header_of(received, "X-Header-Set") == "set-overwrites-values");
  CHECK(header_of(received, "X-Header-Remove") == "(absent)");
  CHECK(eventually(
      [&] { return c.count_received("infra-backend-v2", "/mirror-and-modify-headers") == 1; }));
  CHECK(c.metric_value("portico_mirror_requests_total{outcome=\"answered\"}") == 2);

  // A request with a body reaches the backend and is not mirrored.
  const Response posted = Connection(c.port()).send("POST", "127.0.0.1", "/mirror", "a body");
  CHECK(posted.status == 200);
  CHECK(posted.header("x-echo-name") == "infra-backend-v1");
  CHECK(c.metric_value("portico_mirror_requests_total{outcome=\"skipped_body\"}") == 1);
  CHECK(c.received_by("infra-backend-v2") ==
        std::vector<std::string>{"GET /mirror", "GET /mirror-and-modify-headers"});

  // A WebSocket handshake reaches the mirror as the plain request: the mirror's connection
  // never switches protocols, so the next mirror is answered on it as well.
  Connection handshake(c.port());
  handshake.write_raw(
      "GET /mirror HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: "
      "Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: "
      "13\r\n\r\n");
  CHECK(handshake.read_response().status == 101);
  CHECK(c.answer({"/mirror"}) == "infra-backend-v1");
  CHECK(eventually([&] { return c.count_received("infra-backend-v2", "/mirror") == 3; }));
  CHECK(eventually(
      [&] { return c.metric_value("portico_mirror_requests_total{outcome=\"answered\"}") == 4; }));
  CHECK(c.metric_value("portico_mirror_requests_total{outcome=\"failed\"}") == 0);
}

TEST_CASE("Gateway API conformance: HTTPRouteRequestMultipleMirrors", "[e2e][gateway]") {
  std::string second = MirrorFilter;
  second.replace(second.find("infra-backend-v2"), 16, "infra-backend-v3");
  Conformance c(route("request-multiple-mirrors",
                      "  rules:\n  - matches: [{path: {type: PathPrefix, value: /multi-mirror}}]\n"
                      "    filters: [" +
                          MirrorFilter + ", " + second +
                          "]\n    backendRefs: [{name: infra-backend-v1, port: 8080}]\n"));
  CHECK(c.answer({"/multi-mirror"}) == "infra-backend-v1");
  CHECK(eventually([&] {
    return c.count_received("infra-backend-v2", "/multi-mirror") == 1 &&
           c.count_received("infra-backend-v3", "/multi-mirror") == 1;
  }));
}

// 500 requests per rule; the share mirrored must be within the suite's band (3 binomial
// standard deviations) of the percentage or fraction.
TEST_CASE("Gateway API conformance: HTTPRouteRequestPercentageMirror", "[e2e][gateway]") {
  std::string percent = MirrorFilter;
  percent.insert(percent.size() - 2, ", percent: 20");
  std::string fraction = MirrorFilter;
  fraction.insert(fraction.size() - 2, ", fraction: {numerator: 25, denominator: 50}");
  Conformance c(route("request-percentage-mirror",
                      "  rules:\n  - matches: [{path: {type: Exact, value: /percent-mirror}}]\n"
                      "    filters: [" +
                          percent +
                          "]\n    backendRefs: [{name: infra-backend-v1, port: 8080}]\n"
                          "  - matches: [{path: {type: Exact, value: "
                          "/percent-mirror-fraction}}]\n    filters: [" +
                          fraction +
                          "]\n    backendRefs: [{name: infra-backend-v1, port: 8080}]\n"));
  constexpr int Requests = 500;
  double mirrored_before = 0;
  // Not a structured binding: clang 14 refuses a lambda that captures one.
  for (const auto& rule :
       {std::pair{"/percent-mirror", 0.2}, std::pair{"/percent-mirror-fraction", 0.5}}) {
    const std::string path = rule.first;
    const double share = rule.second;
    INFO(path);
    Connection connection(c.port());
    for (int i = 0; i < Requests; ++i) {
      REQUIRE(connection.get("127.0.0.1", path).status == 200);
    }
    // Every mirror that was sent has been answered and seen by the mirror backend.
    double mirrored = 0;
    CHECK(eventually([&] {
      mirrored =
          c.metric_value("portico_mirror_requests_total{outcome=\"answered\"}") - mirrored_before;
      return static_cast<double>(c.count_received("infra-backend-v2", path)) == mirrored;
    }));
    mirrored_before += mirrored;
    const double expected = Requests * share;
    const double band = 3 * std::sqrt(Requests * share * (1 - share));
    CHECK(mirrored >= expected - band);
    CHECK(mirrored <= expected + band);
  }
}

// Timeouts (extended). The suite's echo server delays with "?delay=1s"; Portico's echo
// backend with "/delay/1000" in the path. "0s" means no timeout of the route's own.
TEST_CASE("Gateway API conformance: HTTPRouteTimeoutRequest, HTTPRouteTimeoutBackendRequest",
          "[e2e][gateway]") {
  const auto rule = [](const std::string& path, const std::string& timeouts) {
    return "  - matches: [{path: {type: PathPrefix, value: " + path +
           "}}]\n    backendRefs: [{name: infra-backend-v1, port: 8080}]\n    timeouts: " +
           timeouts + "\n";
  };
  Conformance c(route("timeouts", "  rules:\n" + rule("/request-timeout", "{request: 500ms}") +
                                      rule("/disable-request-timeout", "{request: 0s}") +
                                      rule("/backend-timeout", "{backendRequest: 500ms}") +
                                      rule("/disable-backend-timeout", "{backendRequest: 0s}")));
  for (const char* kind : {"request", "backend"}) {
    INFO(kind);
    const std::string timed = "/" + std::string(kind) + "-timeout";
    const std::string untimed = "/disable-" + std::string(kind) + "-timeout";
    CHECK(c.answer({timed}) == "infra-backend-v1");
    CHECK(c.answer({timed + "/delay/1000"}) == "504");
    CHECK(c.answer({untimed + "/delay/1000"}) == "infra-backend-v1");
  }
}

TEST_CASE("Gateway API conformance: HTTPRouteRewritePath", "[e2e][gateway]") {
  Conformance c(route("rewrite-path", R"(  rules:
  - matches: [{path: {type: PathPrefix, value: /prefix/one}}]
    filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /one}}}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /strip-prefix}}]
    filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - matches: [{path: {type: PathPrefix, value: /full/one}}]
    filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplaceFullPath, replaceFullPath: /one}}}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
)"));
  CHECK(c.received({"/prefix/one/two"})["target"] == "/one/two");
  CHECK(c.received({"/strip-prefix/three"})["target"] == "/three");
  CHECK(c.received({"/strip-prefix"})["target"] == "/");
  CHECK(c.received({"/full/one/two"})["target"] == "/one");
  CHECK(c.received({"/prefix/one/two?x=1"})["target"] == "/one/two?x=1");
}

TEST_CASE("Gateway API conformance: HTTPRouteRewriteHost", "[e2e][gateway]") {
  Conformance c(route("rewrite-host", R"(  hostnames: [rewrite.example]
  rules:
  - matches: [{path: {type: PathPrefix, value: /one}}]
    filters: [{type: URLRewrite, urlRewrite: {hostname: one.example.org}}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
  - filters: [{type: URLRewrite, urlRewrite: {hostname: example.org}}]
    backendRefs: [{name: infra-backend-v2, port: 8080}]
)"));
  json seen = c.received({"/one", "rewrite.example"});
  CHECK(seen["name"] == "infra-backend-v1");
  CHECK(header_of(seen, "Host") == "one.example.org");
  seen = c.received({"/two", "rewrite.example"});
  CHECK(seen["name"] == "infra-backend-v2");
  CHECK(header_of(seen, "Host") == "example.org");
}

TEST_CASE("Gateway API conformance: HTTPRouteWeight", "[e2e][gateway]") {
  Conformance c(route("weighted-backends", R"(  rules:
  - backendRefs:
    - {name: infra-backend-v1, port: 8080, weight: 70}
    - {name: infra-backend-v2, port: 8080, weight: 30}
    - {name: infra-backend-v3, port: 8080, weight: 0}
)"));
  // Like the suite: 500 requests whose shares may each be off by 0.05, in up to 10 rounds,
  // since a share drawn by weight is off by more in about 1.5 % of rounds (2.4 standard
  // deviations). Weights that are not honoured miss in every round.
  constexpr int Requests = 500;
  constexpr int Rounds = 10;
  Connection connection(c.port());
  std::map<std::string, int> seen;
  const auto share_is = [&](const std::string& name, double expected) {
    return std::abs(seen[name] / double(Requests) - expected) < 0.05;
  };
  bool matched = false;
  for (int round = 0; round < Rounds && !matched; ++round) {
    seen.clear();
    for (int i = 0; i < Requests; ++i) {
      ++seen[connection.get("127.0.0.1", "/").header("x-echo-name")];
    }
    // Two names: nothing reached infra-backend-v3 (weight 0) or failed.
    matched =
        share_is("infra-backend-v1", 0.7) && share_is("infra-backend-v2", 0.3) && seen.size() == 2;
  }
  INFO("last round: v1 " << seen["infra-backend-v1"] << ", v2 " << seen["infra-backend-v2"]
                         << " of " << Requests);
  CHECK(matched);
}

TEST_CASE("Gateway API conformance: HTTPRouteNoBackendRefs", "[e2e][gateway]") {
  Conformance c(route("omitted-backendrefs", R"(  rules:
  - matches: [{path: {type: Exact, value: /omitted-no-forward}}]
  - matches: [{path: {type: Exact, value: /empty-no-forward}}]
    backendRefs: []
  - matches: [{path: {type: PathPrefix, value: /}}]
    backendRefs: [{name: infra-backend-v1, port: 8080}]
)"));
  CHECK(c.answer({"/forward"}) == "infra-backend-v1");
  CHECK(c.answer({"/omitted-no-forward"}) == "500");
  CHECK(c.answer({"/empty-no-forward"}) == "500");
}

// Services without a selector whose EndpointSlices someone else writes, and headless ones.
TEST_CASE("Gateway API conformance: HTTPRouteServiceTypes", "[e2e][gateway]") {
  std::string manifests = route("service-types", R"(  rules:
  - matches: [{path: {type: Exact, value: /manual-endpointslices}}]
    backendRefs: [{name: manual-endpointslices, port: 8080}]
  - matches: [{path: {type: Exact, value: /headless}}]
    backendRefs: [{name: headless, port: 8080}]
  - matches: [{path: {type: Exact, value: /headless-manual-endpointslices}}]
    backendRefs: [{name: headless-manual-endpointslices, port: 8080}]
)");
  for (const std::string name :
       {"manual-endpointslices", "headless", "headless-manual-endpointslices"}) {
    manifests += "---\napiVersion: v1\nkind: Service\nmetadata: {name: " + name +
                 ", namespace: " + Infra + "}\nspec:\n" +
                 (name.starts_with("headless") ? "  clusterIP: None\n" : "") +
                 (name == "headless" ? "  selector: {app: infra-backend-v1}\n" : "") +
                 "  ports: [{name: first-port, protocol: TCP, port: 8080, targetPort: 3000}]\n";
    // An IPv4 slice with the backend, and an IPv6 one without endpoints, as the suite fills
    // them for a cluster without IPv6 pods.
    manifests +=
        "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: " + name +
        "-ip4, namespace: " + Infra + ", labels: {kubernetes.io/service-name: " + name +
        "}}\naddressType: IPv4\nports: [{name: first-port, port: {port:infra-backend-v1}, "
        "protocol: TCP}]\nendpoints: [{addresses: [127.0.0.1], conditions: {ready: true, "
        "serving: true, terminating: false}}]\n";
    manifests +=
        "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: " + name +
        "-ip6, namespace: " + Infra + ", labels: {kubernetes.io/service-name: " + name +
        "}}\naddressType: IPv6\nports: [{name: first-port, port: 3000, protocol: TCP}]\n";
  }
  Conformance c(manifests);
  for (const char* path :
       {"/manual-endpointslices", "/headless", "/headless-manual-endpointslices"}) {
    INFO(path);
    CHECK(c.answer({path}) == "infra-backend-v1");
  }
}

TEST_CASE("Gateway API conformance: HTTPRouteInvalidNonExistentBackendRef", "[e2e][gateway]") {
  Conformance c(route("invalid-nonexistent-backend-ref",
                      "  rules: [{backendRefs: [{name: nonexistent, port: 8080}]}]\n"));
  CHECK(c.answer({"/"}) == "500");
}

TEST_CASE("Gateway API conformance: HTTPRouteInvalidBackendRefUnknownKind", "[e2e][gateway]") {
  Conformance c(route("invalid-backend-ref-unknown-kind",
                      "  rules: [{matches: [{path: {type: PathPrefix, value: /v2}}], backendRefs: "
                      "[{group: unknownkind.example.com, kind: NonExistent, name: "
                      "infra-backend-v1, port: 8080}]}]\n"));
  CHECK(c.answer({"/v2"}) == "500");
}

TEST_CASE(
    "Gateway API conformance: HTTPRouteInvalidCrossNamespaceBackendRef and "
    "HTTPRouteReferenceGrant",
    "[e2e][gateway]") {
  const std::string cross = route(
      "reference-grant", "  rules: [{backendRefs: [{name: web-backend, namespace: " + WebBackend +
                             ", port: 8080}]}]\n");
  SECTION("without a ReferenceGrant: 500") {
    Conformance c(cross);
    CHECK(c.answer({"/"}) == "500");
  }
  SECTION("with one in the backend's namespace: served") {
    Conformance c(cross +
                  "---\napiVersion: gateway.networking.k8s.io/v1beta1\nkind: "
                  "ReferenceGrant\nmetadata: {name: reference-grant, namespace: " +
                  WebBackend +
                  "}\nspec:\n  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, "
                  "namespace: " +
                  Infra + "}]\n  to: [{group: '', kind: Service, name: web-backend}]\n");
    CHECK(c.answer({"/"}) == "web-backend");
  }
}

TEST_CASE("Gateway API conformance: HTTPRoutePartiallyInvalidViaInvalidReferenceGrant",
          "[e2e][gateway]") {
  // The grant covers app-backend-v1 only: the rule for app-backend-v2 answers 500, the other
  // rule of the same route is served.
  Conformance c(
      "apiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata: "
      "{name: invalid-reference-grant, namespace: " +
      AppBackend +
      "}\nspec:\n  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, "
      "namespace: " +
      Infra + "}]\n  to: [{group: '', kind: Service, name: app-backend-v1}]\n---\n" +
      route("invalid-reference-grant",
            "  rules:\n  - matches: [{path: {type: PathPrefix, value: /v2}}]\n"
            "    backendRefs: [{name: app-backend-v2, namespace: " +
                AppBackend +
                ", port: 8080}]\n  - backendRefs: [{name: app-backend-v1, namespace: " +
                AppBackend + ", port: 8080}]\n"));
  CHECK(c.answer({"/v2"}) == "500");
  CHECK(c.answer({"/"}) == "app-backend-v1");
}

TEST_CASE("Gateway API conformance: HTTPRouteInvalidReferenceGrant", "[e2e][gateway]") {
  // Each grant is wrong in one field; none permits the reference.
  const auto grant = [](const std::string& name, const std::string& ns, const std::string& from,
                        const std::string& to) {
    return "apiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata: "
           "{name: " +
           name + ", namespace: " + ns + "}\nspec:\n  from: [" + from + "]\n  to: [" + to +
           "]\n---\n";
  };
  const std::string from =
      "{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: " + Infra + "}";
  const std::string to = "{group: '', kind: Service, name: web-backend}";
  Conformance c(
      grant("reference-grant-wrong-namespace", Infra, from, to) +
      grant("reference-grant-wrong-from-group", WebBackend,
            "{group: not-the-group-youre-looking-for, kind: HTTPRoute, namespace: " + Infra + "}",
            to) +
      grant("reference-grant-wrong-from-kind", WebBackend,
            "{group: gateway.networking.k8s.io, kind: Gateway, namespace: " + Infra + "}", to) +
      grant("reference-grant-wrong-from-namespace", WebBackend,
            "{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: "
            "not-the-namespace-youre-looking-for}",
            to) +
      grant("reference-grant-wrong-to-group", WebBackend, from,
            "{group: not-the-group-youre-looking-for, kind: Service, name: web-backend}") +
      grant("reference-grant-wrong-to-kind", WebBackend, from,
            "{group: '', kind: Secret, name: web-backend}") +
      grant("reference-grant-wrong-to-name", WebBackend, from,
            "{group: '', kind: Service, name: not-the-service-youre-looking-for}") +
      route("reference-grant", "  rules: [{backendRefs: [{name: web-backend, namespace: " +
                                   WebBackend + ", port: 8080}]}]\n"));
  CHECK(c.answer({"/"}) == "500");
}

TEST_CASE("Gateway API conformance: HTTPRouteInvalidCrossNamespaceParentRef", "[e2e][gateway]") {
  // Gateway same-namespace takes routes of its own namespace only: this one is not attached.
  Conformance c(
      "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: "
      "invalid-cross-namespace-parent-ref, namespace: " +
      WebBackend + "}\nspec:\n  parentRefs: [{name: same-namespace, namespace: " + Infra +
      "}]\n  rules: [{backendRefs: [{name: web-backend, port: 8080}]}]\n");
  CHECK(c.answer({"/"}) == "404");
}

TEST_CASE("Gateway API conformance: HTTPRouteCrossNamespace", "[e2e][gateway]") {
  const auto web_route = [](const std::string& name, const std::string& gateway,
                            const std::string& hostnames) {
    return "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: " + name +
           ", namespace: " + WebBackend + "}\nspec:\n  parentRefs: [{name: " + gateway +
           ", namespace: " + Infra + "}]\n" + hostnames +
           "  rules: [{backendRefs: [{name: web-backend, port: 8080}]}]\n";
  };
  // As the suite: through Gateway backend-namespaces, whose listener selects the web
  // backend's namespace by its label.
  SECTION("the suite's route") {
    Conformance c(web_route("cross-namespace", "backend-namespaces", ""));
    CHECK(c.answer({"/"}) == "web-backend");
  }
  SECTION("Gateway same-namespace refuses a route from another namespace") {
    Conformance c(
        web_route("cross-namespace", "backend-namespaces", "  hostnames: [accepted.example]\n") +
        "---\n" + web_route("refused", "same-namespace", "  hostnames: [refused.example]\n"));
    CHECK(c.answer({"/", "accepted.example"}) == "web-backend");
    CHECK(c.answer({"/", "refused.example"}) == "404");
  }
}

TEST_CASE("Gateway API: the blog example (examples/blog/gateway-api) routes as its Ingress does",
          "[e2e][gateway]") {
  Backends backends;
  TempDir dir;
  std::ifstream example(PORTICO_SOURCE_DIR "/examples/blog/gateway-api/blog.yaml");
  std::stringstream text;
  text << example.rdbuf();
  REQUIRE(!text.str().empty());
  dir.write("blog.yaml", text.str());
  dir.write("services.yaml", service("blog", "auth", backends.start("auth"), 80) + "---\n" +
                                 service("blog", "blog-api", backends.start("blog-api"), 80) +
                                 "---\n" +
                                 service("blog", "frontend", backends.start("frontend"), 80));
  Portico portico(dir.path());
  portico.wait_ready();
  const auto name_at = [&](const std::string& host, const std::string& path) {
    const auto r = get(portico.port(), host, path);
    return r.status == 200 ? r.header("x-echo-name") : std::to_string(r.status);
  };
  CHECK(name_at("blog.localhost", "/auth/login") == "auth");
  CHECK(name_at("blog.localhost", "/api/posts/1") == "blog-api");
  CHECK(name_at("blog.localhost", "/") == "frontend");
  CHECK(name_at("blog.localhost", "/authors") == "frontend");   // not the /auth element
  CHECK(name_at("BLOG.localhost:8080", "/api") == "blog-api");  // case and port ignored
  CHECK(name_at("other.localhost", "/") == "404");
}

TEST_CASE("Gateway API conformance: HTTPRouteHTTPSListener", "[e2e][gateway]") {
  const auto certificate = make_certificate("example.org", {"DNS:example.org"});
  std::string secret = tls_secret_yaml("tls-validity-checks-certificate",
                                       certificate.certificate_pem, certificate.key_pem);
  secret.replace(secret.find("namespace: default"), 18, "namespace: " + Infra);
  Conformance c(
      secret + "---\n" +
      gateway("same-namespace-with-https-listener",
              "  - name: https\n    port: 443\n    protocol: HTTPS\n    tls: {certificateRefs: "
              "[{name: tls-validity-checks-certificate}]}\n") +
      "---\n" +
      route("httproute-https-listener",
            "  hostnames: [example.org]\n  rules: [{backendRefs: [{name: infra-backend-v1, "
            "port: 8080}]}]\n",
            "  parentRefs: [{name: same-namespace-with-https-listener}]\n"));
  const TlsProbe probe = probe_tls(c.https_port(), "example.org");
  CHECK(probe.common_name == "example.org");  // the listener's certificate, by SNI
  CHECK(probe.status == 200);
  CHECK(probe.body.find("\"name\":\"infra-backend-v1\"") != std::string::npos);
  // The route is attached to the HTTPS listener only.
  CHECK(c.answer({"/", "example.org"}) == "404");
}

TEST_CASE(
    "Gateway API: an HTTPRoute and an Ingress naming one host: the HTTPRoute serves it, "
    "and explain says the Ingress is shadowed",
    "[e2e][gateway]") {
  // The Ingress sends every path of shared.example to infra-backend-v2, the HTTPRoute to v1;
  // the Ingress's other host stays the Ingress's.
  Conformance c(
      route("shared",
            "  hostnames: [shared.example]\n  rules: [{backendRefs: [{name: "
            "infra-backend-v1, port: 8080}]}]\n") +
      "---\n" + ingress_class_yaml("portico", "portico.dev/ingress-controller", true) +
      "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: legacy, "
      "namespace: " +
      Infra +
      "}\nspec:\n  rules:\n  - host: shared.example\n    http: {paths: [{path: /, pathType: "
      "Prefix, backend: {service: {name: infra-backend-v2, port: {number: 8080}}}}]}\n  - host: "
      "ingress-only.example\n    http: {paths: [{path: /, pathType: Prefix, backend: {service: "
      "{name: infra-backend-v2, port: {number: 8080}}}}]}\n");
  CHECK(c.answer({"/", "shared.example"}) == "infra-backend-v1");
  CHECK(c.answer({"/", "ingress-only.example"}) == "infra-backend-v2");
  const auto explained = json::parse(
      get(c.admin_port(), "localhost", "/debug/explain?url=http://shared.example/").body);
  CHECK(explained["route"]["ingress"] == "HTTPRoute " + Infra + "/shared");
  CHECK(explained.contains("shadowedIngressHost"));
}
