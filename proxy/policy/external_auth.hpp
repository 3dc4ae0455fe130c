#pragma once
// ExternalAuth: auth-url and its companions, as ingress-nginx's template uses them. Before a
// request of the Ingress goes anywhere, Portico asks the auth service (a bodiless copy of the
// request's headers, plus X-Original-URL and friends): 2xx lets it through, with the
// auth-response-headers copied onto the request; 401 is answered 401, or with a redirect to
// auth-signin; 403 is answered 403; anything else, or no answer, is 500. Values may hold
// nginx variables ($host, $escaped_request_uri, $http_NAME...), expanded per request.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/common/expected.hpp"

namespace portico {

// The request's fields a variable may name ($http_NAME, $cookie_NAME, $arg_NAME): the
// first value, or "".
class RequestFields {
 public:
  virtual std::string_view header(std::string_view name) const = 0;
  virtual std::string_view cookie(std::string_view name) const = 0;
  virtual std::string_view argument(std::string_view name) const = 0;

 protected:
  ~RequestFields() = default;
};

// What a variable may read: the request as the client sent it.
struct RequestVariables {
  std::string_view scheme;       // "http" or "https"
  std::string_view host;         // normalized, no port
  std::string_view http_host;    // the Host header as sent
  std::string_view request_uri;  // the target as sent, with its query
  std::string_view uri;          // the normalized path
  std::string_view method;
  std::string_view remote_addr;
  const RequestFields* fields = nullptr;
};

// Text with nginx variables in it ("https://$host/oauth2/start?rd=$escaped_request_uri").
class VariableText {
 public:
  // Fails on a variable Portico does not know (naming it).
  static Expected<VariableText> parse(std::string_view text);
  std::string expand(const RequestVariables& request) const;
  bool has_variables() const noexcept {
    return parts_.size() != 1 || parts_[0].kind != Kind::Literal;
  }
  bool operator==(const VariableText&) const = default;

 private:
  enum class Kind {
    Literal,
    Scheme,
    Host,
    HttpHost,
    RequestUri,
    EscapedRequestUri,
    Uri,
    Args,
    Method,
    RemoteAddr,
    Header,
    Cookie,
    Argument
  };
  struct Part {
    Kind kind = Kind::Literal;
    std::string text;  // the literal, or the header/cookie/argument name
    bool operator==(const Part&) const = default;
  };
  std::vector<Part> parts_;
};

struct ExternalAuth {
  bool tls = false;   // an https:// auth-url
  VariableText host;  // the URL's host (a name or an address; may be a variable)
  std::uint16_t port = 80;
  VariableText target;                 // the URL's path and query
  std::string method;                  // auth-method; "" (GET, without X-Original-URI and X-Scheme)
  std::optional<VariableText> signin;  // auth-signin: where a 401 is redirected
  std::string redirect_param = "rd";   // auth-signin-redirect-param
  std::vector<std::string> response_headers;     // auth-response-headers
  std::optional<VariableText> request_redirect;  // auth-request-redirect
  bool always_set_cookie = false;                // auth-always-set-cookie
  bool operator==(const ExternalAuth&) const = default;

  // An auth-url: http:// or https://, a host, an optional port, a path. Fails with the reason.
  static Expected<ExternalAuth> from_url(std::string_view url);
  // The Location of a redirect to auth-signin: with `redirect_param` set to the request's
  // URL unless the sign-in URL sets it already (ingress-nginx's buildAuthSignURL).
  std::string signin_location(const RequestVariables& request) const;
};

// `text` with every byte but RFC 3986's unreserved ones percent-encoded (nginx's
// set_escape_uri, which $escaped_request_uri is made with).
std::string escape_uri_component(std::string_view text);

}  // namespace portico
