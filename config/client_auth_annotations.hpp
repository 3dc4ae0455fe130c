#pragma once
// auth-tls-*: an Ingress's demand for client certificates, read as ingress-nginx's authtls
// parser reads it, with its CAs from a Secret's ca.crt (and ca.crl). What would open the
// Ingress (a Secret missing or unusable, an invalid error page or CN pattern) closes it instead.
#include "config/annotation_reader.hpp"

namespace portico {

// Sets `out.client_auth` and `out.client_ca_secret`, or `policy.fail_closed`.
void read_client_auth(AnnotationReader& reader, const SecretLookup& secrets, RoutePolicy& policy,
                      IngressAnnotations& out);

}  // namespace portico
