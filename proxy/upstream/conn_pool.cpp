#include "proxy/upstream/conn_pool.hpp"

#include <algorithm>
#include <unordered_set>

namespace portico {

UpstreamConnectionPtr ConnPool::take(const Endpoint& endpoint, bool tls,
                                     const BackendTls* tls_profile) {
  const auto it = idle_.find(endpoint);
  if (it == idle_.end()) {
    return nullptr;
  }
  auto& stack = it->second;
  const auto oldest_allowed = std::chrono::steady_clock::now() - settings_.upstream_idle_timeout;
  // Newest last: the first one too old means every one below it is too.
  for (auto candidate = stack.rbegin(); candidate != stack.rend(); ++candidate) {
    if ((*candidate)->idle_since < oldest_allowed) {
      stack.erase(stack.begin(), candidate.base());
      break;
    }
    // One made under another protocol or proxy-ssl-* profile stays for its own requests.
    if ((*candidate)->tls() == tls && (*candidate)->tls_profile.get() == tls_profile) {
      UpstreamConnectionPtr connection = std::move(*candidate);
      stack.erase(std::next(candidate).base());
      connection->reused = true;
      return connection;
    }
  }
  return nullptr;
}

void ConnPool::put(UpstreamConnectionPtr connection) {
  const std::uint64_t limit = settings_.upstream_max_requests;
  if (++connection->requests >= limit && limit != 0) {
    return;  // closes it
  }
  auto& stack = idle_[connection->endpoint];
  if (stack.size() >= settings_.max_idle_per_endpoint) {
    return;
  }
  connection->idle_since = std::chrono::steady_clock::now();
  stack.push_back(std::move(connection));
}

void ConnPool::retain_only(const std::vector<ClusterPtr>& clusters) {
  std::unordered_set<Endpoint, EndpointHash> live;
  for (const auto& cluster : clusters) {
    if (cluster) {
      live.insert(cluster->endpoints.begin(), cluster->endpoints.end());
    }
  }
  std::erase_if(idle_, [&](const auto& entry) { return !live.contains(entry.first); });
}

}  // namespace portico
