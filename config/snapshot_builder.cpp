#include "config/snapshot_builder.hpp"

#include <algorithm>

#include "config/service_resolver.hpp"

namespace portico {

SnapshotPtr SnapshotBuilder::build(const ObjectCache& cache, const Dirty& dirty) {
  const bool first = generation_ == 0;
  // Secrets feed routes too when an Ingress's annotations name one (auth-secret,
  // auth-tls-secret, proxy-ssl-secret); ConfigMaps when they are the global one or one a
  // setting names (custom-headers, add-headers, proxy-set-headers).
  const bool routes_changed =
      first || dirty.routes || (dirty.secrets && current_.reads_secrets) ||
      std::any_of(dirty.configmaps.begin(), dirty.configmaps.end(), [this](const std::string& key) {
        return current_.configmaps_read.contains(key);
      });
  if (routes_changed) {
    current_ = translator_.translate(cache, ids_);
    gateway_ = gateway_translator_.translate(cache, *current_.routes, current_, ids_);
    auto notes = std::make_shared<IngressNotes>();
    if (!current_.configmap_notes.empty()) {
      notes->emplace("ConfigMap " + configmap_, current_.configmap_notes);
    }
    for (const auto& [ingress, annotations] : current_.annotations) {
      if (!annotations.notes.empty()) {
        notes->emplace(ingress, annotations.notes);
      }
    }
    notes_ = std::move(notes);
  }
  const bool certs_changed = routes_changed || dirty.secrets;
  if (certs_changed) {
    cert_table_ = certs_.build(cache, gateway_.certificates, translator_.served(cache),
                               current_.annotations, current_.aliases, current_.www_redirects);
    referenced_secrets_ = certs_.secrets_read();
    referenced_secrets_.insert(challenge_secret_);
    for (const auto& [ingress, annotations] : current_.annotations) {
      referenced_secrets_.insert(annotations.secrets_read.begin(), annotations.secrets_read.end());
    }
    auto challenges = std::make_shared<AcmeChallenges>();
    if (const auto* answers = cache.find<k8s::Secret>(k8s::Kind::Secret, challenge_secret_)) {
      challenges->insert(answers->data.begin(), answers->data.end());
    }
    challenges_ = std::move(challenges);
  }
  auto clusters = std::make_shared<ClusterTable>();
  bool clusters_changed = first || !clusters_;
  for (const auto& [id, ref] : current_.clusters) {
    const ClusterPtr previous = clusters_ ? clusters_->at(id) : nullptr;
    if (previous && !dirty.services.contains(ref.service_key())) {
      clusters->set(id, previous);  // untouched: the same pointer, shared
      continue;
    }
    ClusterPtr rebuilt = resolve_cluster(id, ref, cache);
    // An endpoint changing state without changing what routing uses (another one is still
    // ready) is still a change: inspection shows it.
    if (previous && previous->endpoints == rebuilt->endpoints &&
        previous->listed == rebuilt->listed) {
      clusters->set(id, previous);
      continue;
    }
    clusters->set(id, std::move(rebuilt));
    clusters_changed = true;
  }
  // A cluster that no route refers to any more is a change too (its pools must drain).
  if (!clusters_changed && clusters_) {
    clusters_changed = clusters_->all().size() != clusters->all().size();
    for (std::size_t id = 0; !clusters_changed && id < clusters->all().size(); ++id) {
      clusters_changed = clusters->all()[id] != clusters_->all()[id];
    }
  }
  if (!routes_changed && !clusters_changed && !certs_changed) {
    return nullptr;
  }
  clusters_ = std::move(clusters);
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->generation = ++generation_;
  snapshot->routes = current_.routes;
  snapshot->clusters = clusters_;
  snapshot->certs = cert_table_;
  snapshot->challenges = challenges_;
  snapshot->notes = notes_;
  snapshot->global = current_.global;
  return snapshot;
}

}  // namespace portico
