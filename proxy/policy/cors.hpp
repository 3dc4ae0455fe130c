#pragma once
// CORS as ingress-nginx's enable-cors does it: a preflight (OPTIONS with an allowed Origin)
// is answered 204 by the proxy; other requests from an allowed Origin get the
// Access-Control-* headers added to the upstream's response. Immutable once built.
#include <boost/beast/http/field.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace portico {

using ExtraHeaders = std::vector<std::pair<boost::beast::http::field, std::string>>;

struct CorsPolicy {
  std::vector<std::string> origins;  // "https://a.com", "https://*.a.com"; empty: any origin
  std::string methods = "GET, PUT, POST, DELETE, PATCH, OPTIONS";
  std::string headers =
      "DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,"
      "Range,Authorization";
  std::string expose_headers;
  bool credentials = true;
  long max_age_seconds = 1728000;
  bool operator==(const CorsPolicy&) const = default;

  // The headers for a request from `origin` ("" when it sent none): nothing when the origin
  // is absent or not allowed. `preflight` adds what only a preflight answer carries.
  void add_headers(std::string_view origin, bool preflight, ExtraHeaders& out) const;
};

// "https://*.example.com" admits "https://a.example.com" and "https://a.b.example.com".
bool origin_matches(std::string_view pattern, std::string_view origin) noexcept;

}  // namespace portico
