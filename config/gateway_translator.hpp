#pragma once
// GatewayTranslator: where Gateway API objects become routes. Decides which GatewayClasses
// and Gateways are ours (spec.controllerName is --gateway-controller-name), which listeners
// Portico serves (HTTP on --gateway-http-port, HTTPS on --gateway-https-port), which
// HTTPRoutes attach to them (parentRefs, allowedRoutes, hostnames), and adds their rules to
// the same RouteTable as the Ingresses, in the specification's precedence order. Also
// concludes the status of every object it judged. Runs on the control thread; pure apart
// from its log lines.
#include <cstdint>
#include <string>
#include <vector>

#include "config/cert_resolver.hpp"
#include "config/ingress_translator.hpp"
#include "config/object_cache.hpp"
#include "k8swatch/gateway_status.hpp"
#include "proxy/route/route_table.hpp"

namespace portico {

struct GatewayTranslation {
  std::vector<ListenerCertificate> certificates;
  k8s::GatewayApiStatus status;
};

class GatewayTranslator {
 public:
  explicit GatewayTranslator(GatewaySettings settings) : settings_(std::move(settings)) {}

  // Adds the routes of our Gateways to `table` and their backends to `out`.
  GatewayTranslation translate(const ObjectCache& cache, RouteTable& table, Translation& out,
                               ClusterIds& ids) const;

 private:
  GatewaySettings settings_;
};

// The hostname a route and a listener both accept ("" for every host), if any: the narrower
// of the two when one covers the other ("*.example.com" covers "a.b.example.com").
std::optional<std::string> intersect_hostnames(const std::string& listener,
                                               const std::string& route);

}  // namespace portico
