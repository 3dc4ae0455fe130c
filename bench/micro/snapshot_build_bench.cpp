// What an endpoint-only change costs with a large cluster: 10,000 Ingresses (each its own host
// and Service), then one EndpointSlice changes. Measures the incremental build of the next
// snapshot (issue 5: at most 5 ms), and, for contrast, a full rebuild after an Ingress change.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "config/snapshot_builder.hpp"

using namespace portico;

namespace {

k8s::Object ingress(int i) {
  k8s::Ingress in;
  in.meta.name = "site-" + std::to_string(i);
  in.meta.namespace_ = "default";
  in.meta.creation_timestamp = "2026-01-01T00:00:00Z";
  k8s::IngressRule rule;
  rule.host = "site-" + std::to_string(i) + ".example.com";
  rule.paths.push_back(
      {"/", k8s::PathType::Prefix, {k8s::ServiceBackend{"svc-" + std::to_string(i), 80, ""}}});
  in.rules.push_back(std::move(rule));
  return in;
}

k8s::Object service(int i) {
  k8s::Service s;
  s.meta.name = "svc-" + std::to_string(i);
  s.meta.namespace_ = "default";
  s.type = "ClusterIP";
  s.ports.push_back({"http", 80});
  return s;
}

k8s::Object slice(int i, int generation) {
  k8s::EndpointSlice e;
  e.meta.name = "svc-" + std::to_string(i) + "-abc";
  e.meta.namespace_ = "default";
  e.service_name = "svc-" + std::to_string(i);
  e.address_type = "IPv4";
  e.ports.push_back({"http", 8080, "TCP"});
  for (int p = 0; p < 3; ++p) {
    e.endpoints.push_back({"10." + std::to_string(generation % 250) + "." +
                               std::to_string(i % 250) + "." + std::to_string(p + 1),
                           true, std::nullopt, std::nullopt});
  }
  return e;
}

double milliseconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

}  // namespace

int main() {
  constexpr int Ingresses = 10'000;
  ObjectCache cache;
  std::vector<k8s::Object> objects;
  objects.push_back(k8s::IngressClass{
      {"portico", "", "", "", {}, {{"ingressclass.kubernetes.io/is-default-class", "true"}}},
      "portico.dev/ingress-controller"});
  for (int i = 0; i < Ingresses; ++i) {
    objects.push_back(ingress(i));
    objects.push_back(service(i));
    objects.push_back(slice(i, 0));
  }
  SnapshotBuilder builder({}, {TlsContext::self_signed(), ""});
  auto start = std::chrono::steady_clock::now();
  auto first = builder.build(cache, cache.replace_all(std::move(objects), 0));
  std::printf("initial build, %d Ingresses: %.1f ms (generation %llu)\n", Ingresses,
              milliseconds_since(start), static_cast<unsigned long long>(first->generation));

  std::vector<double> samples;
  for (int round = 1; round <= 50; ++round) {
    const auto dirty = cache.upsert(slice(round * 37 % Ingresses, round), 0);
    start = std::chrono::steady_clock::now();
    const auto next = builder.build(cache, dirty);
    samples.push_back(milliseconds_since(start));
    if (!next || next->routes != first->routes) {
      std::printf("unexpected: the route table was rebuilt for an endpoint change\n");
    }
  }
  std::sort(samples.begin(), samples.end());
  std::printf("endpoint-only change: median %.3f ms, max %.3f ms (50 changes)\n",
              samples[samples.size() / 2], samples.back());

  const auto dirty = cache.upsert(ingress(Ingresses), 0);
  start = std::chrono::steady_clock::now();
  builder.build(cache, dirty);
  std::printf("an Ingress change (full route rebuild): %.1f ms\n", milliseconds_since(start));
}
