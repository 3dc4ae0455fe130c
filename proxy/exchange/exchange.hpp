#pragma once
// Exchange: one request and its response, whatever codec carried it (an HTTP/1.1 request or
// an HTTP/2 stream). The codec fills the request head and how its body is framed; the phases
// of request_pipeline.hpp (route, policy, endpoint), the upstream exchange and the access log
// work on this alone, so a feature written once serves both protocols.
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/exchange/body_framing.hpp"
#include "proxy/exchange/forwarding.hpp"
#include "proxy/exchange/header_fields.hpp"
#include "proxy/exchange/protocol.hpp"
#include "proxy/exchange/request_head.hpp"
#include "proxy/net.hpp"
#include "proxy/policy/cors.hpp"
#include "proxy/route/route_table.hpp"
#include "proxy/snapshot.hpp"
#include "proxy/upstream/upstream_protocol.hpp"
#include "proxy/worker/worker.hpp"

namespace portico {

// What every exchange of one downstream connection shares.
struct ClientConnection {
  Worker& worker;
  net::ip::address ip;  // the client's: the peer's, or what a PROXY protocol header said
  std::string address;  // `ip` as text, once per connection
  std::uint16_t listener_port;
  bool tls;
  bool address_from_proxy_header;  // `ip` is what a PROXY protocol header said
  // What the TLS handshake verified of a client certificate, when the SNI's host asked for
  // one (auth-tls-*); null otherwise.
  std::shared_ptr<const ClientCertificate> certificate;
};

struct Exchange {
  using Clock = std::chrono::steady_clock;
  Exchange(RequestHeader& head, Protocol by, const ClientConnection& client)
      : request(head),
        protocol(by),
        origin{client.ip, client.address, client.tls, client.listener_port, {}},
        relay_buffer(client.worker.buffers()) {}

  RequestHeader& request;                         // owned by the codec; rewritten for upstream
  BodyFraming body;                               // the request body, as the client frames it
  Protocol protocol;
  // Who the request is from: the connection's client, or, once routed, what a believed peer's
  // forwarded headers say (GlobalPolicy); `forwarded_address` holds the text of such an address.
  RequestOrigin origin;
  std::string forwarded_address;
  Clock::time_point started = Clock::now();
  SnapshotPtr snapshot;  // pinned for the whole exchange
  RouteMatch route;
  const RoutePolicy* policy = nullptr;  // the route's, or one with every default; set once routed
  const Cluster* cluster = nullptr;
  UpstreamProtocol upstream_protocol;  // set with the cluster
  RequestHead target;
  // The Host and target as the client sent them, kept before prepare_upstream_request
  // rewrites the head, for a route whose settings expand nginx variables afterwards
  // (mirror-target, proxy-redirect-to); see request_variables().
  struct SentHead {
    std::string host;
    std::string target;
  };
  std::optional<SentHead> as_sent;
  std::string_view local_body;   // a local reply's body, when not the status line's text
  // custom-http-errors: the error backend's page for a local reply, when it gave one.
  struct ErrorPage {
    std::string content_type;
    std::string body;
  };
  std::optional<ErrorPage> error_page;
  // The status of the fault that answers, when not status_for's: a redirect's (not 308), a
  // refused rate limit's (limit-req-status-code, limit-conn-status-code).
  unsigned fault_status = 0;
  // Added to whatever response goes out, proxied or local: Location, WWW-Authenticate,
  // Set-Cookie of affinity, CORS headers.
  ExtraHeaders response_headers;
  // Set-Cookie lines of an external auth service's answer: added to a response with a 2xx or
  // 3xx status, or to any with auth-always-set-cookie (nginx's add_header, without and with
  // "always").
  std::vector<std::string> auth_cookies;
  bool auth_cookies_always = false;
  // For the access log.
  const Endpoint* upstream = nullptr;  // the endpoint of the last attempt
  Clock::time_point upstream_started{};
  Clock::duration upstream_time{};  // from the last attempt's start to the response head
  std::uint64_t request_bytes = 0;  // body bytes, as relayed
  std::uint64_t response_bytes = 0;
  // The route's timeouts (its Ingress's annotations, else the flags), set once routed.
  std::chrono::milliseconds connect_timeout{};
  std::chrono::milliseconds read_timeout{};
  std::chrono::milliseconds send_timeout{};
  // The largest request body the route accepts (0: any), and whether all of it was read.
  std::uint64_t body_limit = std::numeric_limits<std::uint64_t>::max();
  bool body_read = false;
  bool head = false;       // a HEAD request: the response has no body
  bool grpc = false;       // content-type application/grpc: local replies are gRPC errors
  bool granted_by_address = false;  // satisfy any: no credentials are asked
  bool keep_alive = true;  // HTTP/1.1: may the connection carry another request after this
  bool response_started = false;
  bool upstream_reusable = false;
  unsigned status = 0;
  RelayBuffer relay_buffer;
  std::optional<RateLimits::Slot> limit_slot;  // limit-connections: held until the exchange ends
};

}  // namespace portico
