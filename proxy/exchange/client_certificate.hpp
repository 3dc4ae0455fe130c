#pragma once
// judge_client_certificate: each request to a host that asks for client certificates
// (auth-tls-*), judged as nginx's ssl_verify_client and ingress-nginx's template judge it,
// before anything else of the host applies; and the ssl-client-* headers its backend gets.
#include "proxy/exchange/exchange.hpp"
#include "proxy/exchange/fault.hpp"

namespace portico {

Fault judge_client_certificate(const ClientConnection& client, Exchange& ex);

}  // namespace portico
