#pragma once
// The TLS annotations that read Secrets. auth-tls-*: an Ingress's demand for client
// certificates, read as ingress-nginx's authtls parser reads it, with its CAs from a Secret's
// ca.crt (and ca.crl). proxy-ssl-*: how its HTTPS backends are verified (ca.crt) and what
// client certificate they are shown (tls.crt, tls.key). What would open the Ingress (a Secret
// missing or unusable, an invalid error page, CN pattern or verify value) closes it instead.
#include "config/annotation_reader.hpp"

namespace portico {

// Sets `out.client_auth`, or `policy.fail_closed`.
void read_client_auth(AnnotationReader& reader, const SecretLookup& secrets, RoutePolicy& policy,
                      IngressAnnotations& out);
// Sets `policy.backend_tls`, or `policy.fail_closed`. After backend-protocol.
void read_backend_tls(AnnotationReader& reader, const SecretLookup& secrets, RoutePolicy& policy);

}  // namespace portico
