#pragma once
// Annotations: where an Ingress's annotations become typed, bounded settings. Each supported
// setting NAME is read as portico.dev/NAME, else nginx.ingress.kubernetes.io/NAME (ours wins,
// see docs/operator-guide.md, "Annotations"). An invalid value is one warning naming the
// Ingress, the annotation and why, and the setting is left at its default, except where that
// would open what the author meant to close (an invalid allowlist, an unusable auth-secret,
// an authentication we do not offer): then the Ingress's paths answer 503. Snippets and
// unsupported names are warned about and never applied. Nothing read here is ever pasted
// into a configuration: values end up as numbers, enums and parsed structures in a
// RoutePolicy.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "k8swatch/resources.hpp"
#include "proxy/policy/route_policy.hpp"
#include "proxy/route/route_table.hpp"
#include "proxy/snapshot.hpp"

namespace portico {

struct IngressAnnotations {
  RoutePolicyPtr policy;  // null: nothing differs from the flags' defaults
  bool ssl_redirect = true;
  bool use_regex = false;        // use-regex or rewrite-target: the host's paths are regexes
  std::optional<Canary> canary;  // canary "true": the rule's cluster and Ingress are not set
  // "namespace/name" of every Secret its annotations looked up (auth-secret, auth-tls-secret,
  // proxy-ssl-secret), found or not.
  std::vector<std::string> secrets_read;
  std::vector<std::string> configmaps_read;  // likewise, custom-headers
  std::vector<std::string> server_aliases;  // server-alias: more names for its rules' hosts
  bool from_to_www_redirect = false;        // www.HOST (or HOST without www.) redirects to HOST
  bool ssl_passthrough = false;  // TLS to its hosts is relayed untouched to the "/" backend
  // default-backend: a Service of the Ingress's namespace for its error pages and for when its
  // rules' Services have no ready endpoint (the translator makes it a cluster of `policy`).
  std::string default_backend;
  bool service_upstream = false;  // service-upstream: its Services' cluster IPs, not endpoints
  ClientAuthPtr client_auth;      // auth-tls-*: the client certificates its hosts ask for, or null
  AnnotationNotes notes;         // what became of each of its annotations, for explain
};

// The Secret "namespace/name", or null (auth-secret).
using SecretLookup = std::function<const k8s::Secret*(const std::string& key)>;
// The ConfigMap "namespace/name", or null (custom-headers).
using ConfigMapLookup = std::function<const k8s::ConfigMap*(const std::string& key)>;

// Values of the global ConfigMap's keys that are also annotations (proxy-body-size,
// whitelist-source-range...), by key: what an Ingress without the annotation takes.
using AnnotationDefaults = std::map<std::string, std::string, std::less<>>;

// What an Ingress's annotations are read against, besides themselves.
struct AnnotationContext {
  SecretLookup secrets;
  ConfigMapLookup configmaps;
  const AnnotationDefaults* defaults = nullptr;  // the global ConfigMap's (null: none)
  // The global ConfigMap's global-allowed-response-headers: the only header names
  // custom-headers may set (null: none may).
  const std::vector<std::string>* allowed_response_headers = nullptr;
  // The global ConfigMap's global-auth-*: the external auth of every Ingress without an
  // auth-url of its own, unless its enable-global-auth is "false" (null: none).
  const ExternalAuth* global_auth = nullptr;
};

// Keeps each Ingress's RateLimits from one translation to the next while its limits stay the
// same, so that a rebuild (any Ingress changing) does not forget what clients have sent.
// Control thread only.
class RateLimitKeeper {
 public:
  RateLimitsPtr get(const std::string& ingress, const RateLimits::Settings& settings);

 private:
  std::map<std::string, std::weak_ptr<RateLimits>> kept_;  // by Ingress "namespace/name"
};

// Pure apart from its warnings (one per problem, each time the Ingress is translated) and
// the rate limits it takes from `keeper` (null: new ones). An annotation of the Ingress wins
// over the ConfigMap's default.
IngressAnnotations read_annotations(const k8s::Ingress& ingress,
                                    const AnnotationContext& context = {},
                                    RateLimitKeeper* keeper = nullptr);

// ssl-passthrough is honoured only with --enable-ssl-passthrough (`enabled`), as in
// ingress-nginx; without it, `read` notes it as ignored (and says so once, for `ingress`).
void judge_ssl_passthrough(IngressAnnotations& read, bool enabled, const std::string& ingress);

// The global ConfigMap's global-auth-* keys, read as the auth-* annotations are (each with its
// verdict in `notes`); nothing without global-auth-url. `fails_closed` is set when
// global-auth-url or what decides its answers is invalid: no request may then go unchecked.
std::optional<ExternalAuth> read_global_auth(const std::map<std::string, std::string>& data,
                                             const std::string& configmap, AnnotationNotes& notes,
                                             bool& fails_closed);

// Whether ingress-nginx takes ConfigMap key `key` as the default of the annotation `key`.
bool is_annotation_default(std::string_view key);
// The keys of a ConfigMap's `data` that are annotation defaults, judged as annotations are,
// each with its verdict in `notes` (named by `configmap`, "namespace/name", in warnings). An
// invalid one is left out, except one that fails closed: it is kept, so every Ingress without
// a value of its own fails closed too.
AnnotationDefaults read_annotation_defaults(const std::map<std::string, std::string>& data,
                                            const std::string& configmap, AnnotationNotes& notes);

// kubernetes.io/tls-acme: "true", unless cert-manager manages the Ingress (any
// cert-manager.io/ annotation): then its certificates are left to cert-manager.
bool wants_builtin_acme(const k8s::Ingress& ingress);

}  // namespace portico
