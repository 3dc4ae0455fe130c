// End to end: zero-downtime churn. Under steady load, the backing Service scales up and down,
// goes through a rolling update (new pods ready, old ones terminating, removed, then killed)
// and its Ingress is edited every 500 ms; not one request may fail.
#include <catch2/catch.hpp>
#include <cstdio>
#include <set>

#include "tests/support/harness.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/load.hpp"

using namespace portico;
using namespace portico::test;

namespace {

struct Pod {
  std::size_t backend;  // index in Backends
  bool terminating = false;
};

// Service "api" with one EndpointSlice per pod: ready, or serving while terminating (as the
// EndpointSlice controller reports a pod that got SIGTERM).
std::string api_yaml(const std::vector<Pod>& pods, const std::vector<std::uint16_t>& ports) {
  std::string yaml =
      "apiVersion: v1\nkind: Service\nmetadata:\n  name: api\n  namespace: default\n"
      "spec:\n  ports:\n  - name: http\n    port: 80\n";
  for (const auto& pod : pods) {
    yaml += "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: api-" +
            std::to_string(pod.backend) +
            "\n  namespace: default\n  labels:\n    kubernetes.io/service-name: api\n"
            "addressType: IPv4\nports:\n- name: http\n  port: " +
            std::to_string(ports[pod.backend]) +
            "\nendpoints:\n- addresses: [\"127.0.0.1\"]\n  conditions: " +
            (pod.terminating ? "{ready: false, serving: true, terminating: true}"
                             : "{ready: true, serving: true, terminating: false}") +
            "\n";
  }
  return yaml;
}

// The Ingress, in one of two shapes, so every edit changes the routing table.
std::string ingress(unsigned edit) {
  std::vector<PathRule> paths = {{"/", "Prefix", "api", "80"}};
  if (edit % 2 == 1) {
    paths.push_back({"/edit-" + std::to_string(edit), "Exact", "api", "http"});
  }
  return ingress_class_yaml("portico", "portico.dev/ingress-controller", true) + "---\n" +
         ingress_yaml("blog", "blog.com", paths, "",
                      "  annotations:\n    portico.dev/proxy-read-timeout: \"" +
                          std::to_string(30 + edit) + "\"\n");
}

}  // namespace

TEST_CASE("Churn: scaling, a rolling update and Ingress edits under load lose nothing",
          "[e2e][churn]") {
  Backends backends;
  std::vector<std::uint16_t> ports;
  for (const char* name : {"a", "b", "c", "d", "e", "f", "g"}) {
    ports.push_back(backends.start(name));
  }
  constexpr std::size_t A = 0, B = 1, C = 2, D = 3, E = 4, F = 5, G = 6;
  TempDir dir;
  dir.write("ingress.yaml", ingress(0));
  dir.write("api.yaml", api_yaml({{A}, {B}}, ports));
  Portico portico(dir.path(), 2);
  portico.wait_ready();

  // Slow POSTs are in flight at every change, and cannot be retried: they pass only if
  // removed endpoints really drain.
  LoadGenerator load(portico.port(), "blog.com", "/posts", "/comments/delay/50");
  load.add_keep_alive_clients(4);
  load.add_closing_clients(1);
  load.add_slow_posts(4);

  // Each step: the pods after it, and the pods killed as it starts (those removed by the
  // step before, as a pod's process ends after its endpoint is gone).
  struct Step {
    std::vector<Pod> pods;
    std::vector<std::size_t> kill;
  };
  const std::vector<Step> steps = {
      {{{A}, {B}, {C}}, {}},              // scale up
      {{{A}, {B}, {C}, {D}}, {}},         // scale up
      {{{A}, {B}, {C}, {D, true}}, {}},   // scale down: D terminating
      {{{A}, {B}, {C}}, {}},              // D removed
      {{{A, true}, {B}, {C}, {E}}, {D}},  // rolling update: surge E, A terminating
      {{{B}, {C}, {E}}, {}},              // A removed
      {{{B, true}, {C}, {E}, {F}}, {A}},  // F up, B terminating
      {{{C}, {E}, {F}}, {}},              // B removed
      {{{C, true}, {E}, {F}, {G}}, {B}},  // G up, C terminating
      {{{E}, {F}, {G}}, {}},              // C removed
      {{{E}, {F}, {G}}, {C}},             // the old version is gone
  };
  unsigned edit = 0;
  for (const auto& step : steps) {
    for (const auto pod : step.kill) {
      backends.server(pod).kill();
    }
    dir.write("api.yaml", api_yaml(step.pods, ports));
    dir.write("ingress.yaml", ingress(++edit));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  load.stop();
  std::fprintf(stderr, "churn: %s\n", load.summary().c_str());
  INFO(load.summary());
  CHECK(load.failed() == 0);
  CHECK(load.socket_errors() == 0);
  CHECK(load.retried() == 0);  // Portico never closed a keep-alive connection
  CHECK(load.refused() == 0);
  CHECK(load.ok() > 1000);

  // Only the new version serves now, all of it.
  std::set<std::string> serving;
  Connection c(portico.port());
  for (int i = 0; i < 30; ++i) {
    serving.insert(c.get("blog.com", "/posts").header("x-echo-name"));
  }
  CHECK(serving == std::set<std::string>{"e", "f", "g"});
}
