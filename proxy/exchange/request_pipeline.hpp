#pragma once
// The codec-independent phases of an exchange, in the order every codec runs them:
//   vet_request_head (request_head.hpp) -> route_request -> pick_endpoint ->
//   prepare_upstream_request -> the upstream exchange (upstream_http1.hpp) -> finish_exchange,
// or, on a fault, local_reply -> finish_exchange. An HTTP/1.1 request and an HTTP/2 stream
// differ only in how their codec reads the head and writes the response.
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "proxy/exchange/exchange.hpp"
#include "proxy/exchange/fault.hpp"

namespace portico {

// Chooses the route (ACME answers and the plain-to-HTTPS redirect first), then applies its
// policy in ingress-nginx's order: answers the proxy gives itself (a configuration that fails
// closed, redirects, CORS preflights), access (source ranges, Basic credentials), then the
// limits and timeouts of the exchange.
Fault route_request(const ClientConnection& client, Exchange& ex);

// The cluster (the rule's, or its canary's) and the endpoint the route's balancing chooses;
// null when there is none.
const Endpoint* pick_endpoint(const ClientConnection& client, Exchange& ex);

// Rewrites the request head for the upstream (HTTP/1.1): hop-by-hop fields out, forwarded
// fields, the route's Host and prefix, the target the route maps to, and the body's framing.
void prepare_upstream_request(const ClientConnection& client, Exchange& ex);

// Rewrites a backend's response head for the client, whatever the protocols: hop-by-hop
// fields out, Server, the exchange's extra headers, HSTS on HTTPS.
void prepare_response_head(const ClientConnection& client, const Exchange& ex,
                           boost::beast::http::response_header<>& response);

// The reply the proxy gives itself for `status`, with the exchange's extra headers. A gRPC
// request gets a gRPC error instead: 200 with grpc-status mapped from `status` and no body.
// The codec adds its own framing (HTTP/1.1: Connection and version).
boost::beast::http::response<boost::beast::http::string_body> local_reply(
    const ClientConnection& client, Exchange& ex, unsigned status);

// The gRPC status gRPC's HTTP-to-gRPC table gives an HTTP status.
unsigned grpc_status_for(unsigned http_status);

// Metrics and the access log, once the exchange is over.
void finish_exchange(const ClientConnection& client, const Exchange& ex, Fault fault);

void count_retry(Worker& worker, const Exchange& ex);

}  // namespace portico
