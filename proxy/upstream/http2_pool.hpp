#pragma once
// Http2Pool: the worker's HTTP/2 connections to backends, a few per endpoint, each carrying
// many exchanges at once. Confined to the worker's thread, like ConnPool. A TLS connection
// made under a BackendTls (proxy-ssl-*) carries only exchanges under that same one.
#include <memory>
#include <unordered_map>
#include <vector>

#include "proxy/http2/http2_upstream.hpp"
#include "proxy/upstream/cluster.hpp"

namespace portico {

class BackendTls;

class Http2Pool {
 public:
  // More connections to one endpoint only when each has as many streams as the backend
  // allows; past this many, the least loaded one takes the stream (nghttp2 queues it).
  static constexpr std::size_t MaxConnectionsPerEndpoint = 4;

  // The connection to `endpoint` a new stream should use, or null when a new connection
  // should be made for it. Forgets connections that are no longer usable.
  std::shared_ptr<Http2UpstreamLink> pick(const Endpoint& endpoint, bool tls,
                                          const BackendTls* profile = nullptr);
  void add(const Endpoint& endpoint, bool tls, std::shared_ptr<Http2UpstreamLink> connection,
           std::shared_ptr<const BackendTls> profile = {});
  void clear() noexcept {
    plain_.clear();
    tls_.clear();
  }

 private:
  struct Pooled {
    std::shared_ptr<Http2UpstreamLink> link;
    std::shared_ptr<const BackendTls> profile;  // kept alive while its connection is
  };
  using Connections = std::unordered_map<Endpoint, std::vector<Pooled>, EndpointHash>;
  Connections plain_;
  Connections tls_;
};

}  // namespace portico
