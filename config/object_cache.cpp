#include "config/object_cache.hpp"

#include <ctime>

namespace portico {
namespace {

std::string service_key_of_slice(const k8s::EndpointSlice& slice) {
  return slice.service_name.empty() ? std::string() : slice.meta.namespace_ + "/" + slice.service_name;
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

void ObjectCache::note_change(const k8s::Object* before, const k8s::Object* after,
                              Dirty& dirty) const {
  const k8s::Object& any = after != nullptr ? *after : *before;
  switch (k8s::kind_of(any)) {
    case k8s::Kind::Ingress:
    case k8s::Kind::IngressClass:
      dirty.routes = true;
      break;
    case k8s::Kind::Service:
      dirty.services.insert(k8s::key_of(k8s::meta_of(any)));
      break;
    case k8s::Kind::EndpointSlice:
      for (const k8s::Object* o : {before, after}) {
        if (o != nullptr) {
          if (auto key = service_key_of_slice(std::get<k8s::EndpointSlice>(*o)); !key.empty()) {
            dirty.services.insert(std::move(key));
          }
        }
      }
      break;
    case k8s::Kind::Secret:
      break;  // certificates arrive with TLS termination
  }
}

Dirty ObjectCache::replace_all(std::vector<k8s::Object> objects, std::int64_t now) {
  std::array<Objects, k8s::KindCount> next;
  Dirty dirty;
  for (auto& object : objects) {
    const auto kind = static_cast<std::size_t>(k8s::kind_of(object));
    const std::string key = k8s::key_of(k8s::meta_of(object));
    const auto& previous = by_kind_[kind];
    const auto old = previous.find(key);
    CachedObject cached;
    if (old != previous.end() && *old->second.object == object) {
      cached = old->second;  // unchanged: keep the very same pointer
    } else {
      cached.object = std::make_shared<const k8s::Object>(std::move(object));
      const auto stamped = parse_timestamp(k8s::meta_of(*cached.object).creation_timestamp);
      cached.created = stamped ? *stamped : old != previous.end() ? old->second.created : now;
      note_change(old != previous.end() ? old->second.object.get() : nullptr, cached.object.get(), dirty);
    }
    // A later duplicate of the same key replaces the earlier one, as a later apply would.
    next[kind].insert_or_assign(key, std::move(cached));
  }
  for (std::size_t kind = 0; kind < k8s::KindCount; ++kind) {
    for (const auto& [key, cached] : by_kind_[kind]) {
      if (!next[kind].contains(key)) {
        note_change(cached.object.get(), nullptr, dirty);
      }
    }
  }
  by_kind_ = std::move(next);
  slices_by_service_.clear();
  for (const auto& [key, cached] : of(k8s::Kind::EndpointSlice)) {
    const auto service = service_key_of_slice(std::get<k8s::EndpointSlice>(*cached.object));
    if (!service.empty()) {
      slices_by_service_[service].insert(key);
    }
  }
  return dirty;
}

std::vector<const k8s::EndpointSlice*> ObjectCache::slices_of(const std::string& service_key) const {
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
