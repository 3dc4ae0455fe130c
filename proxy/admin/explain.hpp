#pragma once
// explain_request: why a request goes where it goes. Given a snapshot and a URL, answers
// with JSON what a worker would do: the request as normalized, the certificate SNI would
// serve, the virtual host, every rule that matches in precedence order with the one chosen
// and why, the Service and its endpoints and how one is picked, the Ingress's annotations
// in force or rejected, and the outcome. Used live by /debug/explain and offline by
// `portico explain`. The same functions as the data plane decide (vet_request_head,
// RouteTable::match, CertTable::select), so the explanation cannot drift from the behaviour.
#include <string>
#include <string_view>

#include "proxy/common/expected.hpp"
#include "proxy/snapshot.hpp"

namespace portico {

// `url`: "http://host[:port]/path?query" or "https://...". `https_port`: the HTTPS
// listener's port, for the Location of a redirect to HTTPS.
Expected<std::string> explain_request(const Snapshot& snapshot, std::string_view url,
                                      std::uint16_t https_port);

}  // namespace portico
