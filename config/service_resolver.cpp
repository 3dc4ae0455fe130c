#include "config/service_resolver.hpp"

#include <algorithm>

namespace portico {
namespace {

const k8s::ServicePort* find_service_port(const k8s::Service& service, const ClusterRef& ref) {
  if (ref.first_port) {
    return service.ports.empty() ? nullptr : &service.ports.front();
  }
  for (const auto& port : service.ports) {
    if (ref.port_number ? port.port == *ref.port_number : port.name == ref.port_name) {
      return &port;
    }
  }
  return nullptr;
}

std::optional<std::uint16_t> slice_port(const k8s::EndpointSlice& slice, const std::string& name) {
  for (const auto& port : slice.ports) {
    if (port.name == name && port.protocol == "TCP" && port.port && *port.port > 0 &&
        *port.port <= 65535) {
      return static_cast<std::uint16_t>(*port.port);
    }
  }
  return std::nullopt;
}

}  // namespace

ClusterPtr resolve_cluster(std::uint32_t id, const ClusterRef& ref, const ObjectCache& cache) {
  auto cluster = std::make_shared<Cluster>();
  cluster->id = id;
  cluster->name = ref.key();
  const auto* service = cache.find<k8s::Service>(k8s::Kind::Service, ref.service_key());
  if (service == nullptr || service->type == "ExternalName") {
    return cluster;
  }
  const k8s::ServicePort* service_port = find_service_port(*service, ref);
  if (service_port == nullptr) {
    return cluster;
  }
  cluster->h2c = service_port->app_protocol == "kubernetes.io/h2c";
  boost::system::error_code ec;
  const auto cluster_ip = boost::asio::ip::make_address(service->cluster_ip, ec);
  if (ref.service_ip && !ec) {
    // service-upstream: kube-proxy spreads the connections; a headless Service (no cluster
    // IP) keeps its endpoints.
    const Endpoint endpoint{cluster_ip, static_cast<std::uint16_t>(service_port->port)};
    cluster->endpoints.push_back(endpoint);
    cluster->listed.push_back({endpoint, "ready", true});
    return cluster;
  }
  std::vector<Endpoint> ready;
  std::vector<Endpoint> terminating;
  for (const k8s::EndpointSlice* slice : cache.slices_of(ref.service_key())) {
    if (slice->address_type == "FQDN") {
      continue;
    }
    const auto port = slice_port(*slice, service_port->name);
    if (!port) {
      continue;
    }
    for (const auto& e : slice->endpoints) {
      boost::system::error_code ec;
      const auto address = boost::asio::ip::make_address(e.address, ec);
      if (ec) {
        continue;
      }
      const bool serving = e.serving.value_or(true);
      const bool is_terminating = e.terminating.value_or(false);
      if (e.ready.value_or(true)) {
        ready.push_back({address, *port});
        cluster->listed.push_back({{address, *port}, "ready"});
      } else if (serving && is_terminating) {
        terminating.push_back({address, *port});
        cluster->listed.push_back({{address, *port}, "serving"});
      } else {
        cluster->listed.push_back({{address, *port}, is_terminating ? "terminating" : "not ready"});
      }
    }
  }
  auto& usable = ready.empty() ? terminating : ready;
  const std::string_view used_condition = ready.empty() ? "serving" : "ready";
  for (auto& listed : cluster->listed) {
    listed.in_use = listed.condition == used_condition;
  }
  std::sort(usable.begin(), usable.end(), [](const Endpoint& a, const Endpoint& b) {
    return std::tie(a.address, a.port) < std::tie(b.address, b.port);
  });
  usable.erase(std::unique(usable.begin(), usable.end()), usable.end());
  cluster->endpoints = std::move(usable);
  return cluster;
}

}  // namespace portico
