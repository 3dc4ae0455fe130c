#pragma once
// Fault: why a request could not be proxied, as a value. Each maps to the local reply of the
// README's table of local replies.

namespace portico {

enum class Fault {
  None,
  BadRequest,           // 400, connection closed
  UriTooLong,           // 414: request line over --max-request-line, connection closed
  HeadersTooLarge,      // 431: head over --max-header-size or --max-header-fields, closed
  BodyTooLarge,         // 413: body over --max-body-size or the Ingress's proxy-body-size
  NoRoute,              // 404: no rule and no default backend
  Redirect,             // 3xx with a Location: to HTTPS (308), or an Ingress's redirect
  Forbidden,            // 403: the client is outside the Ingress's allowed source ranges
  Unauthorized,         // 401: missing or wrong Basic credentials
  CertificateRefused,   // 400: no or an invalid client certificate where auth-tls asks for one;
                        // 421 (fault_status): verified for another host's CAs
  Misconfigured,        // 503: an Ingress whose access settings are invalid fails closed
  RateLimited,          // 503: over the Ingress's limit-rps, limit-rpm or limit-connections
  AuthPending,          // not a fault: the route asks its external auth service first
  AuthUnavailable,      // 500: the external auth service failed or answered neither yes nor no
  CorsPreflight,        // not a fault: 204 answering a CORS preflight
  NoEndpoint,           // 503: the Service is missing or has no usable endpoint
  BackendInvalid,       // 500: a Gateway API rule's backend that cannot be resolved, or none
  UpstreamUnreachable,  // 502: connect refused or failed
  UpstreamBroken,       // 502: reset, closed early, or a malformed response
  UpstreamTimeout,      // 504: connect or response timed out
  UpstreamClosedEarly,  // a reused connection closed before any response byte: maybe retried
  Intercepted,      // custom-http-errors: the backend's answer (fault_status) gets an error page
  ClientGone,       // the client went away: nothing to reply to
  ChallengeAnswer,  // not a fault: 200 with an ACME HTTP-01 key authorization
};

// A request refused for what it is, not for where it was going: its unread bytes may be
// anything, so the connection closes after the reply.
constexpr bool rejects_request(Fault fault) {
  return fault == Fault::BadRequest || fault == Fault::UriTooLong ||
         fault == Fault::HeadersTooLarge || fault == Fault::BodyTooLarge;
}

constexpr unsigned status_for(Fault fault) {
  switch (fault) {
    case Fault::BadRequest:
    case Fault::CertificateRefused:
      return 400;
    case Fault::UriTooLong:
      return 414;
    case Fault::HeadersTooLarge:
      return 431;
    case Fault::BodyTooLarge:
      return 413;
    case Fault::NoRoute:
      return 404;
    case Fault::Redirect:
      return 308;
    case Fault::Forbidden:
      return 403;
    case Fault::Unauthorized:
      return 401;
    case Fault::Misconfigured:
    case Fault::RateLimited:
      return 503;
    case Fault::AuthUnavailable:
    case Fault::BackendInvalid:
      return 500;
    case Fault::CorsPreflight:
      return 204;
    case Fault::NoEndpoint:
      return 503;
    case Fault::UpstreamTimeout:
      return 504;
    case Fault::ClientGone:
      return 499;
    case Fault::None:
    case Fault::ChallengeAnswer:
      return 200;
    default:
      return 502;
  }
}

}  // namespace portico
