#include <catch2/catch.hpp>

#include "config/service_resolver.hpp"
#include "tests/unit/yaml_objects.hpp"

using namespace portico;
using namespace portico::test;

namespace {

const std::string ServiceYaml = R"(
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  ports:
  - {name: http, port: 80}
  - {name: metrics, port: 9090}
)";

std::vector<std::string> endpoints(const std::string& slices, ClusterRef ref) {
  ObjectCache cache;
  cache.replace_all(objects_from(ServiceYaml + "---\n" + slices), 0);
  const auto cluster = resolve_cluster(7, ref, cache);
  std::vector<std::string> out;
  for (const auto& e : cluster->endpoints) {
    out.push_back(e.address.to_string() + ":" + std::to_string(e.port));
  }
  return out;
}

std::string slice(const std::string& name, const std::string& body) {
  return "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: " + name +
         "\n  namespace: shop\n  labels: {kubernetes.io/service-name: web}\naddressType: IPv4\n" +
         body;
}

const ClusterRef ByNumber{"shop", "web", 80, ""};
const ClusterRef ByName{"shop", "web", std::nullopt, "http"};

}  // namespace

TEST_CASE("Endpoints: Service port by number or name, through the slice port of that name",
          "[endpoints]") {
  const std::string slices = slice("a", R"(ports:
- {name: http, port: 8080}
- {name: metrics, port: 9100}
endpoints:
- addresses: [10.0.0.1]
- addresses: [10.0.0.2]
  conditions: {ready: true}
)");
  CHECK(endpoints(slices, ByNumber) == std::vector<std::string>{"10.0.0.1:8080", "10.0.0.2:8080"});
  CHECK(endpoints(slices, ByName) == std::vector<std::string>{"10.0.0.1:8080", "10.0.0.2:8080"});
  CHECK(endpoints(slices, {"shop", "web", 9090, ""}) ==
        std::vector<std::string>{"10.0.0.1:9100", "10.0.0.2:9100"});
  // A port the Service lacks, or a Service that does not exist: no usable endpoint.
  CHECK(endpoints(slices, {"shop", "web", 81, ""}).empty());
  CHECK(endpoints(slices, {"shop", "web", std::nullopt, "grpc"}).empty());
  CHECK(endpoints(slices, {"shop", "missing", 80, ""}).empty());
}

TEST_CASE("Endpoints: ready or unset, and terminating ones only when none is ready",
          "[endpoints]") {
  const std::string mixed = slice("a", R"(ports: [{name: http, port: 80}]
endpoints:
- addresses: [10.0.0.1]
  conditions: {ready: true}
- addresses: [10.0.0.2]
  conditions: {ready: false, serving: true, terminating: true}
- addresses: [10.0.0.3]
  conditions: {ready: false}
)");
  CHECK(endpoints(mixed, ByNumber) == std::vector<std::string>{"10.0.0.1:80"});
  const std::string draining = slice("a", R"(ports: [{name: http, port: 80}]
endpoints:
- addresses: [10.0.0.2]
  conditions: {ready: false, serving: true, terminating: true}
- addresses: [10.0.0.4]
  conditions: {ready: false, serving: false, terminating: true}
)");
  CHECK(endpoints(draining, ByNumber) == std::vector<std::string>{"10.0.0.2:80"});
}

TEST_CASE("Endpoints: several slices merge, duplicates collapse, null lists are accepted",
          "[endpoints]") {
  const std::string slices = slice("a", R"(ports: [{name: http, port: 80}]
endpoints:
- addresses: [10.0.0.1]
- addresses: [10.0.0.2]
)") + "---\n" + slice("b", R"(ports: [{name: http, port: 80}]
endpoints:
- addresses: [10.0.0.2]
- addresses: [10.0.0.3]
)") + "---\n" + slice("empty", "ports: null\nendpoints: null\n") +
                             "---\n" + slice("other-port", R"(ports: [{name: admin, port: 80}]
endpoints: [{addresses: [10.9.9.9]}]
)");
  CHECK(endpoints(slices, ByNumber) ==
        std::vector<std::string>{"10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"});
}
