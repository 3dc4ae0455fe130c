#pragma once
// ExternalAuth: auth-url and its companions, as ingress-nginx's template uses them. Before a
// request of the Ingress goes anywhere, Portico asks the auth service (a bodiless copy of the
// request's headers, plus X-Original-URL and friends): 2xx lets it through, with the
// auth-response-headers copied onto the request; 401 is answered 401, or with a redirect to
// auth-signin; 403 is answered 403; anything else, or no answer, is 500. URLs may hold the
// nginx variables VariableText knows, expanded per request.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proxy/policy/hash_key.hpp"
#include "proxy/policy/service_url.hpp"
#include "proxy/policy/variable_text.hpp"

namespace portico {

// auth-cache-key and auth-cache-duration: answers of the auth service kept (per worker) for a
// while, by the text `key` makes of the request, as ingress-nginx's proxy_cache keeps them.
struct AuthCaching {
  // Literal text, or a request value (`value` set), joined in order.
  struct Part {
    std::string text;
    std::optional<HashKey> value;
    bool operator==(const Part&) const = default;
  };
  // nginx's proxy_cache_valid: answers with one of `statuses` (none listed: 200, 301 and 302)
  // are kept `ttl`; the first rule that lists a status decides.
  struct Rule {
    std::vector<unsigned> statuses;
    bool any = false;  // "any": every status
    std::chrono::seconds ttl{0};
    bool operator==(const Rule&) const = default;
  };
  std::vector<Part> key;
  std::vector<Rule> rules;
  bool operator==(const AuthCaching&) const = default;

  // How long an answer with `status` is kept; 0: not kept.
  std::chrono::seconds ttl_for(unsigned status) const;
};

struct ExternalAuth {
  ServiceUrl url;                      // auth-url
  std::string method;                  // auth-method; "" (GET, without X-Original-URI and X-Scheme)
  std::optional<VariableText> signin;  // auth-signin: where a 401 is redirected
  std::string redirect_param = "rd";   // auth-signin-redirect-param
  std::vector<std::string> response_headers;     // auth-response-headers
  std::optional<VariableText> request_redirect;  // auth-request-redirect
  bool always_set_cookie = false;                // auth-always-set-cookie
  std::optional<AuthCaching> caching;            // auth-cache-key
  bool operator==(const ExternalAuth&) const = default;

  // The Location of a redirect to auth-signin: with `redirect_param` set to the request's
  // URL unless the sign-in URL sets it already (ingress-nginx's buildAuthSignURL).
  std::string signin_location(const RequestVariables& request) const;
};

}  // namespace portico
