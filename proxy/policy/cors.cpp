#include "proxy/policy/cors.hpp"

#include <algorithm>

namespace portico {

namespace http = boost::beast::http;

bool origin_matches(std::string_view pattern, std::string_view origin) noexcept {
  const auto star = pattern.find("://*.");
  if (star == std::string_view::npos) {
    return pattern.size() == origin.size() &&
           std::equal(pattern.begin(), pattern.end(), origin.begin(),
                      [](char a, char b) { return std::tolower(a) == std::tolower(b); });
  }
  const auto scheme = pattern.substr(0, star + 3);  // "https://"
  const auto suffix = pattern.substr(star + 4);     // ".example.com"
  return origin.size() > scheme.size() + suffix.size() && origin.starts_with(scheme) &&
         origin.ends_with(suffix);
}

void CorsPolicy::add_headers(std::string_view origin, bool preflight, ExtraHeaders& out) const {
  if (origin.empty()) {
    return;
  }
  const bool any = origins.empty();
  if (!any && std::none_of(origins.begin(), origins.end(), [&](const std::string& pattern) {
        return origin_matches(pattern, origin);
      })) {
    return;
  }
  // "*" cannot carry credentials (browsers refuse it), so a credentialed answer names the origin.
  const bool echo_origin = !any || credentials;
  out.emplace_back(http::field::access_control_allow_origin,
                   echo_origin ? std::string(origin) : std::string("*"));
  if (echo_origin) {
    out.emplace_back(http::field::vary, "Origin");
  }
  if (credentials) {
    out.emplace_back(http::field::access_control_allow_credentials, "true");
  }
  if (!expose_headers.empty()) {
    out.emplace_back(http::field::access_control_expose_headers, expose_headers);
  }
  if (preflight) {
    out.emplace_back(http::field::access_control_allow_methods, methods);
    out.emplace_back(http::field::access_control_allow_headers, headers);
    out.emplace_back(http::field::access_control_max_age, std::to_string(max_age_seconds));
  }
}

}  // namespace portico
