#pragma once
// custom-http-errors: the page a route's error backend gives for an answer's status, asked for
// as ingress-nginx's error_page asks: a GET of "/" carrying X-Code, X-Format (the client's
// Accept), X-Original-URI, X-Namespace, X-Ingress-Name, X-Service-Name, X-Service-Port and
// X-Request-ID. The client's status stays the original one: an error backend can dress a 401
// or a 403, never turn it into a success.
#include "proxy/exchange/exchange.hpp"
#include "proxy/session/deadline.hpp"

namespace portico {

// Whether the route gives an answer of `status` its error page (never to gRPC, whose clients
// read grpc-status, nor to a protocol switch).
bool wants_error_page(const Exchange& ex, unsigned status);

// Asks the route's error backend for the page of a local reply of `status` and keeps it in
// ex.error_page; on any failure the reply keeps Portico's own text. Bounded by `deadline`.
Awaitable<void> fetch_error_page(const ClientConnection& client, Exchange& ex, unsigned status,
                                 Deadline& deadline);

}  // namespace portico
