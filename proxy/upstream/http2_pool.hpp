#pragma once
// Http2Pool: the worker's HTTP/2 connections to backends, a few per endpoint, each carrying
// many exchanges at once. Confined to the worker's thread, like ConnPool.
#include <memory>
#include <unordered_map>
#include <vector>

#include "proxy/http2/http2_upstream.hpp"
#include "proxy/upstream/cluster.hpp"

namespace portico {

class Http2Pool {
 public:
  // More connections to one endpoint only when each has as many streams as the backend
  // allows; past this many, the least loaded one takes the stream (nghttp2 queues it).
  static constexpr std::size_t MaxConnectionsPerEndpoint = 4;

  // The connection to `endpoint` a new stream should use, or null when a new connection
  // should be made for it. Forgets connections that are no longer usable.
  std::shared_ptr<Http2UpstreamLink> pick(const Endpoint& endpoint, bool tls);
  void add(const Endpoint& endpoint, bool tls, std::shared_ptr<Http2UpstreamLink> connection);
  void clear() noexcept {
    plain_.clear();
    tls_.clear();
  }

 private:
  using Connections =
      std::unordered_map<Endpoint, std::vector<std::shared_ptr<Http2UpstreamLink>>, EndpointHash>;
  Connections plain_;
  Connections tls_;
};

}  // namespace portico
