#pragma once
// SnapshotBuilder: turns the object cache into the next immutable Snapshot, rebuilding only
// what changed. An Ingress or Gateway API change re-translates the routes (and certificates, as a
// Secret change does); an endpoint change rebuilds just the clusters of the Services it touched and
// shares everything else (the route table, the other clusters) with the previous snapshot. Owned by
// the control thread.
#include <cstdint>
#include <map>
#include <memory>
#include <set>

#include "config/cert_resolver.hpp"
#include "config/gateway_translator.hpp"
#include "config/ingress_translator.hpp"
#include "config/object_cache.hpp"
#include "proxy/snapshot.hpp"

namespace portico {

class SnapshotBuilder {
 public:
  SnapshotBuilder(TranslationSettings settings, CertSettings certs)
      : translator_(settings),
        gateway_translator_(settings.gateway),
        configmap_(settings.configmap),
        challenge_secret_(certs.challenge_secret),
        certs_(std::move(certs)) {}

  // The next snapshot, or null when `dirty` changed nothing a worker would see.
  SnapshotPtr build(const ObjectCache& cache, const Dirty& dirty);
  // "namespace/name" of every Secret the last build read: served Ingresses' TLS and auth
  // Secrets, the default certificate, the ACME answers.
  const std::set<std::string>& referenced_secrets() const noexcept { return referenced_secrets_; }
  // The Gateway API status the last translation concluded.
  const k8s::GatewayApiStatus& gateway_status() const noexcept { return gateway_.status; }

 private:
  IngressTranslator translator_;
  GatewayTranslator gateway_translator_;
  GatewayTranslation gateway_;
  std::string configmap_;  // --configmap "namespace/name", or ""
  std::string challenge_secret_;
  CertResolver certs_;
  ClusterIds ids_;
  Translation current_;
  std::shared_ptr<const ClusterTable> clusters_;
  std::shared_ptr<const CertTable> cert_table_;
  std::shared_ptr<const AcmeChallenges> challenges_;
  std::shared_ptr<const IngressNotes> notes_;
  std::set<std::string> referenced_secrets_;
  std::uint64_t generation_ = 0;
};

}  // namespace portico
