#include "proxy/exchange/external_auth_request.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>

#include "proxy/common/log.hpp"
#include "proxy/exchange/forwarding.hpp"
#include "proxy/exchange/side_request.hpp"

namespace portico {
namespace {

// The auth request: the client's headers (hop-by-hop ones aside), then ingress-nginx's own.
http::request<http::empty_body> auth_request(const Exchange& ex, const ExternalAuth& auth,
                                             const RequestVariables& request,
                                             const std::string& host, const std::string& target) {
  http::request<http::empty_body> out;
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

}  // namespace

net::awaitable<Fault> ask_external_auth(const ClientConnection& client, Exchange& ex,
                                        Deadline& deadline) {
  const ExternalAuth& auth = *ex.policy->external_auth;
  const auto host_header = ex.request[http::field::host];
  const RequestVariables request{
      .scheme = ex.origin.https ? "https" : "http",
      .host = ex.target.host,
      .http_host = {host_header.data(), host_header.size()},
      .request_uri = {ex.request.target().data(), ex.request.target().size()}};
  const std::string host = auth.url.host.expand(request);
  const auto endpoint = co_await resolve_host(client.worker, host, auth.url.port);
  if (!endpoint) {
    co_return Fault::AuthUnavailable;
  }
  auto subrequest = auth_request(ex, auth, request, host, auth.url.target.expand(request));
  const auto answer =
      co_await send_side_request(client.worker, *endpoint, auth.url.tls, host, subrequest,
                                 {ex.connect_timeout, ex.send_timeout, ex.read_timeout}, deadline);
  if (!answer) {
    log::warn("proxy", "external auth: no answer from the auth service; answering 500",
              {{"auth", host + ":" + std::to_string(auth.url.port)}});
    co_return Fault::AuthUnavailable;
  }
  const auto& response = *answer;
  for (const auto& field : response) {
    if (field.name() == http::field::set_cookie) {
      ex.auth_cookies.emplace_back(field.value());
    }
  }
  ex.auth_cookies_always = auth.always_set_cookie;
  const unsigned status = response.result_int();
  if (status >= 200 && status < 300) {
    for (const auto& name : auth.response_headers) {
      const auto value = response[name];
      ex.request.erase(name);
      if (!value.empty()) {
        ex.request.set(name, value);
      }
    }
    co_return Fault::None;
  }
  if (status == 401 && auth.signin) {
    ex.fault_status = 302;
    ex.response_headers.emplace_back(http::field::location, auth.signin_location(request));
    co_return Fault::Redirect;
  }
  if (status == 401) {
    if (const auto challenge = response[http::field::www_authenticate]; !challenge.empty()) {
      ex.response_headers.emplace_back(http::field::www_authenticate, std::string(challenge));
    }
    co_return Fault::Unauthorized;
  }
  if (status == 403) {
    co_return Fault::Forbidden;
  }
  log::warn(
      "proxy", "external auth: the auth service answered neither yes nor no; answering 500",
      {{"auth", host + ":" + std::to_string(auth.url.port)}, {"status", std::to_string(status)}});
  co_return Fault::AuthUnavailable;
}

}  // namespace portico
