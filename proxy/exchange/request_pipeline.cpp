#include "proxy/exchange/request_pipeline.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>

#include "proxy/common/log.hpp"
#include "proxy/common/utc_time.hpp"
#include "proxy/exchange/client_certificate.hpp"
#include "proxy/exchange/external_auth_request.hpp"
#include "proxy/exchange/forwarding.hpp"
#include "proxy/exchange/mirror_request.hpp"
#include "proxy/exchange/request_values.hpp"

namespace portico {
namespace {

using Clock = std::chrono::steady_clock;

// ACME HTTP-01 answers and the redirect of plain HTTP to a host served over TLS; then the
// routing table.
Fault select_route(const ClientConnection& client, Exchange& ex) {
  ex.snapshot = client.worker.pin();
  if (!ex.snapshot) {
    return Fault::NoRoute;
  }
  const GlobalPolicy& global = *ex.snapshot->global;
  believe_forwarded_headers(ex.request, global, client.address_from_proxy_header, ex.origin,
                            ex.forwarded_address);
  if (global.blocks(ex.origin.ip, [&] { return ex.request[http::field::user_agent]; })) {
    return Fault::Forbidden;
  }
  if (global.fail_closed) {
    return Fault::Misconfigured;
  }
  const std::string_view path = ex.target.path();
  if (!ex.origin.https) {
    constexpr std::string_view ChallengePrefix = "/.well-known/acme-challenge/";
    if (path.starts_with(ChallengePrefix)) {
      // Our own orders' answers first; other tokens (cert-manager's solvers) route as usual.
      const auto& answers = *ex.snapshot->challenges;
      if (const auto it = answers.find(path.substr(ChallengePrefix.size())); it != answers.end()) {
        ex.local_body = it->second;
        return Fault::ChallengeAnswer;
      }
    } else if (ex.snapshot->certs && ex.snapshot->certs->redirects(ex.target.host)) {
      ex.response_headers.emplace_back(http::field::location,
                                       https_location(ex.target, client.worker.https_port()));
      return Fault::Redirect;
    }
  }
  // Before the host's rules, as nginx judges a certificate before any location.
  if (const Fault fault = judge_client_certificate(client, ex); fault != Fault::None) {
    return fault;
  }
  ex.route = ex.snapshot->routes->match(ex.target.host, path,
                                        HeadFacts(ex.request, ex.target, ex.origin.https));
  return ex.route.action == nullptr ? Fault::NoRoute : Fault::None;
}

Fault apply_policy(const ClientConnection& client, Exchange& ex) {
  Worker& worker = client.worker;
  const auto& settings = worker.settings();
  const auto& req = ex.request;
  static const RoutePolicy defaults;
  const RoutePolicy& policy = ex.route.action->policy ? *ex.route.action->policy : defaults;
  ex.policy = &policy;
  if (PolicyAnswer answer =
          policy_answer(policy, ex.origin.https, ex.target, req[http::field::host],
                        {req.target().data(), req.target().size()}, worker.https_port());
      answer.fault != Fault::None) {
    ex.fault_status = answer.status;
    if (!answer.location.empty()) {
      ex.response_headers.emplace_back(http::field::location, std::move(answer.location));
    }
    return answer.fault;
  }
  if (policy.cors) {
    const bool preflight = req.method() == http::verb::options;
    policy.cors->add_headers(req[http::field::origin], preflight, ex.response_headers);
    if (preflight && !ex.response_headers.empty()) {
      return Fault::CorsPreflight;
    }
  }
  // ingress-nginx's limits run in nginx's preaccess phase: after redirects and CORS
  // answers, before source ranges and authentication, so refused requests count too.
  if (policy.rate_limits) {
    const auto admission = policy.rate_limits->admit(ex.origin.ip, Clock::now(), ex.limit_slot);
    if (admission != RateLimits::Admission::Admitted) {
      const GlobalPolicy& global = *ex.snapshot->global;
      ex.fault_status = admission == RateLimits::Admission::OverConnections
                            ? global.limit_conn_status
                            : global.limit_req_status;
      return Fault::RateLimited;
    }
  }
  const AddressVerdict address = judge_address(policy, ex.origin.ip);
  if (address == AddressVerdict::Refused) {
    return Fault::Forbidden;
  }
  ex.granted_by_address = address == AddressVerdict::Granted;
  if (policy.basic_auth && !ex.granted_by_address &&
      !worker.credentials().check(*policy.basic_auth->users, req[http::field::authorization])) {
    ex.response_headers.emplace_back(http::field::www_authenticate,
                                     "Basic realm=\"" + policy.basic_auth->realm + "\"");
    return Fault::Unauthorized;
  }
  ex.connect_timeout = policy.connect_timeout.value_or(settings.upstream_connect_timeout);
  ex.read_timeout = policy.read_timeout.value_or(settings.upstream_response_timeout);
  ex.send_timeout = policy.send_timeout.value_or(settings.upstream_send_timeout);
  const std::uint64_t limit = policy.max_body_bytes.value_or(settings.max_body_bytes);
  if (limit != 0) {  // 0: no limit
    if (ex.body.length && *ex.body.length > limit) {
      return Fault::BodyTooLarge;
    }
    ex.body_limit = limit;  // a body of unknown length is counted as it streams
  }
  return Fault::None;
}

void write_access_log(const Exchange& ex, unsigned status) {
  const auto seconds = [](Clock::duration d) {
    return std::to_string(std::chrono::duration<double>(d).count());
  };
  std::string line =
      "{\"time\":\"" + utc_now_rfc3339(3) + "\",\"client\":\"" + std::string(ex.origin.address) +
      "\",\"protocol\":\"" + std::string(protocol_name(ex.protocol)) + "\",\"host\":\"" +
      log::json_escape(ex.target.host) + "\",\"method\":\"" +
      log::json_escape(ex.request.method_string()) + "\",\"path\":\"" +
      log::json_escape(ex.target.upstream_target) + "\",\"status\":" + std::to_string(status) +
      ",\"bytes\":" + std::to_string(ex.response_bytes) +
      ",\"request_bytes\":" + std::to_string(ex.request_bytes) +
      ",\"duration\":" + seconds(Clock::now() - ex.started);
  if (ex.upstream != nullptr) {
    line += ",\"upstream\":\"" + ex.upstream->address.to_string() + ":" +
            std::to_string(ex.upstream->port) + "\",\"upstream_time\":" + seconds(ex.upstream_time);
  }
  if (ex.route.action != nullptr) {
    line += ",\"ingress\":\"" + log::json_escape(ex.route.action->ingress) + "\"";
  }
  line += "}\n";
  log::write_line(line);
}

// The gRPC status gRPC's HTTP-to-gRPC table gives an HTTP status.
unsigned grpc_status_for(unsigned http_status) {
  switch (http_status) {
    case 400:
      return 13;  // INTERNAL
    case 401:
      return 16;  // UNAUTHENTICATED
    case 403:
      return 7;  // PERMISSION_DENIED
    case 404:
      return 12;  // UNIMPLEMENTED
    case 429:
    case 502:
    case 503:
    case 504:
      return 14;  // UNAVAILABLE
    default:
      return 2;  // UNKNOWN
  }
}

Fault route_request(const ClientConnection& client, Exchange& ex) {
  ex.head = ex.request.method() == http::verb::head;
  ex.grpc = ex.request[http::field::content_type].starts_with("application/grpc");
  if (const Fault fault = select_route(client, ex); fault != Fault::None) {
    return fault;
  }
  return apply_policy(client, ex);
}

// The cluster of a routed request: the rule's, its canary's, or one of a Gateway API rule's
// backends by weight (UnresolvedCluster when that share cannot be served).
std::uint32_t choose_cluster(const RouteAction& action, const Exchange& ex,
                             LoadBalancer& balancer) {
  if (action.weighted) {
    const WeightedClusters& weighted = *action.weighted;
    if (weighted.total == 0) {
      return UnresolvedCluster;
    }
    std::uint64_t roll = balancer.roll(weighted.total);
    for (const WeightedCluster& choice : weighted.choices) {
      if (roll < choice.weight) {
        return choice.cluster_id;
      }
      roll -= choice.weight;
    }
    return UnresolvedCluster;  // unreachable while total is the sum of the weights
  }
  const bool canary = action.canary && takes_canary(*action.canary, ex.request, balancer);
  return canary ? action.canary->cluster_id : action.cluster_id;
}

// The endpoint of the exchange's cluster its route's balancing chooses.
const Endpoint* pick_in_cluster(Exchange& ex, LoadBalancer& balancer) {
  ex.upstream_protocol = upstream_protocol(ex.policy->backend_protocol, ex.cluster->h2c);
  const auto now = Clock::now();
  const RoutePolicy& policy = *ex.policy;
  if (policy.affinity) {
    if (const Endpoint* pinned = balancer.pick_by_token(
            *ex.cluster, find_cookie(ex.request, policy.affinity->name), now)) {
      return pinned;
    }
    const Endpoint* chosen = balancer.pick(*ex.cluster, now);
    if (chosen != nullptr) {
      ex.response_headers.emplace_back(http::field::set_cookie,
                                       sticky_cookie(*policy.affinity, *chosen));
    }
    return chosen;
  }
  if (policy.hash_by) {
    return balancer.pick_by_hash(*ex.cluster,
                                 LoadBalancer::hash(hash_key_value(*policy.hash_by, ex.request,
                                                                   ex.target, ex.origin.address)),
                                 now);
  }
  if (policy.balance == Balance::Ewma) {
    return balancer.pick_by_latency(*ex.cluster, now);
  }
  return balancer.pick(*ex.cluster, now);
}

// The endpoint for a routed request, or the fault that answers it.
Fault pick_endpoint(const ClientConnection& client, Exchange& ex, const Endpoint*& endpoint) {
  auto& balancer = client.worker.balancer();
  const std::uint32_t cluster_id = choose_cluster(*ex.route.action, ex, balancer);
  if (cluster_id == UnresolvedCluster) {
    return Fault::BackendInvalid;
  }
  ex.cluster = ex.snapshot->clusters->find(cluster_id);
  endpoint = ex.cluster == nullptr ? nullptr : pick_in_cluster(ex, balancer);
  if (endpoint == nullptr && ex.policy->fallback_cluster_id) {
    // default-backend: the rule's Service has no ready endpoint; that Service answers.
    ex.cluster = ex.snapshot->clusters->find(*ex.policy->fallback_cluster_id);
    endpoint = ex.cluster == nullptr ? nullptr : pick_in_cluster(ex, balancer);
  }
  return endpoint == nullptr ? Fault::NoEndpoint : Fault::None;
}

// A Gateway API header modifier, on the request or the response head.
void apply_header_edits(const HeaderEdits& edits, HeaderFields& fields) {
  for (const auto& [name, value] : edits.set) {
    fields.set(name, value);
  }
  for (const auto& [name, value] : edits.add) {
    fields.insert(name, value);
  }
  for (const auto& name : edits.remove) {
    fields.erase(name);
  }
}

void prepare_upstream_request(const ClientConnection& client, Exchange& ex) {
  auto& req = ex.request;
  // Views, not copies: a head's text stays where it is while its fields are set or erased
  // (HeaderFields), and so does a believed X-Forwarded-Host's, which set_forwarded_headers
  // replaces.
  const std::string_view host_as_sent = req[http::field::host];
  if (ex.policy->proxy_redirect || ex.policy->url_mirror) {
    ex.as_sent = Exchange::SentHead{std::string(host_as_sent), std::string(req.target())};
  }
  const std::string_view forwarded_host = ex.origin.forwarded_host;
  strip_hop_by_hop(req);
  set_forwarded_headers(req, {client.address, ex.origin.https ? "https" : "http", ex.origin.port,
                              forwarded_host.empty() ? host_as_sent : forwarded_host});
  // upstream-vhost and x-forwarded-prefix: set by the route, whatever the client sent.
  if (!ex.policy->upstream_host.empty()) {
    req.set(http::field::host, ex.policy->upstream_host);
  }
  if (!ex.policy->forwarded_prefix.empty()) {
    req.set("X-Forwarded-Prefix", ex.policy->forwarded_prefix);
  }
  // proxy-set-headers (the global ConfigMap's), then the route's own, which win.
  for (const auto& [name, value] : ex.snapshot->global->request_headers) {
    req.set(name, value);
  }
  if (ex.policy->request_header_edits) {
    apply_header_edits(*ex.policy->request_header_edits, req);
  }
  req.target(upstream_target_for(*ex.policy, ex.target, ex.route.captures));
  req.version(11);
  if (!ex.target.websocket.empty()) {
    req.set(http::field::upgrade, ex.target.websocket);
    req.set(http::field::connection, "upgrade");
  } else if (!ex.policy->connection_header.empty() && !ex.upstream_protocol.http2) {
    req.set(http::field::connection, ex.policy->connection_header);
  }
  // A body of unknown length (HTTP/1.1 chunked, HTTP/2 without content-length) goes upstream
  // chunked; a Content-Length one keeps its header (the length was read from it).
  if (!ex.body.done && !ex.body.length) {
    req.set(http::field::transfer_encoding, "chunked");
  }
}

}  // namespace

namespace {

// The endpoint for a routed request, and the head the backend receives.
Fault choose_upstream(const ClientConnection& client, Exchange& ex, const Endpoint*& endpoint) {
  if (const Fault fault = pick_endpoint(client, ex, endpoint); fault != Fault::None) {
    return fault;
  }
  prepare_upstream_request(client, ex);
  if (!ex.policy->mirrors.empty() || ex.policy->url_mirror) {
    send_mirrors(client, ex);
  }
  return Fault::None;
}

}  // namespace

Fault plan_exchange(const ClientConnection& client, Exchange& ex, bool upgrade_without_body,
                    const Endpoint*& endpoint) {
  if (const Fault fault =
          vet_request_head(ex.request, upgrade_without_body, client.worker.settings(), ex.target);
      fault != Fault::None) {
    return fault;
  }
  if (const Fault fault = route_request(client, ex); fault != Fault::None) {
    return fault;
  }
  if (ex.policy->external_auth) {
    if (!ex.granted_by_address) {
      return Fault::AuthPending;
    }
    // No auth service was asked: the headers it would set are nobody's, never the client's.
    for (const auto& name : ex.policy->external_auth->response_headers) {
      ex.request.erase(name);
    }
  }
  return choose_upstream(client, ex, endpoint);
}

Awaitable<Fault> plan_after_external_auth(const ClientConnection& client, Exchange& ex,
                                          Deadline& deadline, const Endpoint*& endpoint) {
  if (const Fault fault = co_await ask_external_auth(client, ex, deadline); fault != Fault::None) {
    co_return fault;
  }
  co_return choose_upstream(client, ex, endpoint);
}

namespace {

// nginx's add_header: only on 2xx and 3xx answers, unless "always".
void add_auth_cookies(const Exchange& ex, unsigned status, HeaderFields& fields) {
  if (ex.auth_cookies_always || (status >= 200 && status < 400)) {
    for (const auto& cookie : ex.auth_cookies) {
      fields.insert(http::field::set_cookie, cookie);
    }
  }
}

// Strict-Transport-Security on an answer to HTTPS: the global ConfigMap's, else the flag's.
void add_hsts(const ClientConnection& client, const Exchange& ex, HeaderFields& fields) {
  if (!ex.origin.https) {
    return;
  }
  const std::string& value = ex.snapshot && ex.snapshot->global->hsts
                                 ? *ex.snapshot->global->hsts
                                 : client.worker.settings().hsts_header;
  if (!value.empty()) {
    fields.set(http::field::strict_transport_security, value);
  }
}

// add-headers (the global ConfigMap's), then the route's own response headers (custom-headers,
// a ResponseHeaderModifier), which win: on every answer, the backend's or Portico's own, as
// nginx's more_set_headers does.
void add_configured_headers(const Exchange& ex, HeaderFields& fields) {
  if (ex.snapshot) {
    for (const auto& [name, value] : ex.snapshot->global->response_headers) {
      fields.set(name, value);
    }
  }
  if (ex.policy != nullptr && ex.policy->response_header_edits) {
    apply_header_edits(*ex.policy->response_header_edits, fields);
  }
}

// proxy-redirect-from/-to: the prefix `from` of a URL header's value (after `after` in it:
// Refresh's "5; url=") becomes `to`, expanded for this request.
void rewrite_redirect(const Exchange& ex, const ProxyRedirect& redirect, ResponseHeader& response) {
  const RequestVariables request = request_variables(ex);
  // nginx's proxy_redirect rewrites these two.
  for (const auto& [field, after] :
       {std::pair<std::string_view, std::string_view>{"Location", ""},
        std::pair<std::string_view, std::string_view>{"Refresh", "url="}}) {
    const auto found = response.find(field);
    if (found == response.end()) {
      continue;
    }
    const std::string_view value = found->value();
    const std::size_t start = after.empty() ? 0 : value.find(after);
    if (start == std::string_view::npos) {
      continue;
    }
    const std::size_t url = start + after.size();
    if (value.substr(url).starts_with(redirect.from)) {
      response.set(field, std::string(value.substr(0, url)) + redirect.to.expand(request) +
                              std::string(value.substr(url + redirect.from.size())));
    }
  }
}

}  // namespace

RequestVariables request_variables(const Exchange& ex) {
  const auto host = ex.request[http::field::host];
  const auto target = ex.request.target();
  return {.scheme = ex.origin.https ? "https" : "http",
          .host = ex.target.host,
          .http_host = ex.as_sent ? std::string_view(ex.as_sent->host)
                                  : std::string_view(host.data(), host.size()),
          .request_uri = ex.as_sent ? std::string_view(ex.as_sent->target)
                                    : std::string_view(target.data(), target.size())};
}

void prepare_response_head(const ClientConnection& client, const Exchange& ex,
                           ResponseHeader& response) {
  const auto& settings = client.worker.settings();
  strip_hop_by_hop(response);
  response.set(http::field::server, settings.server_header);
  for (const auto& [field, value] : ex.response_headers) {
    response.insert(field, value);
  }
  add_auth_cookies(ex, response.result_int(), response);
  add_hsts(client, ex, response);
  add_configured_headers(ex, response);
  if (ex.policy != nullptr && ex.policy->proxy_redirect) {
    rewrite_redirect(ex, *ex.policy->proxy_redirect, response);
  }
}

LocalReply local_reply(const ClientConnection& client, Exchange& ex, unsigned status) {
  const auto& settings = client.worker.settings();
  LocalReply reply{static_cast<http::status>(status), 11};
  reply.set(http::field::server, settings.server_header);
  add_hsts(client, ex, reply);
  for (const auto& [field, value] : ex.response_headers) {
    reply.insert(field, value);
  }
  add_auth_cookies(ex, status, reply);
  add_configured_headers(ex, reply);
  ex.status = status;
  ex.response_started = true;
  if (ex.grpc && status >= 300) {
    // gRPC clients read the outcome from grpc-status, never from the HTTP status.
    reply.result(http::status::ok);
    reply.set(http::field::content_type, "application/grpc");
    reply.set("grpc-status", std::to_string(grpc_status_for(status)));
    reply.set("grpc-message",
              std::to_string(status) + ' ' +
                  std::string(http::obsolete_reason(static_cast<http::status>(status))));
    reply.content_length(0);
    return reply;
  }
  if (ex.error_page) {
    if (!ex.error_page->content_type.empty()) {
      reply.set(http::field::content_type, ex.error_page->content_type);
    }
    reply.body() = std::move(ex.error_page->body);
  } else if (status != 204) {
    reply.set(http::field::content_type, "text/plain; charset=utf-8");
    reply.body() = !ex.local_body.empty()
                       ? std::string(ex.local_body)
                       : std::to_string(status) + ' ' +
                             std::string(http::obsolete_reason(reply.result())) + '\n';
  }
  reply.prepare_payload();
  if (ex.head) {
    reply.body().clear();  // the length stays: it is what a GET would have returned
  }
  ex.response_bytes = reply.body().size();
  return reply;
}

void finish_exchange(const ClientConnection& client, const Exchange& ex, Fault fault) {
  auto& stats = client.worker.stats();
  const unsigned status = ex.status != 0 ? ex.status : status_for(fault);
  ++stats.requests_by_protocol[static_cast<std::size_t>(ex.protocol)];
  const bool routed = ex.route.action != nullptr;
  stats.count_request(routed ? std::string_view(ex.route.action->ingress) : "",
                      routed && ex.route.host.empty() ? "*" : ex.route.host, status,
                      std::chrono::duration<double>(Clock::now() - ex.started).count());
  if (ex.cluster != nullptr &&
      (fault == Fault::UpstreamBroken || fault == Fault::UpstreamUnreachable ||
       fault == Fault::UpstreamTimeout)) {
    ++WorkerStats::entry(stats.services, ex.cluster->name).upstream_errors;
  }
  if (client.worker.settings().access_log) {
    write_access_log(ex, status);
  }
  if (status >= 400 && fault != Fault::ClientGone && log::enabled(log::Level::Debug)) {
    log::debug("proxy", "request failed",
               {{"host", std::string(ex.target.host)},
                {"status", std::to_string(status)},
                {"cluster", ex.cluster ? ex.cluster->name : std::string()}});
  }
}

const Endpoint* endpoint_after_connect_failure(Worker& worker, const Exchange& ex,
                                               const Endpoint& failed, bool retried) {
  auto& balancer = worker.balancer();
  balancer.report_connect_failure(failed, Clock::now());
  const Endpoint* other = retried ? &failed : balancer.pick(*ex.cluster, Clock::now(), &failed);
  if (other == &failed) {
    return nullptr;
  }
  count_retry(worker, ex);
  return other;
}

void count_retry(Worker& worker, const Exchange& ex) {
  auto& stats = worker.stats();
  ++stats.upstream_retries;
  ++WorkerStats::entry(stats.services, ex.cluster->name).retries;
}

}  // namespace portico
