#include "config/ingress_translator.hpp"

#include <algorithm>
#include <tuple>
#include <vector>

#include "proxy/common/log.hpp"

namespace portico {
namespace {

constexpr const char* LegacyClassAnnotation = "kubernetes.io/ingress.class";
constexpr const char* DefaultClassAnnotation = "ingressclass.kubernetes.io/is-default-class";

class RouteWriter {
 public:
  RouteWriter(RouteTable& table, Translation& out, ClusterIds& ids)
      : table_(table), out_(out), ids_(ids) {}

  std::optional<RouteAction> action_for(const k8s::Ingress& ingress,
                                        const k8s::IngressBackend& backend,
                                        const std::string& where, const RoutePolicyPtr& policy) {
    if (!backend.service) {
      log::warn("config", "resource backends are not supported; skipped",
                {{"ingress", k8s::key_of(ingress.meta)}, {"field", where}});
      return std::nullopt;
    }
    const auto& service = *backend.service;
    ClusterRef ref{ingress.meta.namespace_, service.name, service.port_number, service.port_name};
    const std::uint32_t id = ids_.id_for(ref.key());
    out_.clusters.try_emplace(id, std::move(ref));
    return RouteAction{id, k8s::key_of(ingress.meta), policy};
  }

  void add_rules(const k8s::Ingress& ingress, const RoutePolicyPtr& policy) {
    for (std::size_t r = 0; r < ingress.rules.size(); ++r) {
      const auto& rule = ingress.rules[r];
      VirtualHost& host = table_.host(rule.host);
      for (std::size_t p = 0; p < rule.paths.size(); ++p) {
        const auto& path = rule.paths[p];
        const std::string where =
            "spec.rules[" + std::to_string(r) + "].http.paths[" + std::to_string(p) + "]";
        auto action = action_for(ingress, path.backend, where, policy);
        if (!action) {
          continue;
        }
        // ImplementationSpecific is served as Prefix; its empty path means "/".
        const PathMatch match =
            path.type == k8s::PathType::Exact ? PathMatch::Exact : PathMatch::Prefix;
        const std::string& text = path.path.empty() ? std::string("/") : path.path;
        if (!host.add(match, text, std::move(*action))) {
          log::info("config", "path already served by an older Ingress; this rule is ignored",
                    {{"ingress", k8s::key_of(ingress.meta)},
                     {"host", rule.host.empty() ? "*" : rule.host},
                     {"path", text}});
        }
      }
    }
  }

 private:
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
  for (const k8s::Ingress* ingress : served(cache)) {
    const auto& annotations =
        out.annotations.emplace(k8s::key_of(ingress->meta), read_annotations(*ingress))
            .first->second;
    // The oldest served Ingress with a defaultBackend provides the global default backend.
    if (ingress->default_backend && !table->has_default_backend()) {
      if (auto action = writer.action_for(*ingress, *ingress->default_backend,
                                          "spec.defaultBackend", annotations.policy)) {
        table->set_default_backend(std::move(*action));
      }
    }
    writer.add_rules(*ingress, annotations.policy);
  }
  out.routes = std::move(table);
  return out;
}

}  // namespace portico
