#include "config/ingress_translator.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <vector>

#include "proxy/common/log.hpp"

namespace portico {
namespace {

constexpr const char* LegacyClassAnnotation = "kubernetes.io/ingress.class";
constexpr const char* DefaultClassAnnotation = "ingressclass.kubernetes.io/is-default-class";

// server-alias, as ingress-nginx assigns it: a host takes the aliases of the oldest Ingress
// with rules for it that names some; an alias that is a host of any rule, or the host itself,
// or already another host's alias, is left out.
std::map<std::string, std::vector<std::string>> assign_aliases(
    const std::vector<const k8s::Ingress*>& ingresses,
    const std::map<std::string, IngressAnnotations>& annotations) {
  std::set<std::string> rule_hosts;
  for (const k8s::Ingress* ingress : ingresses) {
    for (const auto& rule : ingress->rules) {
      rule_hosts.insert(rule.host);
    }
  }
  std::map<std::string, std::vector<std::string>> out;
  std::set<std::string> taken;
  for (const k8s::Ingress* ingress : ingresses) {
    const auto& read = annotations.at(k8s::key_of(ingress->meta));
    if (read.server_aliases.empty() || read.canary) {
      continue;
    }
    for (const auto& rule : ingress->rules) {
      if (rule.host.empty() || out.contains(rule.host)) {
        continue;  // a host-less rule has no name to alias; the first Ingress's aliases win
      }
      auto& aliases = out[rule.host];
      for (const auto& alias : read.server_aliases) {
        if (rule_hosts.contains(alias) || !taken.insert(alias).second) {
          log::warn(
              "config", "server-alias left out: it is a host of a rule or already an alias",
              {{"ingress", k8s::key_of(ingress->meta)}, {"host", rule.host}, {"alias", alias}});
          continue;
        }
        aliases.push_back(alias);
      }
    }
  }
  return out;
}

class RouteWriter {
 public:
  RouteWriter(RouteTable& table, Translation& out, ClusterIds& ids)
      : table_(table), out_(out), ids_(ids) {}

  // `service_ip`: service-upstream, the Service's cluster IP rather than its endpoints.
  std::optional<RouteAction> action_for(const k8s::Ingress& ingress,
                                        const k8s::IngressBackend& backend,
                                        const std::string& where, const RoutePolicyPtr& policy,
                                        bool service_ip) {
    if (!backend.service) {
      log::warn("config", "resource backends are not supported; skipped",
                {{"ingress", k8s::key_of(ingress.meta)}, {"field", where}});
      return std::nullopt;
    }
    const auto& service = *backend.service;
    const std::uint32_t id = cluster_id({ingress.meta.namespace_, service.name, service.port_number,
                                         service.port_name, false, service_ip});
    return RouteAction{id, k8s::key_of(ingress.meta), policy};
  }

  // from-to-www-redirect, as ingress-nginx builds its redirect servers: a host with the
  // annotation on some Ingress gets the other name (with or without "www.") redirected to it,
  // unless that name is served already (a rule's host or an alias). Every request for that
  // name is answered 308 with the same URL on the host (scheme, path and query kept; the
  // port is the scheme's public one). Returns the redirected name by host. After the rules.
  std::map<std::string, std::string> add_www_redirects(
      const std::vector<const k8s::Ingress*>& ingresses,
      const std::map<std::string, IngressAnnotations>& annotations) {
    std::map<std::string, std::string> out;
    for (const k8s::Ingress* ingress : ingresses) {
      if (!annotations.at(k8s::key_of(ingress->meta)).from_to_www_redirect) {
        continue;
      }
      for (const auto& rule : ingress->rules) {
        if (rule.host.empty() || rule.host.starts_with("*.") || out.contains(rule.host)) {
          continue;
        }
        std::string from = rule.host.starts_with("www.") ? rule.host.substr(4) : "www." + rule.host;
        if (table_.ingress_host_named(from) != nullptr) {
          log::warn("config", "from-to-www-redirect skipped: the other name is served already",
                    {{"ingress", k8s::key_of(ingress->meta)}, {"host", rule.host}, {"from", from}});
          continue;
        }
        auto policy = std::make_shared<RoutePolicy>();
        policy->gateway_redirect = GatewayRedirect{.hostname = rule.host, .status = 308};
        table_.host(from).add(PathMatch::Prefix, "/",
                              RouteAction{UnresolvedCluster, k8s::key_of(ingress->meta), policy});
        out.emplace(rule.host, std::move(from));
      }
    }
    return out;
  }

  // ssl-passthrough, as ingress-nginx's TLS proxy does it: TLS connections whose SNI is
  // exactly a rule's host go, untouched, to the backend of its path "/" (the oldest Ingress
  // to pass a host through keeps it). Its other paths, and wildcard hosts, cannot be: the
  // path is inside the TLS Portico never opens.
  void add_passthrough(const k8s::Ingress& ingress, const IngressAnnotations& annotations) {
    for (const auto& rule : ingress.rules) {
      const auto root = std::find_if(rule.paths.begin(), rule.paths.end(),
                                     [](const k8s::IngressPath& path) { return path.path == "/"; });
      if (rule.host.empty() || rule.host.starts_with("*.") || root == rule.paths.end()) {
        log::warn("config", "ssl-passthrough skipped: it needs a rule host and its path /",
                  {{"ingress", k8s::key_of(ingress.meta)},
                   {"host", rule.host.empty() ? "*" : rule.host}});
        continue;
      }
      if (auto action = action_for(ingress, root->backend, "ssl-passthrough", nullptr,
                                   annotations.service_upstream)) {
        table_.set_passthrough(rule.host, action->cluster_id);
      }
    }
  }

  // --default-backend-service: the flags' defaults apply (no Ingress, so no annotations).
  void add_default_backend_service(const std::string& key) {
    table_.set_default_backend(
        RouteAction{first_port_cluster(key), std::string(DefaultBackendServiceSource), nullptr});
  }

  // The policy of an Ingress's routes, with the Services its default-backend and
  // custom-http-errors name made clusters: the default-backend annotation's (in the Ingress's
  // namespace) takes requests when the rule's Service has no ready endpoint, and serves the
  // error pages, else --default-backend-service does. Without either, nothing serves pages:
  // the answers stay as they are.
  RoutePolicyPtr with_backends(const k8s::Ingress& ingress, const IngressAnnotations& annotations,
                               const std::string& default_backend_service) {
    const bool named = !annotations.default_backend.empty();
    if (!named && !(annotations.policy && annotations.policy->error_pages)) {
      return annotations.policy;
    }
    RoutePolicy policy = annotations.policy ? *annotations.policy : RoutePolicy{};
    const std::string backend = named ? ingress.meta.namespace_ + "/" + annotations.default_backend
                                      : default_backend_service;
    if (named) {
      policy.fallback_cluster_id = first_port_cluster(backend);
    }
    if (policy.error_pages && backend.empty()) {
      policy.error_pages.reset();
    } else if (policy.error_pages) {
      policy.error_pages->cluster_id = first_port_cluster(backend);
    }
    return policy == RoutePolicy{} ? nullptr : std::make_shared<const RoutePolicy>(policy);
  }

  static bool auth_spared(const std::string& path, const std::vector<std::string>& locations) {
    return std::any_of(locations.begin(), locations.end(),
                       [&](const std::string& location) { return path.starts_with(location); });
  }

  // `policy` without its external auth, made once per Ingress into `spared`.
  static const RoutePolicyPtr& without_external_auth(const RoutePolicyPtr& policy,
                                                     RoutePolicyPtr& spared) {
    if (!policy || !policy->external_auth) {
      return policy;
    }
    if (!spared) {
      RoutePolicy without = *policy;
      without.external_auth.reset();
      spared = std::make_shared<const RoutePolicy>(std::move(without));
    }
    return spared;
  }

  // `regex_hosts`: hosts where some served Ingress asks for regex paths; there every Prefix
  // and ImplementationSpecific path is a regex, as in ingress-nginx. A path starting with one
  // of `no_auth_locations` (the ConfigMap's) has no external auth, as ingress-nginx's
  // isLocationInLocationList spares it.
  void add_rules(const k8s::Ingress& ingress, const IngressAnnotations& annotations,
                 const std::set<std::string>& regex_hosts,
                 const std::vector<std::string>& no_auth_locations) {
    RoutePolicyPtr spared;  // the Ingress's policy without its external auth, made when needed
    for_each_path(ingress, regex_hosts,
                  [&](const std::string& host_name, PathMatch match, const std::string& text,
                      const k8s::IngressPath& path, const std::string& where) {
                    const RoutePolicyPtr& policy =
                        auth_spared(text, no_auth_locations)
                            ? without_external_auth(annotations.policy, spared)
                            : annotations.policy;
                    auto action = action_for(ingress, path.backend, where, policy,
                                             annotations.service_upstream);
                    if (!action) {
                      return;
                    }
                    VirtualHost& host = table_.host(host_name);
                    Expected<bool> added = match == PathMatch::Regex
                                               ? host.add_regex(text, std::move(*action))
                                               : host.add(match, text, std::move(*action));
                    if (!added) {
                      log::warn("config", "path skipped",
                                {{"ingress", k8s::key_of(ingress.meta)},
                                 {"field", where},
                                 {"reason", added.error()}});
                    } else if (!*added) {
                      log::info("config",
                                "path already served by an older Ingress; this rule is ignored",
                                {{"ingress", k8s::key_of(ingress.meta)},
                                 {"host", host_name.empty() ? "*" : host_name},
                                 {"path", text}});
                    }
                  });
  }

  // A canary Ingress adds no rules: it claims the main Ingress's rule for each of its host
  // and path pairs (ingress-nginx's model), which then sends some requests to its backend.
  void add_canary(const k8s::Ingress& ingress, const IngressAnnotations& annotations,
                  const std::set<std::string>& regex_hosts) {
    for_each_path(ingress, regex_hosts,
                  [&](const std::string& host_name, PathMatch match, const std::string& text,
                      const k8s::IngressPath& path, const std::string& where) {
                    auto canary_action = action_for(ingress, path.backend, where, nullptr,
                                                    annotations.service_upstream);
                    RouteAction* main = table_.host(host_name).find(match, text);
                    if (!canary_action) {
                      return;
                    }
                    if (main == nullptr || main->canary) {
                      log::warn(
                          "config",
                          "canary path has no main Ingress to share (or already has a canary)",
                          {{"ingress", k8s::key_of(ingress.meta)},
                           {"host", host_name.empty() ? "*" : host_name},
                           {"path", text}});
                      return;
                    }
                    auto canary = std::make_shared<Canary>(*annotations.canary);
                    canary->cluster_id = canary_action->cluster_id;
                    canary->ingress = canary_action->ingress;
                    main->canary = std::move(canary);
                  });
  }

 private:
  std::uint32_t cluster_id(ClusterRef ref) { return out_.add_cluster(ids_, std::move(ref)); }
  // The first port of the Service "namespace/name" (checked to be that form).
  std::uint32_t first_port_cluster(const std::string& key) {
    const auto slash = key.find('/');
    return cluster_id({key.substr(0, slash), key.substr(slash + 1), std::nullopt, "", true});
  }

  // Each path of the Ingress, under its rule's host and then under each alias of that host.
  template <class Visit>
  void for_each_path(const k8s::Ingress& ingress, const std::set<std::string>& regex_hosts,
                     Visit&& visit) const {
    for (std::size_t r = 0; r < ingress.rules.size(); ++r) {
      const auto& rule = ingress.rules[r];
      const bool regex = regex_hosts.contains(rule.host);
      const auto aliases = out_.aliases.find(rule.host);
      for (std::size_t p = 0; p < rule.paths.size(); ++p) {
        const auto& path = rule.paths[p];
        const std::string where =
            "spec.rules[" + std::to_string(r) + "].http.paths[" + std::to_string(p) + "]";
        // ImplementationSpecific is served as Prefix (or as a regex); its empty path means "/".
        const PathMatch match = path.type == k8s::PathType::Exact ? PathMatch::Exact
                                : regex                             ? PathMatch::Regex
                                                                    : PathMatch::Prefix;
        const std::string text = path.path.empty() ? std::string("/") : path.path;
        visit(rule.host, match, text, path, where);
        if (aliases != out_.aliases.end()) {
          for (const auto& alias : aliases->second) {
            visit(alias, match, text, path, where);
          }
        }
      }
    }
  }

  RouteTable& table_;
  Translation& out_;
  ClusterIds& ids_;
};

}  // namespace

bool IngressTranslator::is_served(const k8s::Ingress& ingress, const ObjectCache& cache) const {
  const auto& annotations = ingress.meta.annotations;
  // The legacy annotation decides alone when present: naming another class means not ours,
  // even when our class is the default.
  if (const auto legacy = annotations.find(LegacyClassAnnotation); legacy != annotations.end()) {
    return legacy->second == settings_.ingress_class;
  }
  if (ingress.class_name) {
    const auto* ingress_class =
        cache.find<k8s::IngressClass>(k8s::Kind::IngressClass, *ingress.class_name);
    return ingress_class != nullptr && ingress_class->controller == settings_.controller_name;
  }
  if (settings_.watch_without_class) {
    return true;
  }
  for (const auto& [name, cached] : cache.of(k8s::Kind::IngressClass)) {
    const auto& ingress_class = std::get<k8s::IngressClass>(*cached.object);
    const auto is_default = ingress_class.meta.annotations.find(DefaultClassAnnotation);
    if (ingress_class.controller == settings_.controller_name &&
        is_default != ingress_class.meta.annotations.end() && is_default->second == "true") {
      return true;
    }
  }
  return false;
}

std::vector<const k8s::Ingress*> IngressTranslator::served(const ObjectCache& cache) const {
  struct Candidate {
    const k8s::Ingress* ingress;
    std::int64_t created;
    const std::string* key;
  };
  std::vector<Candidate> candidates;
  for (const auto& [key, cached] : cache.of(k8s::Kind::Ingress)) {
    const auto& ingress = std::get<k8s::Ingress>(*cached.object);
    if (is_served(ingress, cache)) {
      candidates.push_back({&ingress, cached.created, &key});
    }
  }
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    return std::tie(a.created, *a.key) < std::tie(b.created, *b.key);
  });
  std::vector<const k8s::Ingress*> out;
  for (const auto& candidate : candidates) {
    out.push_back(candidate.ingress);
  }
  return out;
}

Translation IngressTranslator::translate(const ObjectCache& cache, ClusterIds& ids) const {
  auto table = std::make_shared<RouteTable>();
  Translation out;
  RouteWriter writer(*table, out, ids);
  AnnotationContext context{.secrets =
                                [&cache](const std::string& key) {
                                  return cache.find<k8s::Secret>(k8s::Kind::Secret, key);
                                },
                            .configmaps =
                                [&cache](const std::string& key) {
                                  return cache.find<k8s::ConfigMap>(k8s::Kind::ConfigMap, key);
                                }};
  const auto ingresses = served(cache);
  ConfigMapSettings configmap;
  if (settings_.configmap.empty()) {
    static const auto no_configmap = std::make_shared<const GlobalPolicy>();
    out.global = no_configmap;
  } else {
    configmap = read_configmap(context.configmaps(settings_.configmap), settings_.configmap,
                               context.configmaps);
    out.global = std::move(configmap.global);
    out.configmap_notes = std::move(configmap.notes);
    out.configmaps_read.insert(settings_.configmap);
    out.configmaps_read.insert(configmap.configmaps_read.begin(), configmap.configmaps_read.end());
    context.defaults = &configmap.defaults;
    context.allowed_response_headers = &configmap.allowed_response_headers;
    context.global_auth = configmap.global_auth ? &*configmap.global_auth : nullptr;
  }
  std::set<std::string> regex_hosts;
  for (const k8s::Ingress* ingress : ingresses) {
    auto& annotations =
        out.annotations
            .emplace(k8s::key_of(ingress->meta), read_annotations(*ingress, context, &rate_limits_))
            .first->second;
    judge_ssl_passthrough(annotations, settings_.ssl_passthrough, k8s::key_of(ingress->meta));
    annotations.policy =
        writer.with_backends(*ingress, annotations, settings_.default_backend_service);
    out.reads_secrets = out.reads_secrets || !annotations.secrets_read.empty();
    out.configmaps_read.insert(annotations.configmaps_read.begin(),
                               annotations.configmaps_read.end());
    if (annotations.use_regex) {
      for (const auto& rule : ingress->rules) {
        regex_hosts.insert(rule.host);
      }
    }
  }
  out.aliases = assign_aliases(ingresses, out.annotations);
  for (const k8s::Ingress* ingress : ingresses) {
    const auto& annotations = out.annotations.at(k8s::key_of(ingress->meta));
    if (annotations.canary) {
      continue;  // after every main Ingress, below
    }
    // The oldest served Ingress with a defaultBackend provides the global default backend.
    if (ingress->default_backend && !table->has_default_backend()) {
      if (auto action =
              writer.action_for(*ingress, *ingress->default_backend, "spec.defaultBackend",
                                annotations.policy, annotations.service_upstream)) {
        table->set_default_backend(std::move(*action));
      }
    }
    writer.add_rules(*ingress, annotations, regex_hosts, configmap.no_auth_locations);
    if (annotations.ssl_passthrough) {  // judge_ssl_passthrough cleared it without the flag
      writer.add_passthrough(*ingress, annotations);
    }
  }
  for (const k8s::Ingress* ingress : ingresses) {
    if (const auto& annotations = out.annotations.at(k8s::key_of(ingress->meta));
        annotations.canary) {
      writer.add_canary(*ingress, annotations, regex_hosts);
    }
  }
  out.www_redirects = writer.add_www_redirects(ingresses, out.annotations);
  if (!table->has_default_backend() && !settings_.default_backend_service.empty()) {
    writer.add_default_backend_service(settings_.default_backend_service);
  }
  out.routes = std::move(table);
  return out;
}

}  // namespace portico
