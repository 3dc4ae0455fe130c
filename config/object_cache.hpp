#pragma once
// ObjectCache: every Kubernetes object the control plane knows, by kind and key, with the
// time each counts as created (creationTimestamp, or when first seen for objects from files
// that have none). Owned by the control thread. Every change reports what it dirtied, so the
// snapshot builder rebuilds only that.
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "k8swatch/resources.hpp"

namespace portico {

struct CachedObject {
  std::shared_ptr<const k8s::Object> object;
  // Nanoseconds since the epoch: creationTimestamp's whole seconds, or when first seen. Fine
  // enough that an object first seen after start is newer than everything read at start.
  std::int64_t created = 0;
};

// What a change touched.
struct Dirty {
  bool routes = false;             // an Ingress's spec or an IngressClass changed
  bool status = false;             // an Ingress's status, or a Service, changed
  bool secrets = false;            // a Secret changed (certificates)
  std::set<std::string> services;  // "namespace/name" of Services whose Service or slices changed
  // Secrets stored as a name only (see k8s::SecretInterest): nothing to rebuild, but one may
  // have become wanted while it was on its way.
  std::set<std::string> withheld_secrets;
  // "namespace/name" of ConfigMaps that changed: they change routes only when the global one
  // or one that a setting names (custom-headers...), which the snapshot builder knows.
  std::set<std::string> configmaps;
  bool any() const noexcept {
    return routes || secrets || !services.empty() || !configmaps.empty();
  }
  void merge(const Dirty& other) {
    routes = routes || other.routes;
    status = status || other.status;
    secrets = secrets || other.secrets;
    services.insert(other.services.begin(), other.services.end());
    withheld_secrets.insert(other.withheld_secrets.begin(), other.withheld_secrets.end());
    configmaps.insert(other.configmaps.begin(), other.configmaps.end());
  }
};

class ObjectCache {
 public:
  using Objects = std::map<std::string, CachedObject>;  // by key, sorted

  // Replaces the whole content with `objects` (a full load from one source) and reports
  // what differs. `now` (nanoseconds) is the creation time of objects seen for the first time
  // without a creationTimestamp.
  Dirty replace_all(std::vector<k8s::Object> objects, std::int64_t now);
  // Replaces every object of one kind (a relist): objects missing from `objects` are deleted.
  Dirty replace_kind(k8s::Kind kind, std::vector<k8s::Object> objects, std::int64_t now);
  // One watch event: an object added or modified, or deleted.
  Dirty upsert(k8s::Object object, std::int64_t now);
  Dirty erase(k8s::Kind kind, const std::string& key);

  const Objects& of(k8s::Kind kind) const noexcept {
    return by_kind_[static_cast<std::size_t>(kind)];
  }
  template <class T>
  const T* find(k8s::Kind kind, const std::string& key) const {
    const auto& objects = of(kind);
    const auto it = objects.find(key);
    return it == objects.end() ? nullptr : &std::get<T>(*it->second.object);
  }
  // The EndpointSlices labelled with the Service "namespace/name".
  std::vector<const k8s::EndpointSlice*> slices_of(const std::string& service_key) const;

 private:
  void note_change(const k8s::Object* before, const k8s::Object* after, Dirty& dirty);
  // Stores `object` unless an equal one is there already; records what changed.
  void store(k8s::Object object, std::int64_t now, Dirty& dirty);
  void remove(k8s::Kind kind, const std::string& key, Dirty& dirty);

  std::array<Objects, k8s::KindCount> by_kind_;
  std::map<std::string, std::set<std::string>> slices_by_service_;
};

// Parses an RFC 3339 timestamp as the API server writes it ("2026-11-26T15:14:40Z").
std::optional<std::int64_t> parse_timestamp(const std::string& text);

}  // namespace portico
