// End to end: the chart's RBAC rules are exactly the API calls Portico makes. Portico runs
// in cluster mode with everything that calls the API server turned on (watches, leader
// election, status, ACME against pebble); the fake API server records every request; the
// rules rendered from charts/portico (ACME on) must allow each of them and nothing more.
#include <catch2/catch.hpp>
#include <set>
#include <tuple>

#include "k8swatch/yaml.hpp"
#include "tests/chart/chart_renderer.hpp"
#include "tests/support/certificates.hpp"
#include "tests/support/fake_api_server.hpp"
#include "tests/support/harness.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/pebble.hpp"

using namespace portico;
using namespace portico::test;
using nlohmann::json;

namespace {

using Permission = std::tuple<std::string, std::string, std::string>;  // group, resource, verb

// "GET /apis/networking.k8s.io/v1/ingresses?watch=1&..." -> {"networking.k8s.io",
// "ingresses", "watch"}; nothing for paths that name no resource (discovery).
std::optional<Permission> permission_of(const std::string& request) {
  const auto space = request.find(' ');
  const std::string method = request.substr(0, space);
  std::string path = request.substr(space + 1);
  const auto question = path.find('?');
  const std::string query = question == std::string::npos ? "" : path.substr(question);
  path = path.substr(0, question);
  std::vector<std::string> parts;
  for (std::size_t at = 1; at <= path.size();) {
    const auto slash = path.find('/', at);
    parts.push_back(path.substr(at, slash == std::string::npos ? std::string::npos : slash - at));
    at = slash == std::string::npos ? path.size() + 1 : slash + 1;
  }
  std::string group;
  std::size_t at = 0;
  if (parts.size() >= 3 && parts[0] == "api") {
    at = 2;
  } else if (parts.size() >= 4 && parts[0] == "apis") {
    group = parts[1];
    at = 3;
  } else {
    return std::nullopt;
  }
  if (parts.size() > at + 1 && parts[at] == "namespaces") {
    at += 2;
  }
  if (at >= parts.size()) {
    return std::nullopt;
  }
  std::string resource = parts[at];
  const bool named = parts.size() > at + 1;
  if (parts.size() > at + 2) {
    resource += "/" + parts[at + 2];
  }
  std::string verb;
  if (method == "GET") {
    verb = named ? "get"
           : (query.find("watch=1") != std::string::npos ||
              query.find("watch=true") != std::string::npos)
               ? "watch"
               : "list";
  } else if (method == "POST") {
    verb = "create";
  } else if (method == "PUT") {
    verb = "update";
  } else if (method == "PATCH") {
    verb = "patch";
  } else if (method == "DELETE") {
    verb = "delete";
  }
  return Permission{group, resource, verb};
}

std::set<Permission> chart_permissions() {
  const auto rendered =
      chart::render_chart(PORTICO_SOURCE_DIR "/charts/portico", {},
                          {{"acme", {{"enabled", true}}}, {"configMap", "default/ingress-nginx"}});
  REQUIRE(rendered.ok());
  auto documents = k8s::parse_yaml(*rendered);
  REQUIRE(documents.ok());
  std::set<Permission> out;
  for (const auto& document : *documents) {
    if (!document.is_object() ||
        (document["kind"] != "ClusterRole" && document["kind"] != "Role")) {
      continue;
    }
    for (const auto& rule : document["rules"]) {
      for (const auto& group : rule["apiGroups"]) {
        for (const auto& resource : rule["resources"]) {
          for (const auto& verb : rule["verbs"]) {
            out.emplace(group, resource, verb);
          }
        }
      }
    }
  }
  return out;
}

}  // namespace

TEST_CASE("RBAC: the chart allows exactly the API calls Portico makes", "[e2e][rbac]") {
  Backends backends;
  const auto echo = backends.start("echo");
  const auto http_port = closed_port();
  Pebble pebble({.http_port = http_port});
  pebble.start();
  FakeApiServer api;
  api.apply_yaml(ingress_class_yaml("portico", "portico.dev/ingress-controller", true) + "---\n" +
                 ingress_yaml("blog", "a.example.com", {{"/", "Prefix", "echo", "80"}},
                              "  tls:\n  - hosts: [a.example.com]\n    secretName: blog-tls\n",
                              "  annotations:\n    kubernetes.io/tls-acme: \"true\"\n") +
                 "---\n" + service_yaml("echo", {echo}) + "---\n" +
                 "apiVersion: v1\nkind: Service\nmetadata:\n  name: portico\n  namespace: default\n"
                 "spec:\n  type: LoadBalancer\n  ports: [{name: http, port: 80}]\n"
                 "status:\n  loadBalancer:\n    ingress: [{ip: 203.0.113.7}]\n");
  // Gateway API too: its kinds are listed and watched, and its status written.
  api.install_gateway_api();
  api.apply_yaml(R"(apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: portico}
spec: {controllerName: portico.dev/gateway-controller}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  gatewayClassName: portico
  listeners: [{name: http, port: 80, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: route, namespace: default}
spec:
  parentRefs: [{name: gw}]
  hostnames: [b.example.com]
  rules: [{backendRefs: [{name: echo, port: 80}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: grpc, namespace: default}
spec:
  parentRefs: [{name: gw}]
  hostnames: [c.example.com]
  rules: [{backendRefs: [{name: echo, port: 80}]}]
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: grant, namespace: default}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: other}]
  to: [{group: "", kind: Service}]
)");
  TempDir dir;
  dir.write("kubeconfig", api.kubeconfig());
  {
    auto app = start_application({"--kubeconfig", (dir.path() / "kubeconfig").string(),
                                  "--http-listen", "127.0.0.1:" + std::to_string(http_port),
                                  "--acme-directory", pebble.directory_url(), "--acme-ca-file",
                                  pebble.ca_file(), "--publish-service", "default/portico",
                                  "--configmap", "default/ingress-nginx", "--workers", "1"});
    REQUIRE(eventually([&] { return api.object("secrets", "default", "blog-tls").is_object(); },
                       std::chrono::seconds(40)));
    REQUIRE(eventually([&] { return api.status_patches() > 0; }));
    struct Written {
      const char* plural;
      const char* ns;
      const char* name;
    };
    for (const Written& object :
         {Written{"gatewayclasses", "", "portico"}, Written{"gateways", "default", "gw"},
          Written{"httproutes", "default", "route"}, Written{"grpcroutes", "default", "grpc"}}) {
      REQUIRE(eventually(
          [&] { return api.object(object.plural, object.ns, object.name).contains("status"); },
          std::chrono::seconds(10)));
    }
    app->request_shutdown(true);
    app->wait();  // releases the Lease: an update
  }
  std::set<Permission> used;
  for (const auto& request : api.requests()) {
    if (auto permission = permission_of(request)) {
      used.insert(*permission);
    }
  }
  const auto allowed = chart_permissions();
  for (const auto& [group, resource, verb] : used) {
    INFO("Portico called " << verb << " " << resource << " (group \"" << group << "\")");
    CHECK(allowed.contains({group, resource, verb}));
  }
  for (const auto& [group, resource, verb] : allowed) {
    INFO("the chart allows " << verb << " " << resource << " (group \"" << group
                             << "\"), which Portico never calls");
    CHECK(used.contains({group, resource, verb}));
  }
}
