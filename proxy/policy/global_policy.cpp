#include "proxy/policy/global_policy.hpp"

#include <boost/beast/core/string.hpp>

#include "proxy/common/text.hpp"

namespace portico {

Expected<UserAgentBlocklist> UserAgentBlocklist::parse(std::string_view list) {
  UserAgentBlocklist out;
  std::string problem;
  for_each_item(list, ',', [&](std::string_view entry) {
    if (entry.empty()) {
      return true;
    }
    if (!entry.starts_with('~')) {
      out.exact_.emplace_back(entry);  // compared ignoring case
      return true;
    }
    entry.remove_prefix(1);
    const bool caseless = entry.starts_with('*');
    if (caseless) {
      entry.remove_prefix(1);
    }
    auto regex =
        PathRegex::compile((caseless ? "(?i)" : "") + std::string(entry), RegexStyle::Search);
    if (!regex) {
      problem = regex.error();
      return false;
    }
    out.patterns_.push_back(std::move(*regex));
    return true;
  });
  if (!problem.empty()) {
    return fail(std::move(problem));
  }
  return out;
}

bool UserAgentBlocklist::blocks(std::string_view user_agent) const noexcept {
  for (const auto& exact : exact_) {
    if (boost::beast::iequals(exact, user_agent)) {
      return true;
    }
  }
  PathCaptures unused;
  for (const auto& pattern : patterns_) {
    if (pattern.match(user_agent, unused)) {
      return true;
    }
  }
  return false;
}

}  // namespace portico
