#pragma once
// Fault: why a request could not be proxied, as a value. Each maps to the local reply of the
// contract's table (../shared/interface.md, "Local replies").

namespace portico {

enum class Fault {
  None,
  BadRequest,           // 400, connection closed
  NoRoute,              // 404: no rule and no default backend
  RedirectToHttps,      // 308: plain HTTP to a host listed in some spec.tls
  NoEndpoint,           // 503: the Service is missing or has no usable endpoint
  UpstreamUnreachable,  // 502: connect refused or failed
  UpstreamBroken,       // 502: reset, closed early, or a malformed response
  UpstreamTimeout,      // 504: connect or response timed out
  UpstreamClosedEarly,  // a reused connection closed before any response byte: retried once
  ClientGone,           // the client went away: nothing to reply to
};

constexpr unsigned status_for(Fault fault) {
  switch (fault) {
    case Fault::BadRequest:
      return 400;
    case Fault::NoRoute:
      return 404;
    case Fault::RedirectToHttps:
      return 308;
    case Fault::NoEndpoint:
      return 503;
    case Fault::UpstreamTimeout:
      return 504;
    case Fault::ClientGone:
      return 499;
    case Fault::None:
      return 200;
    default:
      return 502;
  }
}

}  // namespace portico
