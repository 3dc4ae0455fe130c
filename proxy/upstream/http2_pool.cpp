#include "proxy/upstream/http2_pool.hpp"

#include <algorithm>

namespace portico {

std::shared_ptr<Http2UpstreamLink> Http2Pool::pick(const Endpoint& endpoint, bool tls,
                                                   const BackendTls* profile) {
  auto& by_endpoint = tls ? tls_ : plain_;
  const auto it = by_endpoint.find(endpoint);
  if (it == by_endpoint.end()) {
    return nullptr;
  }
  auto& connections = it->second;
  std::erase_if(connections, [](const Pooled& pooled) { return !pooled.link->usable(); });
  if (connections.empty()) {
    by_endpoint.erase(it);
    return nullptr;
  }
  const Pooled* least = nullptr;
  std::size_t same_profile = 0;
  for (const Pooled& pooled : connections) {
    if (pooled.profile.get() != profile) {
      continue;
    }
    ++same_profile;
    if (least == nullptr || pooled.link->load() < least->link->load()) {
      least = &pooled;
    }
  }
  if (least != nullptr && (least->link->load() < least->link->capacity() ||
                           same_profile >= MaxConnectionsPerEndpoint)) {
    return least->link;
  }
  return nullptr;
}

void Http2Pool::add(const Endpoint& endpoint, bool tls,
                    std::shared_ptr<Http2UpstreamLink> connection,
                    std::shared_ptr<const BackendTls> profile) {
  (tls ? tls_ : plain_)[endpoint].push_back({std::move(connection), std::move(profile)});
}

}  // namespace portico
