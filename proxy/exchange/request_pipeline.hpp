#pragma once
// The codec-independent phases of an exchange, the same for every codec:
//   plan_exchange -> exchange_upstream (upstream_exchange.hpp) -> finish_exchange,
// or, on a fault, local_reply -> finish_exchange. An HTTP/1.1 request and an HTTP/2 stream
// differ only in how their codec reads the head and writes the response.
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "proxy/exchange/exchange.hpp"
#include "proxy/exchange/fault.hpp"
#include "proxy/policy/variable_text.hpp"
#include "proxy/session/deadline.hpp"

namespace portico {

using LocalReply = boost::beast::http::response<boost::beast::http::string_body, HeaderFields>;

// Everything before the backend, in order:
// - vet_request_head (request_head.hpp): the head's grammar and limits, normalized host and path;
// - route_request: the route (ACME answers and the plain-to-HTTPS redirect first), then its
//   policy in ingress-nginx's order: answers the proxy gives itself (a configuration that
//   fails closed, redirects, CORS preflights), access (source ranges, Basic credentials), the
//   limits and timeouts of the exchange; a route with an external auth service (auth-url)
//   stops here with Fault::AuthPending: the codec then awaits plan_after_external_auth,
//   which asks the service (external_auth_request.hpp) and goes on;
// - pick_endpoint: the cluster (the rule's, or its canary's), the endpoint its balancing
//   chooses, and the upstream protocol;
// - prepare_upstream_request: the head rewritten for the backend (hop-by-hop fields out,
//   forwarded fields, the route's Host and prefix and target, the body's framing), and copies
//   of that head to the route's mirrors (mirror_request.hpp), which nothing waits for.
// Sets `endpoint`, or returns the fault that answers the request.
// `upgrade_without_body`: an HTTP/1.1 head with Connection: upgrade and no body.
Fault plan_exchange(const ClientConnection& client, Exchange& ex, bool upgrade_without_body,
                    const Endpoint*& endpoint);
// The rest of plan_exchange after Fault::AuthPending: the auth service's verdict, then the
// endpoint and the upstream head. `deadline`: the exchange's, bounding the auth request.
Awaitable<Fault> plan_after_external_auth(const ClientConnection& client, Exchange& ex,
                                          Deadline& deadline, const Endpoint*& endpoint);

// The nginx variables of the request as the client sent it ($request_uri, $best_http_host...),
// for the settings that expand them: from the head itself until it is rewritten for the
// backend, then from what Exchange::as_sent kept of it.
RequestVariables request_variables(const Exchange& ex);

// Rewrites a backend's response head for the client, whatever the protocols: hop-by-hop
// fields out, Server, the exchange's extra headers, HSTS on HTTPS.
void prepare_response_head(const ClientConnection& client, const Exchange& ex,
                           ResponseHeader& response);

// The reply the proxy gives itself for `status`, with the exchange's extra headers. A gRPC
// request gets a gRPC error instead: 200 with grpc-status mapped from `status` and no body.
// The codec adds its own framing (HTTP/1.1: Connection and version).
LocalReply local_reply(const ClientConnection& client, Exchange& ex, unsigned status);

// The status of the local reply that answers `fault`.
inline unsigned reply_status(const Exchange& ex, Fault fault) {
  return ex.fault_status != 0 ? ex.fault_status : status_for(fault);
}

// Metrics and the access log, once the exchange is over.
void finish_exchange(const ClientConnection& client, const Exchange& ex, Fault fault);

void count_retry(Worker& worker, const Exchange& ex);

// After a failed connect to `failed` (reported to the balancer here): the endpoint to try
// instead, counted as a retry, or null when there is none. Nothing was sent, so any request
// may go elsewhere, once (`retried`: that once is spent).
const Endpoint* endpoint_after_connect_failure(Worker& worker, const Exchange& ex,
                                               const Endpoint& failed, bool retried);

}  // namespace portico
