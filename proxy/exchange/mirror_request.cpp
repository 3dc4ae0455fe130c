#include "proxy/exchange/mirror_request.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "proxy/exchange/side_request.hpp"

namespace portico {
namespace {

net::awaitable<void> mirror_to(Worker& worker, Endpoint endpoint,
                               http::request<http::empty_body> request, SideRequestLimits limits) {
  Deadline deadline(worker.executor());
  const auto answer =
      co_await send_side_request(worker, endpoint, false, "", request, limits, deadline);
  auto& counts = worker.stats().mirrors;
  ++(answer ? counts.answered : counts.failed);
}

bool has_body(const BodyFraming& body) {
  return body.length ? *body.length > 0 : body.chunked || !body.done;
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
    http::request<http::empty_body> copy;
    copy.base() = ex.request;
    // A WebSocket handshake is mirrored as the plain request: the mirror is never asked to
    // switch protocols on a connection that goes back to the pool.
    copy.erase(http::field::upgrade);
    copy.erase(http::field::connection);
    net::co_spawn(worker.executor(),
                  mirror_to(worker, *endpoint, std::move(copy),
                            {ex.connect_timeout, ex.send_timeout, ex.read_timeout}),
                  net::detached);
  }
}

}  // namespace portico
