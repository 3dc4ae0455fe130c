#pragma once
// The global ConfigMap (--configmap NS/NAME): ingress-nginx's cluster-wide keys. Keys that
// are also annotations (proxy-body-size, whitelist-source-range...) become the defaults of
// every served Ingress, whose own annotations win; the others make the GlobalPolicy every
// request is judged by. Each key gets a verdict, as an annotation does (applied, ignored and
// why, fails closed), for the log, explain and the migration report. Pure apart from its
// warnings (one per problem, each time the routes are translated).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/annotations.hpp"
#include "k8swatch/resources.hpp"
#include "proxy/policy/global_policy.hpp"

namespace portico {

struct ConfigMapSettings {
  AnnotationDefaults defaults;
  std::vector<std::string> allowed_response_headers;  // global-allowed-response-headers
  std::vector<std::string> configmaps_read;    // those add-headers and proxy-set-headers name
  std::optional<ExternalAuth> global_auth;     // global-auth-*
  // no-auth-locations: an Ingress path starting with one of these has no external auth.
  std::vector<std::string> no_auth_locations{"/.well-known/acme-challenge"};
  std::shared_ptr<const GlobalPolicy> global;  // never null
  AnnotationNotes notes;                       // by key, sorted
};

// `configmap`: null when the one named (`key`, "namespace/name") does not exist; then every
// key takes ingress-nginx's default, as a ConfigMap without it would. `configmaps`: the
// ConfigMaps its keys name (add-headers, proxy-set-headers).
ConfigMapSettings read_configmap(const k8s::ConfigMap* configmap, const std::string& key,
                                 const ConfigMapLookup& configmaps);

}  // namespace portico
