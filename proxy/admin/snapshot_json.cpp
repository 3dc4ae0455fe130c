#include "proxy/admin/snapshot_json.hpp"

#include "proxy/common/log.hpp"

namespace portico {
namespace {

std::string quoted(std::string_view text) {
  return '"' + log::json_escape(text) + '"';
}

// [{"address": "10.0.0.1:80", "state": "ready", "inUse": true}, ...]: every listed endpoint.
std::string describe_endpoint_states(const Cluster& cluster, const std::set<std::string>& ejected) {
  std::string out = "[";
  for (const auto& [endpoint, condition, in_use] : cluster.listed) {
    const std::string address = endpoint.address.to_string() + ":" + std::to_string(endpoint.port);
    out += (out.size() == 1 ? "" : ",") + std::string("{\"address\":") + quoted(address) +
           ",\"state\":" + quoted(in_use && ejected.contains(address) ? "ejected" : condition) +
           ",\"inUse\":" + (in_use ? "true" : "false") + "}";
  }
  return out + "]";
}

// {"ingress": ..., "backend": ..., "endpoints": [...], "endpointStates": [...]} for one route
// action.
std::string describe_action(const RouteAction& action, const ClusterTable& clusters,
                            const std::set<std::string>& ejected) {
  // A Gateway API rule with weighted backends shows the first one here, all under "weighted".
  const std::uint32_t shown = action.weighted && !action.weighted->choices.empty()
                                  ? action.weighted->choices[0].cluster_id
                                  : action.cluster_id;
  const Cluster* cluster =
      action.weighted && action.weighted->choices.empty() ? nullptr : clusters.find(shown);
  std::string out = "\"ingress\":" + quoted(action.ingress) +
                    ",\"backend\":" + quoted(cluster != nullptr ? cluster->name : "") +
                    ",\"upstreamProtocol\":" +
                    quoted(upstream_protocol(action.policy ? action.policy->backend_protocol
                                                           : BackendProtocol::Http,
                                             cluster != nullptr && cluster->h2c)
                               .name()) +
                    ",\"endpoints\":[";
  if (cluster != nullptr) {
    for (std::size_t i = 0; i < cluster->endpoints.size(); ++i) {
      const auto& endpoint = cluster->endpoints[i];
      out += (i == 0 ? "" : ",") +
             quoted(endpoint.address.to_string() + ":" + std::to_string(endpoint.port));
    }
  }
  out += "],\"endpointStates\":" +
         (cluster != nullptr ? describe_endpoint_states(*cluster, ejected) : std::string("[]"));
  if (action.weighted) {
    out += ",\"weighted\":[";
    for (std::size_t i = 0; i < action.weighted->choices.size(); ++i) {
      const WeightedCluster& choice = action.weighted->choices[i];
      const Cluster* chosen = clusters.find(choice.cluster_id);
      out += std::string(i == 0 ? "" : ",") +
             "{\"backend\":" + quoted(chosen != nullptr ? chosen->name : "unresolved (500)") +
             ",\"weight\":" + std::to_string(choice.weight) + "}";
    }
    out += "]";
  }
  if (action.canary) {
    const Canary& canary = *action.canary;
    const Cluster* canary_cluster = clusters.find(canary.cluster_id);
    out += ",\"canary\":{\"ingress\":" + quoted(canary.ingress) + ",\"backend\":" +
           quoted(canary_cluster != nullptr ? canary_cluster->name : "") +
           ",\"header\":" + quoted(canary.header) + ",\"headerValue\":" +
           quoted(canary.header_value) + ",\"cookie\":" + quoted(canary.cookie) +
           ",\"weight\":" + std::to_string(canary.weight) +
           ",\"weightTotal\":" + std::to_string(canary.weight_total) + "}";
  }
  return out;
}

}  // namespace

std::string describe_snapshot(const Snapshot& snapshot, const std::set<std::string>& ejected) {
  std::string out = "{\"generation\":" + std::to_string(snapshot.generation) + ",\"hosts\":[";
  bool first_host = true;
  snapshot.routes->for_each_host([&](const VirtualHost& vhost) {
    out += std::string(first_host ? "" : ",") +
           "{\"host\":" + quoted(vhost.name().empty() ? "*" : vhost.name()) + ",\"rules\":[";
    first_host = false;
    bool first_rule = true;
    vhost.for_each_rule([&](PathMatch match, std::string_view path, const RouteAction& action) {
      out += std::string(first_rule ? "" : ",") + "{\"path\":" + quoted(path) +
             ",\"pathType\":" + quoted(path_match_name(match)) + "," +
             describe_action(action, *snapshot.clusters, ejected) + "}";
      first_rule = false;
    });
    out += "]}";
  });
  // Gateway API hosts: their rules in the specification's precedence order.
  snapshot.routes->for_each_gateway_host([&](const GatewayHost& host) {
    out += std::string(first_host ? "" : ",") +
           "{\"host\":" + quoted(host.name().empty() ? "*" : host.name()) +
           ",\"gatewayApi\":true,\"rules\":[";
    first_host = false;
    bool first_rule = true;
    for (const GatewayRule& rule : host.rules()) {
      out += std::string(first_rule ? "" : ",") +
             "{\"path\":" + quoted(rule.path.empty() ? "/" : rule.path) +
             ",\"pathType\":" + quoted(gateway_path_name(rule.path_match)) +
             ",\"method\":" + quoted(rule.method) +
             ",\"headers\":" + std::to_string(rule.headers.size()) +
             ",\"queryParams\":" + std::to_string(rule.query.size()) +
             ",\"listeners\":" + quoted(rule.listeners()) + "," +
             describe_action(rule.action, *snapshot.clusters, ejected) + "}";
      first_rule = false;
    }
    out += "]}";
  });
  out += "],\"defaultBackend\":";
  const RouteAction* fallback = snapshot.routes->default_backend();
  out += fallback != nullptr ? "{" + describe_action(*fallback, *snapshot.clusters, ejected) + "}"
                             : "null";
  return out + "}\n";
}

}  // namespace portico
