#include "proxy/policy/external_auth.hpp"

#include <algorithm>

namespace portico {

std::chrono::seconds AuthCaching::ttl_for(unsigned status) const {
  for (const Rule& rule : rules) {
    const auto& listed = rule.statuses;
    const bool applies =
        rule.any ||
        (listed.empty() ? status == 200 || status == 301 || status == 302
                        : std::find(listed.begin(), listed.end(), status) != listed.end());
    if (applies) {
      return rule.ttl;
    }
  }
  return std::chrono::seconds(0);
}

std::string ExternalAuth::signin_location(const RequestVariables& request) const {
  std::string location = signin->expand(request);
  const auto question = location.find('?');
  if (question != std::string::npos) {
    // Already set by the sign-in URL itself: left as it is.
    std::string_view query = std::string_view(location).substr(question + 1);
    while (!query.empty()) {
      const auto argument = query.substr(0, query.find('&'));
      if (argument.starts_with(redirect_param + "=") &&
          argument.size() > redirect_param.size() + 1) {
        return location;
      }
      query.remove_prefix(std::min(query.size(), argument.size() + 1));
    }
  }
  return location + (question == std::string::npos ? "?" : "&") + redirect_param + "=" +
         std::string(request.scheme) + "://" + std::string(request.http_host) +
         escape_uri_component(request.request_uri);
}

}  // namespace portico
