// End to end, cluster mode with Gateway API: Portico watches GatewayClasses, Gateways,
// HTTPRoutes and ReferenceGrants when the (fake) API server serves them, and the leader
// writes their status as the conformance suite checks it (GatewayClass Accepted, Gateway
// Programmed with addresses, listener conditions and attachedRoutes, route parents with
// observedGeneration).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/support/certificates.hpp"
#include "tests/support/fake_api_server.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/http_client.hpp"

using namespace portico;
using namespace portico::test;
using nlohmann::json;

namespace {

const std::string GatewayObjects = R"(apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: portico}
spec: {controllerName: portico.dev/gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: someone-else}
spec: {controllerName: example.com/another-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  gatewayClassName: portico
  listeners:
  - {name: http, port: 80, protocol: HTTP}
  - {name: tcp, port: 9000, protocol: TCP}
  - {name: other-port, port: 8080, protocol: HTTP}
  - {name: http-again, port: 80, protocol: HTTP}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: good, namespace: default}
spec:
  parentRefs: [{name: gw}]
  hostnames: [good.example]
  rules: [{backendRefs: [{name: web, port: 80}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: missing-backend, namespace: default}
spec:
  parentRefs: [{name: gw}]
  hostnames: [missing.example]
  rules: [{backendRefs: [{name: nonexistent, port: 80}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: tlsroutes-only, namespace: default}
spec:
  gatewayClassName: portico
  listeners:
  - name: tls
    port: 443
    protocol: TLS
    tls: {mode: Passthrough}
    allowedRoutes: {namespaces: {from: Same}, kinds: [{kind: TLSRoute}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: invalid-route-kinds, namespace: default}
spec:
  gatewayClassName: portico
  listeners:
  - {name: only-invalid, port: 80, protocol: HTTP, allowedRoutes: {kinds: [{kind: InvalidRoute}]}}
  - name: some-invalid
    port: 80
    protocol: HTTP
    hostname: kinds.example
    allowedRoutes: {kinds: [{kind: InvalidRoute}, {kind: HTTPRoute}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: invalid-certificates, namespace: default}
spec:
  gatewayClassName: portico
  listeners:
  - name: nonexistent-secret
    port: 443
    protocol: HTTPS
    hostname: a.example
    tls: {certificateRefs: [{name: nonexistent-certificate}]}
  - name: unsupported-group
    port: 443
    protocol: HTTPS
    hostname: b.example
    tls: {certificateRefs: [{group: wrong.group.company.io, kind: Secret, name: web}]}
  - name: unsupported-kind
    port: 443
    protocol: HTTPS
    hostname: c.example
    tls: {certificateRefs: [{kind: WrongKind, name: web}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: disallowed-kind, namespace: default}
spec:
  parentRefs: [{name: tlsroutes-only}]
  rules: [{backendRefs: [{name: web, port: 80}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: cross-namespace-parent, namespace: elsewhere}
spec:
  parentRefs: [{name: gw, namespace: default}]
  rules: [{backendRefs: [{name: web, port: 80}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: wrong-port, namespace: default}
spec:
  parentRefs: [{name: gw, port: 81}]
  rules: [{backendRefs: [{name: web, port: 80}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: wrong-section, namespace: default}
spec:
  parentRefs: [{name: gw, port: 80, sectionName: nope}]
  hostnames: [wrong.example]
  rules: [{backendRefs: [{name: web, port: 80}]}]
)";

std::string backend_at(std::uint16_t port, const std::string& host) {
  const auto r = get(port, host, "/");
  return r.status == 200 ? r.header("x-echo-name") : std::to_string(r.status);
}

// The condition `type` of a status's `conditions`, as "Status/Reason/observedGeneration".
std::string condition(const json& conditions, const std::string& type) {
  for (const auto& c : conditions) {
    if (c.value("type", "") == type) {
      return c.value("status", "") + "/" + c.value("reason", "") + "/" +
             std::to_string(c.value("observedGeneration", 0));
    }
  }
  return "absent";
}

json listener(const json& gateway, const std::string& name) {
  for (const auto& l : gateway.value("status", json::object()).value("listeners", json::array())) {
    if (l.value("name", "") == name) {
      return l;
    }
  }
  return json::object();
}

struct GatewayCluster {
  GatewayCluster() {
    web = backends.start("web");
    api.apply_yaml(service_yaml("web", {web}));
    dir.write("kubeconfig", api.kubeconfig());
  }
  std::unique_ptr<Application> start_portico() {
    auto app = start_application({"--kubeconfig", (dir.path() / "kubeconfig").string(), "--workers",
                                  "1", "--publish-address", "203.0.113.7"});
    const auto admin = app->admin_port();
    REQUIRE(eventually([admin] { return get(admin, "localhost", "/readyz").status == 200; }));
    return app;
  }
  // The object as stored, or {} while it is absent.
  json object(const std::string& plural, const std::string& name) {
    json stored = api.object(plural, plural == "gatewayclasses" ? "" : "default", name);
    return stored.is_null() ? json::object() : stored;
  }
  Backends backends;
  std::uint16_t web = 0;
  FakeApiServer api;
  TempDir dir;
};

}  // namespace

TEST_CASE(
    "Gateway API in a cluster: routes served and status written as the conformance "
    "suite checks it",
    "[cluster][gateway]") {
  GatewayCluster c;
  c.api.install_gateway_api();
  c.api.apply_yaml(GatewayObjects);
  auto app = c.start_portico();
  CHECK(backend_at(app->http_port(), "good.example") == "web");
  CHECK(backend_at(app->http_port(), "missing.example") == "500");  // BackendNotFound
  CHECK(backend_at(app->http_port(), "wrong.example") == "404");    // NoMatchingParent

  // GatewayClassObservedGenerationBump, GatewayObservedGenerationBump: every condition.
  REQUIRE(eventually(
      [&] {
        const json status = c.object("gatewayclasses", "portico").value("status", json::object());
        return condition(status.value("conditions", json::array()), "Accepted") ==
               "True/Accepted/1";
      },
      std::chrono::seconds(10)));
  CHECK(c.object("gatewayclasses", "someone-else").count("status") == 0);  // not ours
  json gateway;
  REQUIRE(eventually(
      [&] {
        gateway = c.object("gateways", "gw");
        return listener(gateway, "http").value("attachedRoutes", -1) == 2;
      },
      std::chrono::seconds(10)));
  CHECK(gateway["status"]["addresses"] ==
        json::parse(R"([{"type":"IPAddress","value":"203.0.113.7"}])"));
  CHECK(condition(gateway["status"]["conditions"], "Accepted") == "True/ListenersNotValid/1");
  CHECK(condition(gateway["status"]["conditions"], "Programmed") == "True/Programmed/1");
  const json http = listener(gateway, "http");
  CHECK(condition(http["conditions"], "Accepted") == "True/Accepted/1");
  CHECK(condition(http["conditions"], "Programmed") == "True/Programmed/1");
  CHECK(condition(http["conditions"], "ResolvedRefs") == "True/ResolvedRefs/1");
  CHECK(http["supportedKinds"] ==
        json::parse(R"([{"group":"gateway.networking.k8s.io","kind":"HTTPRoute"},
                                              {"group":"gateway.networking.k8s.io","kind":"GRPCRoute"}])"));
  // The contract: a protocol Portico does not serve, then a served one on another port.
  CHECK(condition(listener(gateway, "tcp")["conditions"], "Accepted") ==
        "False/UnsupportedProtocol/1");
  CHECK(condition(listener(gateway, "other-port")["conditions"], "Accepted") ==
        "False/PortUnavailable/1");
  // Two listeners with one port and hostname: the later one is Conflicted, takes no route.
  CHECK(condition(http["conditions"], "Conflicted") == "False/NoConflicts/1");
  CHECK(condition(listener(gateway, "http-again")["conditions"], "Conflicted") ==
        "True/HostnameConflict/1");
  CHECK(condition(listener(gateway, "http-again")["conditions"], "Programmed") ==
        "False/Invalid/1");
  CHECK(listener(gateway, "http-again")["attachedRoutes"] == 0);

  // Each route's parent, with our controller's name.
  const auto parent_of = [&](const std::string& route, const std::string& ns = "default") {
    const json stored = c.api.object("httproutes", ns, route);
    const json parents =
        stored.is_null() ? json::array()
                         : stored.value("status", json::object()).value("parents", json::array());
    return parents.empty() ? json() : parents[0];
  };
  REQUIRE(
      eventually([&] { return !parent_of("wrong-section").is_null(); }, std::chrono::seconds(10)));
  const json good = parent_of("good");
  CHECK(good["controllerName"] == "portico.dev/gateway-controller");
  CHECK(good["parentRef"]["name"] == "gw");
  CHECK(condition(good["conditions"], "Accepted") == "True/Accepted/1");
  CHECK(condition(good["conditions"], "ResolvedRefs") == "True/ResolvedRefs/1");
  CHECK(condition(parent_of("missing-backend")["conditions"], "ResolvedRefs") ==
        "False/BackendNotFound/1");
  // HTTPRouteInvalidParentRefNotMatchingSectionName.
  CHECK(condition(parent_of("wrong-section")["conditions"], "Accepted") ==
        "False/NoMatchingParent/1");
  // HTTPRouteInvalidParentRefNotMatchingListenerPort, HTTPRouteDisallowedKind,
  // HTTPRouteInvalidCrossNamespaceParentRef.
  CHECK(condition(parent_of("wrong-port")["conditions"], "Accepted") == "False/NoMatchingParent/1");
  CHECK(condition(parent_of("disallowed-kind")["conditions"], "Accepted") ==
        "False/NotAllowedByListeners/1");
  CHECK(condition(parent_of("cross-namespace-parent", "elsewhere")["conditions"], "Accepted") ==
        "False/NotAllowedByListeners/1");
  // GatewayListenerUnsupportedProtocol: a TLS passthrough listener is not one Portico serves.
  json tls_only;
  REQUIRE(eventually(
      [&] {
        tls_only = c.object("gateways", "tlsroutes-only");
        return tls_only.contains("status");
      },
      std::chrono::seconds(10)));
  CHECK(condition(listener(tls_only, "tls")["conditions"], "Accepted") ==
        "False/UnsupportedProtocol/1");
  CHECK(condition(tls_only["status"]["conditions"], "Accepted") == "False/ListenersNotValid/1");

  // GatewayInvalidRouteKind: kinds Portico cannot serve are refused, HTTPRoute is kept.
  json kinds;
  REQUIRE(eventually(
      [&] {
        kinds = c.object("gateways", "invalid-route-kinds");
        return kinds.contains("status");
      },
      std::chrono::seconds(10)));
  CHECK(listener(kinds, "only-invalid")["supportedKinds"] == json::array());
  CHECK(condition(listener(kinds, "only-invalid")["conditions"], "ResolvedRefs") ==
        "False/InvalidRouteKinds/1");
  CHECK(listener(kinds, "some-invalid")["supportedKinds"] ==
        json::parse(R"([{"group":"gateway.networking.k8s.io","kind":"HTTPRoute"}])"));
  CHECK(condition(listener(kinds, "some-invalid")["conditions"], "ResolvedRefs") ==
        "False/InvalidRouteKinds/1");

  // GatewayInvalidTLSConfiguration: a certificateRef that is missing, of another group or of
  // another kind.
  json certificates;
  REQUIRE(eventually(
      [&] {
        certificates = c.object("gateways", "invalid-certificates");
        return certificates.contains("status");
      },
      std::chrono::seconds(10)));
  for (const char* name : {"nonexistent-secret", "unsupported-group", "unsupported-kind"}) {
    INFO(name);
    CHECK(condition(listener(certificates, name)["conditions"], "ResolvedRefs") ==
          "False/InvalidCertificateRef/1");
    CHECK(condition(listener(certificates, name)["conditions"], "Programmed") == "False/Invalid/1");
  }

  // HTTPRouteObservedGenerationBump: a spec change is reported at its new generation, and the
  // route serves the new spec.
  const std::size_t requests_before = c.api.requests().size();
  c.api.apply_yaml(R"(apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: good, namespace: default}
spec:
  parentRefs: [{name: gw}]
  hostnames: [good.example, also-good.example]
  rules: [{backendRefs: [{name: web, port: 80}]}]
)");
  CHECK(eventually(
      [&] { return condition(parent_of("good")["conditions"], "Accepted") == "True/Accepted/2"; },
      std::chrono::seconds(10)));
  CHECK(backend_at(app->http_port(), "also-good.example") == "web");
  // Only what changed is written: the route's status; the Gateway's (its listener still has
  // two routes) and the other routes' are not written again.
  const auto requests = c.api.requests();
  for (std::size_t i = requests_before; i < requests.size(); ++i) {
    if (requests[i].starts_with("PATCH")) {
      CHECK(requests[i] ==
            "PATCH /apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes/good/status");
    }
  }

  // A backend Service that appears later resolves without any route change.
  c.api.apply_yaml(service_yaml("nonexistent", {c.web}));
  CHECK(eventually([&] { return backend_at(app->http_port(), "missing.example") == "web"; },
                   std::chrono::seconds(5)));
  CHECK(eventually(
      [&] {
        return condition(parent_of("missing-backend")["conditions"], "ResolvedRefs") ==
               "True/ResolvedRefs/1";
      },
      std::chrono::seconds(10)));
}

TEST_CASE(
    "Gateway API in a cluster: without its CRDs nothing changes, and CRDs installed "
    "later are picked up without a restart",
    "[cluster][gateway]") {
  GatewayCluster c;
  c.api.apply_yaml(ingress_class_yaml("portico", "portico.dev/ingress-controller", true) + "---\n" +
                   ingress_yaml("site", "x.com", {{"/", "Prefix", "web", "80"}}));
  auto app = c.start_portico();  // ready although the Gateway API kinds are 404
  CHECK(backend_at(app->http_port(), "x.com") == "web");
  CHECK(c.api.lists("httproutes") >= 1);

  c.api.install_gateway_api();
  c.api.apply_yaml(GatewayObjects);
  CHECK(eventually([&] { return backend_at(app->http_port(), "good.example") == "web"; },
                   std::chrono::seconds(40)));
  CHECK(backend_at(app->http_port(), "x.com") == "web");
}

namespace {

// A Gateway with one HTTPS listener using the Secret "certificate" of namespace web-backend.
std::string gateway_with_certificate_from_web_backend(const std::string& ns) {
  return "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw, "
         "namespace: " +
         ns +
         "}\nspec:\n  gatewayClassName: portico\n  listeners:\n  - name: https\n    port: 443\n"
         "    protocol: HTTPS\n    allowedRoutes: {namespaces: {from: All}}\n"
         "    tls: {certificateRefs: [{group: \"\", kind: Secret, name: certificate, namespace: "
         "web-backend}]}\n";
}

// A ReferenceGrant in `ns` letting `from` (group, kind, namespace) refer to `to` (group, kind
// and a name, or "" for any).
std::string reference_grant(const std::string& ns, const std::string& name, const std::string& from,
                            const std::string& to) {
  return "apiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata: {name: " +
         name + ", namespace: " + ns + "}\nspec:\n  from: [" + from + "]\n  to: [" + to + "]\n";
}

const std::string GatewayFrom = "{group: gateway.networking.k8s.io, kind: Gateway, namespace: ";

// GatewaySecretInvalidReferenceGrant: grants that each miss the Gateways of namespace
// wrong-grants and the Secret web-backend/certificate in one way.
std::string wrong_reference_grants() {
  const std::string secret = "{group: \"\", kind: Secret, name: certificate}";
  const std::string from = GatewayFrom + "wrong-grants}";
  struct Wrong {
    const char* name;
    std::string ns, from, to;
  };
  const Wrong wrong[] = {
      {"wrong-namespace", "app-backend", from, secret},
      {"wrong-from-group", "web-backend",
       "{group: not-the-group, kind: Gateway, namespace: wrong-grants}", secret},
      {"wrong-from-kind", "web-backend",
       "{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: wrong-grants}", secret},
      {"wrong-from-namespace", "web-backend", GatewayFrom + "not-the-namespace}", secret},
      {"wrong-to-group", "web-backend", from,
       "{group: not-the-group, kind: Secret, name: certificate}"},
      {"wrong-to-kind", "web-backend", from, "{group: \"\", kind: Service, name: certificate}"},
      {"wrong-to-name", "web-backend", from,
       "{group: \"\", kind: Secret, name: not-the-certificate}"},
  };
  std::string out;
  for (const Wrong& grant : wrong) {
    out += "---\n" + reference_grant(grant.ns, grant.name, grant.from, grant.to);
  }
  return out;
}

}  // namespace

TEST_CASE(
    "Gateway API conformance: GatewaySecretReferenceGrantSpecific, "
    "GatewaySecretReferenceGrantAllInNamespace, GatewaySecretMissingReferenceGrant, "
    "GatewaySecretInvalidReferenceGrant, GatewayInvalidParametersRef, GatewayNameMaximumLength",
    "[cluster][gateway]") {
  GatewayCluster c;
  c.api.install_gateway_api();
  const auto certificate = make_certificate("secure.example", {"DNS:secure.example"});
  const std::string long_name = "gateway-name-maximum-length-" + std::string(225, 'a');
  REQUIRE(long_name.size() == 253);
  c.api.apply_yaml(
      "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: portico}\n"
      "spec: {controllerName: portico.dev/gateway-controller}\n---\n" +
      tls_secret_yaml("certificate", certificate.certificate_pem, certificate.key_pem,
                      "web-backend") +
      "---\n" + gateway_with_certificate_from_web_backend("grant-specific") + "---\n" +
      gateway_with_certificate_from_web_backend("grant-all") + "---\n" +
      gateway_with_certificate_from_web_backend("no-grant") + "---\n" +
      gateway_with_certificate_from_web_backend("wrong-grants") + "---\n" +
      reference_grant("web-backend", "specific", GatewayFrom + "grant-specific}",
                      "{group: \"\", kind: Secret, name: certificate}") +
      "---\n" +
      reference_grant("web-backend", "all-in-namespace", GatewayFrom + "grant-all}",
                      "{group: \"\", kind: Secret}") +
      wrong_reference_grants() +
      // The granted certificate is served for a route's host.
      "---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: secure, "
      "namespace: default}\nspec:\n  parentRefs: [{name: gw, namespace: grant-specific}]\n"
      "  hostnames: [secure.example]\n  rules: [{backendRefs: [{name: web, port: 80}]}]\n"
      // GatewayInvalidParametersRef.
      "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: "
      "invalid-parameters, namespace: default}\nspec:\n  gatewayClassName: portico\n"
      "  listeners: [{name: http, port: 80, protocol: HTTP}]\n  infrastructure:\n"
      "    parametersRef: {group: invalid.io, kind: InvalidParameters, name: invalid}\n"
      // GatewayNameMaximumLength.
      "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: " +
      long_name +
      ", namespace: default}\nspec:\n  gatewayClassName: portico\n"
      "  listeners: [{name: http, port: 80, protocol: HTTP}]\n");
  auto app = c.start_portico();

  const auto https_listener = [&](const std::string& ns) {
    json gateway;
    const bool written = eventually(
        [&] {
          gateway = c.api.object("gateways", ns, "gw");
          return gateway.contains("status");
        },
        std::chrono::seconds(10));
    return written ? listener(gateway, "https") : json::object();
  };
  for (const char* ns : {"grant-specific", "grant-all"}) {
    INFO(ns);
    const json https = https_listener(ns);
    CHECK(condition(https["conditions"], "ResolvedRefs") == "True/ResolvedRefs/1");
    CHECK(condition(https["conditions"], "Programmed") == "True/Programmed/1");
  }
  for (const char* ns : {"no-grant", "wrong-grants"}) {
    INFO(ns);
    const json https = https_listener(ns);
    CHECK(condition(https["conditions"], "ResolvedRefs") == "False/RefNotPermitted/1");
    CHECK(https["attachedRoutes"] == 0);
  }
  CHECK(https_listener("grant-specific")["attachedRoutes"] == 1);
  CHECK(probe_tls(app->https_port(), "secure.example").common_name == "secure.example");

  json invalid_parameters;
  REQUIRE(eventually(
      [&] {
        invalid_parameters = c.object("gateways", "invalid-parameters");
        return invalid_parameters.contains("status");
      },
      std::chrono::seconds(10)));
  CHECK(condition(invalid_parameters["status"]["conditions"], "Accepted") ==
        "False/InvalidParameters/1");
  CHECK(condition(invalid_parameters["status"]["conditions"], "Programmed") == "False/Invalid/1");

  CHECK(eventually(
      [&] {
        const json gateway = c.object("gateways", long_name);
        return condition(gateway.value("status", json::object()).value("conditions", json::array()),
                         "Accepted") == "True/Accepted/1";
      },
      std::chrono::seconds(10)));
}

TEST_CASE("Gateway API conformance: GatewayModifyListeners", "[cluster][gateway]") {
  GatewayCluster c;
  c.api.install_gateway_api();
  const auto certificate = make_certificate("secure.test.com", {"DNS:secure.test.com"});
  const auto gateway = [](const std::string& name, const std::string& listeners) {
    return "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: " + name +
           ", namespace: default}\nspec:\n  gatewayClassName: portico\n  listeners:\n" + listeners;
  };
  const std::string https =
      "  - name: https\n    port: 443\n    protocol: HTTPS\n    hostname: secure.test.com\n"
      "    allowedRoutes: {namespaces: {from: All}}\n"
      "    tls: {certificateRefs: [{name: tls-validity-checks-certificate}]}\n";
  const auto http = [](const std::string& hostname) {
    return "  - {name: http, port: 80, protocol: HTTP, " + hostname +
           "allowedRoutes: {namespaces: {from: All}}}\n";
  };
  const auto route = [](const std::string& name, const std::string& gateway_name,
                        const std::string& service) {
    return "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: " + name +
           ", namespace: default}\nspec:\n  parentRefs: [{name: " + gateway_name +
           "}]\n  rules: [{backendRefs: [{name: " + service + ", port: 80}]}]\n";
  };
  c.api.apply_yaml(
      "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: portico}\n"
      "spec: {controllerName: portico.dev/gateway-controller}\n---\n" +
      tls_secret_yaml("tls-validity-checks-certificate", certificate.certificate_pem,
                      certificate.key_pem) +
      "---\n" + service_yaml("other", {c.backends.start("other")}) + "---\n" +
      gateway("gateway-add-listener", https) + "---\n" +
      route("http-route-1", "gateway-add-listener", "other") + "---\n" +
      gateway("gateway-remove-listener", https + http("")) + "---\n" +
      route("http-route-2", "gateway-remove-listener", "web"));
  auto app = c.start_portico();

  // The listeners' names, attached routes and the generation their Accepted condition saw.
  const auto listeners_of = [&](const std::string& name) {
    std::string out;
    const json stored = c.object("gateways", name);
    for (const auto& l : stored.value("status", json::object()).value("listeners", json::array())) {
      out += l.value("name", "") + ":" + std::to_string(l.value("attachedRoutes", -1)) + ":" +
             condition(l["conditions"], "Accepted") + ":" +
             condition(l["conditions"], "ResolvedRefs") + " ";
    }
    return out;
  };
  CHECK(eventually(
      [&] {
        return listeners_of("gateway-add-listener") ==
               "https:1:True/Accepted/1:True/ResolvedRefs/1 ";
      },
      std::chrono::seconds(10)));
  // Before: the other Gateway's listener for every host answers data.test.com.
  CHECK(backend_at(app->http_port(), "data.test.com") == "web");
  CHECK(probe_tls(app->https_port(), "secure.test.com").common_name == "secure.test.com");

  // Add a listener: it takes the route at the Gateway's new generation.
  c.api.apply_yaml(gateway("gateway-add-listener", https + http("hostname: data.test.com, ")));
  CHECK(eventually(
      [&] {
        return listeners_of("gateway-add-listener") ==
               "https:1:True/Accepted/2:True/ResolvedRefs/2 "
               "http:1:True/Accepted/2:True/ResolvedRefs/2 ";
      },
      std::chrono::seconds(10)));
  CHECK(eventually([&] { return backend_at(app->http_port(), "data.test.com") == "other"; }));

  // Remove the HTTPS listener: its status goes, and its host is no longer served over TLS
  // by this Gateway (the other one still serves it).
  c.api.apply_yaml(gateway("gateway-remove-listener", http("")));
  CHECK(eventually(
      [&] {
        return listeners_of("gateway-remove-listener") ==
               "http:1:True/Accepted/2:True/ResolvedRefs/2 ";
      },
      std::chrono::seconds(10)));
  CHECK(backend_at(app->http_port(), "data.test.com") == "other");
  CHECK(backend_at(app->http_port(), "elsewhere.test.com") == "web");
}
