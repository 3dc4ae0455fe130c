#include "proxy/upstream/http2_pool.hpp"

#include <algorithm>

namespace portico {

std::shared_ptr<Http2UpstreamLink> Http2Pool::pick(const Endpoint& endpoint, bool tls) {
  auto& by_endpoint = tls ? tls_ : plain_;
  const auto it = by_endpoint.find(endpoint);
  if (it == by_endpoint.end()) {
    return nullptr;
  }
  auto& connections = it->second;
  std::erase_if(connections, [](const auto& connection) { return !connection->usable(); });
  const auto least =
      std::min_element(connections.begin(), connections.end(),
                       [](const auto& a, const auto& b) { return a->load() < b->load(); });
  if (least == connections.end()) {
    by_endpoint.erase(it);
    return nullptr;
  }
  if ((*least)->load() < (*least)->capacity() || connections.size() >= MaxConnectionsPerEndpoint) {
    return *least;
  }
  return nullptr;
}

void Http2Pool::add(const Endpoint& endpoint, bool tls,
                    std::shared_ptr<Http2UpstreamLink> connection) {
  (tls ? tls_ : plain_)[endpoint].push_back(std::move(connection));
}

}  // namespace portico
