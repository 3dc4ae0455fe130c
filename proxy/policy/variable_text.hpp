#pragma once
// VariableText: a URL-valued annotation (auth-url, auth-signin, permanent-redirect...) with
// nginx variables in it, as ingress-nginx users write them: $scheme, $host, $best_http_host
// (the Host as the client sent it), $request_uri and $escaped_request_uri are expanded per
// request; any other "$" text is literal. Nothing else of nginx's variable language exists.
#include <string>
#include <string_view>
#include <vector>

namespace portico {

// What a variable may read: the request as the client sent it.
struct RequestVariables {
  std::string_view scheme;       // "http" or "https"
  std::string_view host;         // normalized, no port
  std::string_view http_host;    // the Host header as sent
  std::string_view request_uri;  // the target as sent, with its query
};

// "https://$host/oauth2/start?rd=$escaped_request_uri", parsed once, expanded per request.
class VariableText {
 public:
  static VariableText parse(std::string_view text);
  std::string expand(const RequestVariables& request) const;
  bool operator==(const VariableText&) const = default;

 private:
  enum class Kind { Literal, Scheme, Host, BestHttpHost, RequestUri, EscapedRequestUri };
  struct Part {
    Kind kind = Kind::Literal;
    std::string text;  // the literal
    bool operator==(const Part&) const = default;
  };
  std::vector<Part> parts_;
};

// `text` with every byte but RFC 3986's unreserved ones percent-encoded (nginx's
// set_escape_uri, which $escaped_request_uri is made with).
std::string escape_uri_component(std::string_view text);

}  // namespace portico
