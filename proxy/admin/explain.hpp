#pragma once
// explain_request: why a request goes where it goes. Given a snapshot and a URL, answers
// with JSON what a worker would do: the request as normalized, the certificate SNI would
// serve, the virtual host, every rule that matches in precedence order with the one chosen
// and why, whether the canary takes it, the Service and its endpoints and how one is picked, the
// Ingress's annotations in force or rejected, and the outcome. Used live by /debug/explain and
// offline by `portico explain`. The same functions as the data plane decide (vet_request_head,
// RouteTable::match, CertTable::select), so the explanation cannot drift from the behaviour.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/common/expected.hpp"
#include "proxy/snapshot.hpp"

namespace portico {

// What is known of the request: its URL ("http://host[:port]/path?query" or "https://..."),
// and optionally its method, headers (they decide a canary, and are vetted like a client's)
// and the client's address (it decides source-range annotations).
struct ExplainInput {
  std::string url;
  std::string method = "GET";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string client;  // "" when not given
};

// `https_port`: the HTTPS listener's port, for the Location of a redirect to HTTPS. Fails
// (with the reason) on an input that is not a request at all.
Expected<std::string> explain_request(const Snapshot& snapshot, const ExplainInput& input,
                                      std::uint16_t https_port);

}  // namespace portico
