#include "proxy/exchange/mirror_request.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "proxy/exchange/request_pipeline.hpp"
#include "proxy/exchange/side_request.hpp"

namespace portico {
namespace {

// Where a copy goes: an endpoint of a cluster (RequestMirror), or a URL's host, resolved
// first (mirror-target).
struct Destination {
  std::optional<Endpoint> endpoint;
  std::string host;
  std::uint16_t port = 0;
  bool tls = false;
};

Awaitable<void> mirror_to(Worker& worker, Destination to, SideRequest request,
                          SideRequestLimits limits) {
  auto& counts = worker.stats().mirrors;
  if (!to.endpoint) {
    to.endpoint = co_await resolve_host(worker, to.host, to.port);
  }
  if (!to.endpoint) {
    ++counts.failed;
    co_return;
  }
  Deadline deadline(worker.executor());
  const auto answer =
      co_await send_side_request(worker, *to.endpoint, to.tls, to.host, request, limits, deadline);
  ++(answer ? counts.answered : counts.failed);
}

bool has_body(const BodyFraming& body) {
  return body.length ? *body.length > 0 : body.chunked || !body.done;
}

// The head the backend receives, as a request of its own. A WebSocket handshake is mirrored
// as the plain request: the mirror is never asked to switch protocols on a connection that
// goes back to the pool.
SideRequest copy_of(const Exchange& ex) {
  SideRequest copy;
  copy.base() = ex.request;
  copy.erase(http::field::upgrade);
  copy.erase(http::field::connection);
  return copy;
}

void send_url_mirror(Worker& worker, const Exchange& ex, const UrlMirror& mirror) {
  if (has_body(ex.body) && !mirror.without_body) {
    ++worker.stats().mirrors.skipped_body;
    return;
  }
  const RequestVariables request = request_variables(ex);
  Destination to{
      .host = mirror.url.host.expand(request), .port = mirror.url.port, .tls = mirror.url.tls};
  auto copy = copy_of(ex);
  copy.target(mirror.url.target.expand(request));
  copy.set(http::field::host, mirror.host.empty() ? to.host : mirror.host);
  copy.erase(http::field::content_length);  // mirror-request-body off: the head alone
  copy.erase(http::field::transfer_encoding);
  net::co_spawn(worker.executor(),
                mirror_to(worker, std::move(to), std::move(copy),
                          {ex.connect_timeout, ex.send_timeout, ex.read_timeout}),
                net::detached);
}

}  // namespace

void send_mirrors(const ClientConnection& client, const Exchange& ex) {
  Worker& worker = client.worker;
  auto& counts = worker.stats().mirrors;
  for (const RequestMirror& mirror : ex.policy->mirrors) {
    if (!worker.balancer().chance(mirror.numerator, mirror.denominator)) {
      continue;
    }
    if (has_body(ex.body)) {
      ++counts.skipped_body;
      continue;
    }
    const Cluster* cluster = ex.snapshot->clusters->find(mirror.cluster_id);
    const Endpoint* endpoint =
        cluster == nullptr ? nullptr : worker.balancer().pick(*cluster, Exchange::Clock::now());
    if (endpoint == nullptr) {
      ++counts.failed;
      continue;
    }
    net::co_spawn(worker.executor(),
                  mirror_to(worker, {.endpoint = *endpoint}, copy_of(ex),
                            {ex.connect_timeout, ex.send_timeout, ex.read_timeout}),
                  net::detached);
  }
  if (ex.policy->url_mirror) {
    send_url_mirror(worker, ex, *ex.policy->url_mirror);
  }
}

}  // namespace portico
