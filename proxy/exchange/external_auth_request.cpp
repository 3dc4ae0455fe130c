#include "proxy/exchange/external_auth_request.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>

#include "proxy/common/log.hpp"
#include "proxy/exchange/forwarding.hpp"
#include "proxy/exchange/request_pipeline.hpp"
#include "proxy/exchange/request_values.hpp"
#include "proxy/exchange/side_request.hpp"

namespace portico {
namespace {

// The auth request: the client's headers (hop-by-hop ones aside), then ingress-nginx's own.
SideRequest auth_request(const Exchange& ex, const ExternalAuth& auth,
                         const RequestVariables& request, const std::string& host,
                         const std::string& target) {
  SideRequest out;
  out.method_string(auth.method.empty() ? "GET" : auth.method);
  out.target(target);
  out.version(11);
  for (const auto& field : ex.request) {
    out.insert(field.name_string(), field.value());
  }
  strip_hop_by_hop(out);
  for (const auto field : {http::field::content_length, http::field::transfer_encoding,
                           http::field::expect, http::field::host}) {
    out.erase(field);
  }
  out.erase("X-Forwarded-Proto");
  out.set(http::field::host, host);
  if (!auth.method.empty()) {
    out.set("X-Original-URI", request.request_uri);
    out.set("X-Scheme", request.scheme);
  }
  out.set("X-Original-URL", std::string(request.scheme) + "://" + std::string(request.http_host) +
                                std::string(request.request_uri));
  out.set("X-Original-Method", ex.request.method_string());
  out.set("X-Sent-From", "nginx-ingress-controller");  // what auth services check for
  out.set("X-Real-IP", ex.origin.address);
  out.set("X-Forwarded-For", ex.origin.address);
  out.set("X-Auth-Request-Redirect", auth.request_redirect ? auth.request_redirect->expand(request)
                                                           : std::string(request.request_uri));
  out.keep_alive(true);
  return out;
}

// auth-cache-key: the answer is kept per host, path and auth URL (ingress-nginx keeps one per
// Ingress path rule: never sharing across paths asks a little more often, never less), and
// by the text the key makes of this request.
std::string cache_key_of(const Exchange& ex, const AuthCaching& caching, std::string_view url) {
  std::string key;
  key.append(ex.target.host).append("\n").append(ex.target.path()).append("\n");
  key.append(url).append("\n");
  for (const auto& part : caching.key) {
    key.append(part.value ? hash_key_value(*part.value, ex.request, ex.target, ex.origin.address)
                          : std::string_view(part.text));
  }
  return key;
}

// How long `response` may be kept, as nginx's proxy_cache decides: only GET and HEAD asks,
// never an answer that sets a cookie or says not to (Cache-Control no-store, no-cache,
// private; Vary: *); else by its status. 0: not kept.
std::chrono::seconds keep_for(const ExternalAuth& auth, const http::response_header<>& response) {
  const bool get_or_head = auth.method.empty() || auth.method == "GET" || auth.method == "HEAD";
  const auto cache_control = response[http::field::cache_control];
  const bool refused = response.count(http::field::set_cookie) > 0 ||
                       response[http::field::vary] == "*" ||
                       cache_control.find("no-store") != std::string_view::npos ||
                       cache_control.find("no-cache") != std::string_view::npos ||
                       cache_control.find("private") != std::string_view::npos;
  return get_or_head && !refused ? auth.caching->ttl_for(response.result_int())
                                 : std::chrono::seconds(0);
}

// What Portico reads of the service's answer.
AuthAnswer answer_of(const ExternalAuth& auth, const http::response_header<>& response) {
  AuthAnswer out{.status = response.result_int()};
  for (const auto& name : auth.response_headers) {
    if (const auto value = response[name]; !value.empty()) {
      out.headers.emplace_back(name, value);
    }
  }
  if (const auto challenge = response[http::field::www_authenticate]; !challenge.empty()) {
    out.headers.emplace_back("WWW-Authenticate", challenge);
  }
  return out;
}

// The request goes on, or gets its answer, as the service said.
Fault follow(Exchange& ex, const ExternalAuth& auth, const RequestVariables& request,
             const AuthAnswer& answer, const std::string& service) {
  const unsigned status = answer.status;
  if (status >= 200 && status < 300) {
    for (const auto& name : auth.response_headers) {
      const auto value = answer.header(name);
      ex.request.erase(name);
      if (!value.empty()) {
        ex.request.set(name, value);
      }
    }
    return Fault::None;
  }
  if (status == 401 && auth.signin) {
    ex.fault_status = 302;
    ex.response_headers.emplace_back(http::field::location, auth.signin_location(request));
    return Fault::Redirect;
  }
  if (status == 401) {
    if (const auto challenge = answer.header("WWW-Authenticate"); !challenge.empty()) {
      ex.response_headers.emplace_back(http::field::www_authenticate, std::string(challenge));
    }
    return Fault::Unauthorized;
  }
  if (status == 403) {
    return Fault::Forbidden;
  }
  log::warn("proxy", "external auth: the auth service answered neither yes nor no; answering 500",
            {{"auth", service}, {"status", std::to_string(status)}});
  return Fault::AuthUnavailable;
}

}  // namespace

Awaitable<Fault> ask_external_auth(const ClientConnection& client, Exchange& ex,
                                   Deadline& deadline) {
  const ExternalAuth& auth = *ex.policy->external_auth;
  const RequestVariables request = request_variables(ex);
  const std::string host = auth.url.host.expand(request);
  const std::string target = auth.url.target.expand(request);
  const std::string service = host + ":" + std::to_string(auth.url.port);
  ex.auth_cookies_always = auth.always_set_cookie;
  std::string cache_key;
  if (auth.caching) {
    cache_key = cache_key_of(ex, *auth.caching, service + target);
    if (const AuthAnswer* kept =
            client.worker.auth_answers().find(cache_key, AuthAnswers::Clock::now())) {
      ++client.worker.stats().auth_cache_hits;
      co_return follow(ex, auth, request, *kept, service);
    }
  }
  const auto endpoint = co_await resolve_host(client.worker, host, auth.url.port);
  if (!endpoint) {
    co_return Fault::AuthUnavailable;
  }
  auto subrequest = auth_request(ex, auth, request, host, target);
  const auto answer =
      co_await send_side_request(client.worker, *endpoint, auth.url.tls, host, subrequest,
                                 {ex.connect_timeout, ex.send_timeout, ex.read_timeout}, deadline);
  if (!answer) {
    log::warn("proxy", "external auth: no answer from the auth service; answering 500",
              {{"auth", service}});
    co_return Fault::AuthUnavailable;
  }
  for (const auto& field : *answer) {
    if (field.name() == http::field::set_cookie) {
      ex.auth_cookies.emplace_back(field.value());
    }
  }
  AuthAnswer read = answer_of(auth, *answer);
  const Fault fault = follow(ex, auth, request, read, service);
  if (auth.caching) {
    if (const auto ttl = keep_for(auth, *answer); ttl.count() > 0) {
      client.worker.auth_answers().keep(std::move(cache_key), std::move(read),
                                        AuthAnswers::Clock::now() + ttl);
    }
  }
  co_return fault;
}

}  // namespace portico
