#pragma once
// IngressTranslator: where Ingress v1 semantics become routes. Decides which Ingresses are
// ours (IngressClass, the default-class annotation, the legacy class annotation), orders them
// oldest first so the oldest wins every conflict, and fills a RouteTable whose actions name
// backend clusters by stable id. Runs on the control thread; pure apart from its warnings.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/annotations.hpp"
#include "config/global_configmap.hpp"
#include "config/object_cache.hpp"
#include "proxy/route/route_table.hpp"

namespace portico {

// The Gateway API part, used by GatewayTranslator: the GatewayClasses that are ours, and the
// Gateway listener ports the HTTP and HTTPS listeners serve.
struct GatewaySettings {
  std::string controller_name = "portico.dev/gateway-controller";
  std::uint16_t http_port = 80;
  std::uint16_t https_port = 443;
};

struct TranslationSettings {
  std::string controller_name = "portico.dev/ingress-controller";
  std::string ingress_class = "portico";
  bool watch_without_class = false;
  // "namespace/name" of the Service whose first port answers what no rule matches, when no
  // served Ingress has a spec.defaultBackend (ingress-nginx's --default-backend-service).
  std::string default_backend_service;
  std::string configmap;  // "namespace/name" of ingress-nginx's global ConfigMap, or ""
  bool ssl_passthrough = false;  // --enable-ssl-passthrough: ssl-passthrough is honoured
  GatewaySettings gateway;
};

// A backend as an Ingress names it: one port of one Service (by number or name), or, for
// --default-backend-service, whichever port the Service lists first.
struct ClusterRef {
  std::string namespace_;
  std::string service;
  std::optional<std::int32_t> port_number;
  std::string port_name;
  bool first_port = false;
  // service-upstream: the Service's cluster IP and port, not its endpoints.
  bool service_ip = false;

  std::string service_key() const { return namespace_ + "/" + service; }
  std::string key() const {
    return service_key() + ":" +
           (first_port    ? "first-port"
            : port_number ? std::to_string(*port_number)
                          : port_name) +
           (service_ip ? "@cluster-ip" : "");
  }
};

// Cluster ids stay the same for the same backend across snapshots, so per-worker state
// indexed by id (round-robin cursors) survives updates. Ids are never reused.
class ClusterIds {
 public:
  std::uint32_t id_for(const std::string& key) {
    return ids_.try_emplace(key, static_cast<std::uint32_t>(ids_.size())).first->second;
  }

 private:
  std::unordered_map<std::string, std::uint32_t> ids_;
};

struct Translation {
  std::shared_ptr<RouteTable> routes;            // const once the snapshot is built
  std::map<std::uint32_t, ClusterRef> clusters;  // every backend the routes refer to
  std::map<std::string, IngressAnnotations> annotations;  // by served Ingress "namespace/name"
  std::shared_ptr<const GlobalPolicy> global;             // from the ConfigMap; never null
  AnnotationNotes configmap_notes;                        // what became of each of its keys
  // Some Ingress's annotations name a Secret: Secret changes re-translate.
  bool reads_secrets = false;
  // "namespace/name" of the global ConfigMap and of every ConfigMap a setting named (found or
  // not): a change to one of them re-translates.
  std::set<std::string> configmaps_read;
  // server-alias: the names each host is also served under (its rules, its certificate).
  std::map<std::string, std::vector<std::string>> aliases;
  // from-to-www-redirect: the name that redirects to each such host ("www.a.com" for "a.com",
  // "a.com" for "www.a.com"), by host.
  std::map<std::string, std::string> www_redirects;

  // Records a backend the routes refer to; returns its stable id.
  std::uint32_t add_cluster(ClusterIds& ids, ClusterRef ref) {
    const std::uint32_t id = ids.id_for(ref.key());
    clusters.try_emplace(id, std::move(ref));
    return id;
  }
};

class IngressTranslator {
 public:
  explicit IngressTranslator(TranslationSettings settings) : settings_(std::move(settings)) {}

  bool is_served(const k8s::Ingress& ingress, const ObjectCache& cache) const;
  // The served Ingresses, oldest first (creationTimestamp, then namespace/name): the order in
  // which every conflict is decided. Pointers into `cache`, valid until it next changes.
  std::vector<const k8s::Ingress*> served(const ObjectCache& cache) const;
  Translation translate(const ObjectCache& cache, ClusterIds& ids) const;

 private:
  TranslationSettings settings_;
  // Rate limits outlive a translation (translate() is called on the control thread only).
  mutable RateLimitKeeper rate_limits_;
};

}  // namespace portico
