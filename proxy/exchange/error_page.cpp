#include "proxy/exchange/error_page.hpp"

#include <boost/beast/http/empty_body.hpp>
#include <random>

#include "proxy/exchange/side_request.hpp"

namespace portico {
namespace {

namespace http = boost::beast::http;

// nginx's $request_id: 16 random bytes in hex.
std::string new_request_id() {
  static thread_local std::mt19937_64 random(std::random_device{}());
  static constexpr char Hex[] = "0123456789abcdef";
  std::string id;
  for (int half = 0; half < 2; ++half) {
    for (std::uint64_t bits = random(), i = 0; i < 16; ++i, bits >>= 4) {
      id.push_back(Hex[bits & 15]);
    }
  }
  return id;
}

// "namespace/name" split at its slash; "namespace/service:port" (a cluster's name) too.
std::pair<std::string_view, std::string_view> split(std::string_view text, char at) {
  const auto i = text.find(at);
  return i == std::string_view::npos ? std::pair{text, std::string_view()}
                                     : std::pair{text.substr(0, i), text.substr(i + 1)};
}

SideRequest page_request(const Exchange& ex, unsigned status) {
  SideRequest out{http::verb::get, "/", 11};
  out.set(http::field::host, ex.target.host);
  out.set("X-Code", std::to_string(status));
  out.set("X-Format", ex.request[http::field::accept]);
  out.set("X-Original-URI", ex.target.upstream_target);
  const auto [ns, ingress] = split(ex.route.action->ingress, '/');
  out.set("X-Namespace", ns);
  out.set("X-Ingress-Name", ingress);
  // The rule's Service, whether or not the request reached it.
  const Cluster* service =
      ex.cluster != nullptr ? ex.cluster : ex.snapshot->clusters->find(ex.route.action->cluster_id);
  if (service != nullptr) {
    const auto [name, port] = split(split(service->name, '/').second, ':');
    out.set("X-Service-Name", name);
    out.set("X-Service-Port", port);
  }
  const auto request_id = ex.request["X-Request-ID"];
  out.set("X-Request-ID", request_id.empty() ? new_request_id() : std::string(request_id));
  out.keep_alive(true);
  return out;
}

}  // namespace

bool wants_error_page(const Exchange& ex, unsigned status) {
  return ex.policy != nullptr && ex.policy->error_pages && !ex.grpc &&
         ex.policy->error_pages->intercepts(status);
}

Awaitable<void> fetch_error_page(const ClientConnection& client, Exchange& ex, unsigned status,
                                 Deadline& deadline) {
  if (!wants_error_page(ex, status) || ex.head) {
    co_return;
  }
  Worker& worker = client.worker;
  const Cluster* backend = ex.snapshot->clusters->find(ex.policy->error_pages->cluster_id);
  const Endpoint* endpoint =
      backend == nullptr ? nullptr : worker.balancer().pick(*backend, Exchange::Clock::now());
  if (endpoint == nullptr) {
    co_return;
  }
  auto request = page_request(ex, status);
  const auto& settings = worker.settings();
  // Whatever ended the exchange may have spent the deadline (a cancelled body relay).
  deadline.expires_after(settings.upstream_connect_timeout + settings.upstream_response_timeout);
  const SideRequestLimits limits{.connect_timeout = settings.upstream_connect_timeout,
                                 .send_timeout = settings.upstream_send_timeout,
                                 .read_timeout = settings.upstream_response_timeout,
                                 .max_answer_body = 1024 * 1024};
  auto answer = co_await send_side_request(worker, *endpoint, false, "", request, limits, deadline);
  if (answer) {
    ex.error_page = Exchange::ErrorPage{std::string((*answer)[http::field::content_type]),
                                        std::move(answer->body())};
  }
}

}  // namespace portico
