#pragma once
// ask_external_auth: the auth request of a route with auth-url (proxy/policy/external_auth.hpp
// says what the Ingress asked for), as ingress-nginx's template makes it. The auth service
// gets the client's request headers without the body, its own Host, and X-Original-URL,
// X-Original-Method, X-Sent-From, X-Real-IP, X-Forwarded-For (the client's address) and
// X-Auth-Request-Redirect (plus X-Original-URI and X-Scheme with auth-method). Its answer:
//  - 2xx: the request goes on, with each auth-response-headers field set to the service's
//    value (or removed: a client cannot pass its own off as the service's);
//  - 401: 401 with the service's WWW-Authenticate, or a 302 to auth-signin;
//  - 403: 403;
//  - anything else, a failure or a timeout: 500. Never let through.
// Connections to the service are the worker's pooled upstream connections.
#include "proxy/exchange/exchange.hpp"
#include "proxy/exchange/fault.hpp"
#include "proxy/session/deadline.hpp"

namespace portico {

Awaitable<Fault> ask_external_auth(const ClientConnection& client, Exchange& ex,
                                   Deadline& deadline);

}  // namespace portico
