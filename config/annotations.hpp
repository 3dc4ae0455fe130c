#pragma once
// Annotations: where an Ingress's annotations become typed, bounded settings. Each supported
// setting NAME is read as portico.dev/NAME, else nginx.ingress.kubernetes.io/NAME (ours wins,
// see ../shared/interface.md, "Annotations"). An invalid value is one warning naming the
// Ingress, the annotation and why, and the setting is left at its default; snippets and
// unsupported names are warned about and never applied. Nothing read here is ever pasted
// into a configuration: values end up as numbers and enums in a RoutePolicy.
#include <string>

#include "k8swatch/resources.hpp"
#include "proxy/route/route_policy.hpp"

namespace portico {

struct IngressAnnotations {
  RoutePolicyPtr policy;  // null: nothing differs from the flags' defaults
  bool ssl_redirect = true;
};

// Pure apart from its warnings (one per problem, each time the Ingress is translated).
IngressAnnotations read_annotations(const k8s::Ingress& ingress);

// kubernetes.io/tls-acme: "true", unless cert-manager manages the Ingress (any
// cert-manager.io/ annotation): then its certificates are left to cert-manager.
bool wants_builtin_acme(const k8s::Ingress& ingress);

}  // namespace portico
