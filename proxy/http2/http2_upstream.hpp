#pragma once
// Http2Upstream: Portico's own HTTP/2 connection to a backend (h2c, or h2 over TLS chosen by
// ALPN), multiplexing the streams of many exchanges of one worker. The worker's Http2Pool
// keeps a few per endpoint; an exchange takes one with room and starts its request there.
// The connection lives while its loops run (they hold it) or while the pool or a stream's
// exchange holds it; used on the worker's thread only.
#include <chrono>
#include <memory>
#include <string_view>

#include "proxy/exchange/header_fields.hpp"
#include "proxy/http2/http2_stream.hpp"
#include "proxy/net.hpp"
#include "proxy/upstream/cluster.hpp"
#include "proxy/upstream/conn_pool.hpp"

namespace portico {

// What the pool and the exchanges see of one backend connection, whatever its transport.
class Http2UpstreamLink {
 public:
  virtual ~Http2UpstreamLink() = default;
  // Open, and the backend has not said GOAWAY.
  virtual bool usable() const = 0;
  // Streams open now, and how many the backend allows at once (its
  // SETTINGS_MAX_CONCURRENT_STREAMS; nghttp2 queues requests beyond that).
  virtual std::size_t load() const = 0;
  virtual std::size_t capacity() const = 0;
  // Submits a request whose head is `head` (HTTP/1.1-shaped, Host as :authority); `grpc`
  // adds "te: trailers" (gRPC requires it). Null when the connection cannot take one.
  virtual std::shared_ptr<Http2Stream> start_request(const RequestHeader& head, bool grpc,
                                                     bool has_body) = 0;
  // Ends a stream the exchange gives up on (RST_STREAM CANCEL).
  virtual void cancel(const Http2Stream& stream) = 0;
};

// Starts a connection's loops over a connected (and, for TLS, handshaken) stream.
std::shared_ptr<Http2UpstreamLink> start_http2_upstream(UpstreamStream stream,
                                                        std::chrono::milliseconds idle_timeout,
                                                        std::chrono::milliseconds send_timeout);

}  // namespace portico
