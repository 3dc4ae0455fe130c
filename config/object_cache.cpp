#include "config/object_cache.hpp"

#include <ctime>

namespace portico {
namespace {

std::string service_key_of_slice(const k8s::EndpointSlice& slice) {
  return slice.service_name.empty() ? std::string()
                                    : slice.meta.namespace_ + "/" + slice.service_name;
}

}  // namespace

std::optional<std::int64_t> parse_timestamp(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(timegm(&tm));
}

// Records what a change dirties, and keeps the Service -> slices index in step.
void ObjectCache::note_change(const k8s::Object* before, const k8s::Object* after, Dirty& dirty) {
  const k8s::Object& any = after != nullptr ? *after : *before;
  switch (k8s::kind_of(any)) {
    case k8s::Kind::Ingress: {
      // The leader's own status writes come back as changes: they must not rebuild routes.
      dirty.status = true;
      auto spec_only = [](const k8s::Object* o) {
        auto ingress = std::get<k8s::Ingress>(*o);
        ingress.status_addresses.clear();
        ingress.meta.resource_version.clear();
        return ingress;
      };
      dirty.routes = dirty.routes || before == nullptr || after == nullptr ||
                     spec_only(before) != spec_only(after);
      break;
    }
    case k8s::Kind::Namespace:
      // Its labels decide which routes a listener with a namespace selector takes.
      dirty.routes = dirty.routes || !of(k8s::Kind::Gateway).empty();
      break;
    case k8s::Kind::ConfigMap:
      dirty.configmaps.insert(k8s::key_of(k8s::meta_of(any)));
      break;
    case k8s::Kind::IngressClass:
    case k8s::Kind::GatewayClass:
    case k8s::Kind::Gateway:
    case k8s::Kind::HttpRoute:
    case k8s::Kind::GrpcRoute:
    case k8s::Kind::ReferenceGrant:
      dirty.routes = true;
      break;
    case k8s::Kind::Service:
      dirty.status = true;  // --publish-service reads its addresses
      dirty.services.insert(k8s::key_of(k8s::meta_of(any)));
      // A route's backendRef resolves only to a Service that exists (else its share answers
      // 500): one coming or going re-translates when there are Gateway API routes.
      dirty.routes = dirty.routes ||
                     ((before == nullptr || after == nullptr) &&
                      (!of(k8s::Kind::HttpRoute).empty() || !of(k8s::Kind::GrpcRoute).empty()));
      break;
    case k8s::Kind::EndpointSlice: {
      const std::string slice_key = k8s::key_of(k8s::meta_of(any));
      if (before != nullptr) {
        if (auto service = service_key_of_slice(std::get<k8s::EndpointSlice>(*before));
            !service.empty()) {
          slices_by_service_[service].erase(slice_key);
          dirty.services.insert(std::move(service));
        }
      }
      if (after != nullptr) {
        if (auto service = service_key_of_slice(std::get<k8s::EndpointSlice>(*after));
            !service.empty()) {
          slices_by_service_[service].insert(slice_key);
          dirty.services.insert(std::move(service));
        }
      }
      break;
    }
    case k8s::Kind::Secret: {
      // A Secret kept as a name only (nothing referred to it) changes nothing served, coming
      // or going: it costs no rebuild. The control loop still hears of it, in case a served
      // object has come to refer to it meanwhile.
      const auto withheld_or_absent = [](const k8s::Object* o) {
        return o == nullptr || std::get<k8s::Secret>(*o).withheld;
      };
      // A Gateway listener's status says whether its certificate's Secret exists.
      dirty.routes = dirty.routes ||
                     ((before == nullptr || after == nullptr) && !of(k8s::Kind::Gateway).empty());
      if (!withheld_or_absent(before) || !withheld_or_absent(after)) {
        dirty.secrets = true;
      } else if (after != nullptr) {
        dirty.withheld_secrets.insert(k8s::key_of(k8s::meta_of(*after)));
      }
      break;
    }
  }
}

void ObjectCache::store(k8s::Object object, std::int64_t now, Dirty& dirty) {
  auto& objects = by_kind_[static_cast<std::size_t>(k8s::kind_of(object))];
  const std::string key = k8s::key_of(k8s::meta_of(object));
  const auto old = objects.find(key);
  if (old != objects.end() && *old->second.object == object) {
    return;  // unchanged: keep the very same pointer
  }
  CachedObject cached;
  cached.object = std::make_shared<const k8s::Object>(std::move(object));
  const auto stamped = parse_timestamp(k8s::meta_of(*cached.object).creation_timestamp);
  // An edit never makes an object newer: without a timestamp it keeps when it was first seen.
  cached.created = stamped                ? *stamped * 1'000'000'000
                   : old != objects.end() ? old->second.created
                                          : now;
  note_change(old != objects.end() ? old->second.object.get() : nullptr, cached.object.get(),
              dirty);
  objects.insert_or_assign(key, std::move(cached));
}

void ObjectCache::remove(k8s::Kind kind, const std::string& key, Dirty& dirty) {
  auto& objects = by_kind_[static_cast<std::size_t>(kind)];
  const auto it = objects.find(key);
  if (it == objects.end()) {
    return;
  }
  note_change(it->second.object.get(), nullptr, dirty);
  objects.erase(it);
}

Dirty ObjectCache::replace_kind(k8s::Kind kind, std::vector<k8s::Object> objects,
                                std::int64_t now) {
  Dirty dirty;
  std::set<std::string> listed;
  for (auto& object : objects) {
    listed.insert(k8s::key_of(k8s::meta_of(object)));
    store(std::move(object), now, dirty);
  }
  std::vector<std::string> gone;
  for (const auto& [key, cached] : of(kind)) {
    if (!listed.contains(key)) {
      gone.push_back(key);
    }
  }
  for (const auto& key : gone) {
    remove(kind, key, dirty);
  }
  return dirty;
}

Dirty ObjectCache::replace_all(std::vector<k8s::Object> objects, std::int64_t now) {
  std::array<std::vector<k8s::Object>, k8s::KindCount> by_kind;
  for (auto& object : objects) {
    by_kind[static_cast<std::size_t>(k8s::kind_of(object))].push_back(std::move(object));
  }
  Dirty dirty;
  for (std::size_t kind = 0; kind < k8s::KindCount; ++kind) {
    dirty.merge(replace_kind(static_cast<k8s::Kind>(kind), std::move(by_kind[kind]), now));
  }
  return dirty;
}

Dirty ObjectCache::upsert(k8s::Object object, std::int64_t now) {
  Dirty dirty;
  store(std::move(object), now, dirty);
  return dirty;
}

Dirty ObjectCache::erase(k8s::Kind kind, const std::string& key) {
  Dirty dirty;
  remove(kind, key, dirty);
  return dirty;
}

std::vector<const k8s::EndpointSlice*> ObjectCache::slices_of(
    const std::string& service_key) const {
  std::vector<const k8s::EndpointSlice*> out;
  const auto it = slices_by_service_.find(service_key);
  if (it == slices_by_service_.end()) {
    return out;
  }
  for (const auto& slice_key : it->second) {
    out.push_back(find<k8s::EndpointSlice>(k8s::Kind::EndpointSlice, slice_key));
  }
  return out;
}

}  // namespace portico
