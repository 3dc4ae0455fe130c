#include "proxy/exchange/request_values.hpp"

#include <algorithm>
#include <boost/beast/core/string.hpp>

#include "proxy/common/text.hpp"

namespace portico {

namespace http = boost::beast::http;

std::string_view find_cookie(const RequestHeader& head, std::string_view name) {
  std::string_view found;
  head.for_each_value(http::field::cookie, [&](std::string_view cookies) {
    if (found.empty()) {
      for_each_item(cookies, ';', [&](std::string_view pair) {
        if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=') {
          found = pair.substr(name.size() + 1);
          return false;
        }
        return true;
      });
    }
  });
  return found;
}

std::string_view find_query_argument(std::string_view target, std::string_view name) {
  const auto question = target.find('?');
  return question == std::string_view::npos
             ? std::string_view()
             : query_parameter(target.substr(question + 1), name).value_or(std::string_view());
}

std::string_view hash_key_value(const HashKey& key, const RequestHeader& head,
                                const RequestHead& target, std::string_view client_address) {
  using Source = HashKey::Source;
  switch (key.source) {
    case Source::RemoteAddress:
      return client_address;
    case Source::RequestUri:
      return {head.target().data(), head.target().size()};
    case Source::Uri:
      return target.path();
    case Source::Host:
      return target.host;
    case Source::Header: {
      const auto value = head[key.name];
      return {value.data(), value.size()};
    }
    case Source::Cookie:
      return find_cookie(head, key.name);
    case Source::QueryArgument:
      return find_query_argument({head.target().data(), head.target().size()}, key.name);
    case Source::RemoteUser: {
      // The Basic credentials as sent: they name the user (and its password), with no decoding.
      const auto value = head[http::field::authorization];
      const std::string_view credentials(value.data(), value.size());
      return credentials.size() > 6 && boost::beast::iequals(credentials.substr(0, 6), "Basic ")
                 ? credentials.substr(6)
                 : std::string_view();
    }
  }
  return {};
}

std::optional<bool> canary_by_request(const Canary& canary, const RequestHeader& head) {
  if (!canary.header.empty()) {
    const auto field = head.find(canary.header);
    const std::string_view value = field == head.end() ? std::string_view() : field->value();
    if (!canary.header_value.empty()) {
      if (value == canary.header_value) {
        return true;
      }
    } else if (canary.header_pattern) {
      PathCaptures ignored;
      if (field != head.end() && canary.header_pattern->match(value, ignored)) {
        return true;
      }
    } else if (value == "always" || value == "never") {
      return value == "always";
    }
  }
  if (!canary.cookie.empty()) {
    const auto value = find_cookie(head, canary.cookie);
    if (value == "always" || value == "never") {
      return value == "always";
    }
  }
  return std::nullopt;
}

bool takes_canary(const Canary& canary, const RequestHeader& head, LoadBalancer& balancer) {
  const auto decided = canary_by_request(canary, head);
  return decided ? *decided : balancer.chance(canary.weight, canary.weight_total);
}

std::string_view HeadFacts::query() const noexcept {
  const std::string_view query =
      std::string_view(target_.upstream_target).substr(target_.path_length);
  return query.empty() ? query : query.substr(1);  // without '?'
}

std::string upstream_target_for(const RoutePolicy& policy, const RequestHead& target,
                                const PathCaptures& captures) {
  if (policy.path_rewrite) {
    return policy.path_rewrite->apply(target.path()) +
           std::string(std::string_view(target.upstream_target).substr(target.path_length));
  }
  if (!policy.rewrite_target) {
    return target.upstream_target;
  }
  std::string out = substitute_captures(*policy.rewrite_target, target.path(), captures);
  const std::string_view query =
      std::string_view(target.upstream_target).substr(target.path_length);
  if (query.size() > 1) {
    out += out.find('?') == std::string::npos ? query : "&" + std::string(query.substr(1));
  }
  return out;
}

std::string https_location(const RequestHead& target, std::uint16_t https_port) {
  return "https://" + std::string(target.host) +
         (https_port == 443 || https_port == 0 ? "" : ":" + std::to_string(https_port)) +
         target.upstream_target;
}

namespace {

// The Gateway API specification's rules: a redirect that changes the scheme but names no port
// goes to the scheme's own port; one that changes neither keeps the listener's.
std::uint16_t redirect_port(const GatewayRedirect& redirect, bool tls, std::uint16_t scheme_port) {
  if (redirect.port) {
    return *redirect.port;
  }
  if (!redirect.scheme.empty()) {
    return scheme_port;
  }
  return tls ? redirect.https_port : redirect.http_port;
}

// An unset part of the Location is the request's; the port is left out when it is the
// scheme's own.
std::string gateway_location(const GatewayRedirect& redirect, bool tls, const RequestHead& target) {
  const std::string scheme =
      !redirect.scheme.empty() ? redirect.scheme : std::string(tls ? "https" : "http");
  const std::uint16_t default_port = scheme == "https" ? 443 : 80;
  const std::uint16_t port = redirect_port(redirect, tls, default_port);
  const std::string_view query =
      std::string_view(target.upstream_target).substr(target.path_length);
  return scheme + "://" +
         (redirect.hostname.empty() ? std::string(target.host) : redirect.hostname) +
         (port == default_port ? "" : ":" + std::to_string(port)) +
         (redirect.path ? redirect.path->apply(target.path()) : std::string(target.path())) +
         std::string(query);
}

}  // namespace

PolicyAnswer policy_answer(const RoutePolicy& policy, bool tls, const RequestHead& target,
                           std::string_view host_header, std::string_view request_uri,
                           std::uint16_t https_port) {
  if (policy.fail_closed) {
    return {Fault::Misconfigured, 0, ""};
  }
  if (policy.redirect) {
    return {Fault::Redirect, policy.redirect->status,
            policy.redirect->location.expand({.scheme = tls ? "https" : "http",
                                              .host = target.host,
                                              .http_host = host_header,
                                              .request_uri = request_uri})};
  }
  if (policy.gateway_redirect) {
    return {Fault::Redirect, policy.gateway_redirect->status,
            gateway_location(*policy.gateway_redirect, tls, target)};
  }
  if (!tls && policy.force_ssl_redirect) {
    return {Fault::Redirect, 308, https_location(target, https_port)};
  }
  if (!policy.app_root.empty() && target.path() == "/") {
    return {Fault::Redirect, 302,
            std::string(tls ? "https://" : "http://") + std::string(host_header) + policy.app_root};
  }
  return {};
}

AddressVerdict judge_address(const RoutePolicy& policy, const boost::asio::ip::address& client) {
  if (policy.denied_sources && policy.denied_sources->contains(client)) {
    return AddressVerdict::Refused;
  }
  if (!policy.allowed_sources) {
    return AddressVerdict::CredentialsDecide;
  }
  const bool asks_credentials = policy.basic_auth || policy.external_auth;
  if (policy.allowed_sources->contains(client)) {
    return policy.satisfy_any && asks_credentials ? AddressVerdict::Granted
                                                  : AddressVerdict::CredentialsDecide;
  }
  return policy.satisfy_any && asks_credentials ? AddressVerdict::CredentialsDecide
                                                : AddressVerdict::Refused;
}

std::string sticky_cookie(const StickyCookie& cookie, const Endpoint& endpoint) {
  std::string out = cookie.name + "=" + LoadBalancer::affinity_token(endpoint) +
                    "; Path=" + (cookie.path.empty() ? std::string("/") : cookie.path);
  if (cookie.max_age) {
    out += "; Max-Age=" + std::to_string(cookie.max_age->count());
  }
  if (cookie.secure) {
    out += "; Secure";
  }
  out += "; HttpOnly";
  if (!cookie.same_site.empty()) {
    out += "; SameSite=" + cookie.same_site;
  }
  return out;
}

}  // namespace portico
