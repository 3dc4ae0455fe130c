#pragma once
// send_side_request: a request of Portico's own, beside the client's exchange, to an external
// auth service (external_auth_request.hpp) or a mirror (mirror_request.hpp). It carries no
// body; the answer is read whole, up to a small limit, on one of the worker's pooled upstream
// connections (or a new one), which goes back to the pool when the answer allows it.
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/exchange/header_fields.hpp"
#include "proxy/net.hpp"
#include "proxy/session/deadline.hpp"
#include "proxy/upstream/cluster.hpp"

namespace portico {

// A request Portico sends on its own (external auth, error pages, mirrors): a head alone.
using SideRequest = boost::beast::http::request<boost::beast::http::empty_body, HeaderFields>;

class Worker;

struct SideRequestLimits {
  std::chrono::milliseconds connect_timeout;
  std::chrono::milliseconds send_timeout;
  std::chrono::milliseconds read_timeout;
  // A legitimate answer is a few headers and a short body; a longer one fails the request.
  std::uint64_t max_answer_body = 64 * 1024;
};

// The address of `host` and `port`: `host` is an address itself, or a name, looked up and kept
// for 30 s per worker thread (each worker resolves on its own, as it connects on its own).
// None when the name does not resolve.
Awaitable<std::optional<Endpoint>> resolve_host(Worker& worker, const std::string& host,
                                                std::uint16_t port);

// The answer, or none when the endpoint could not be reached, the request not sent or the
// answer not read in time or within the limits. `server_name`: the SNI over TLS.
Awaitable<std::optional<boost::beast::http::response<boost::beast::http::string_body>>>
send_side_request(Worker& worker, const Endpoint& endpoint, bool tls, std::string_view server_name,
                  SideRequest& request, const SideRequestLimits& limits, Deadline& deadline);

}  // namespace portico
