#include "proxy/route/route_table.hpp"

#include <algorithm>

namespace portico {
namespace {

std::string_view without_trailing_slashes(std::string_view path) {
  while (!path.empty() && path.back() == '/') {
    path.remove_suffix(1);
  }
  return path;
}

}  // namespace

Expected<bool> VirtualHost::add_regex(std::string_view pattern, RouteAction action) {
  if (find(PathMatch::Regex, pattern) != nullptr) {
    return false;
  }
  auto regex = PathRegex::compile(pattern);
  if (!regex) {
    return fail(regex.error());
  }
  const auto position = std::find_if(regex_.begin(), regex_.end(), [&](const RegexRule& rule) {
    return rule.pattern.size() < pattern.size();
  });
  regex_.insert(position, RegexRule{std::string(pattern), std::move(*regex), std::move(action)});
  return true;
}

bool VirtualHost::add(PathMatch match, std::string_view path, RouteAction action) {
  auto& rules = match == PathMatch::Exact ? exact_ : prefix_;
  const std::string_view key = match == PathMatch::Exact ? path : without_trailing_slashes(path);
  return rules.try_emplace(std::string(key), std::move(action)).second;
}

RouteAction* VirtualHost::find(PathMatch match, std::string_view path) {
  if (match == PathMatch::Regex) {
    const auto it = std::find_if(regex_.begin(), regex_.end(),
                                 [&](const RegexRule& rule) { return rule.pattern == path; });
    return it == regex_.end() ? nullptr : &it->action;
  }
  auto& rules = match == PathMatch::Exact ? exact_ : prefix_;
  const auto it =
      rules.find(match == PathMatch::Exact ? path : without_trailing_slashes(path));
  return it == rules.end() ? nullptr : &it->second;
}

const RouteAction* VirtualHost::match(std::string_view path,
                                      PathCaptures& captures) const noexcept {
  // An Exact rule for the whole path is at least as long as any Prefix that matches it, and
  // Exact wins ties, so it needs no comparison.
  if (!exact_.empty()) {
    if (const auto it = exact_.find(path); it != exact_.end()) {
      return &it->second;
    }
  }
  for (const auto& rule : regex_) {
    if (rule.regex.match(path, captures)) {
      return &rule.action;
    }
  }
  if (prefix_.empty()) {
    return nullptr;
  }
  // Try the path's element prefixes, longest first: "/a/b/" -> "/a/b", "/a", "".
  std::string_view candidate = without_trailing_slashes(path);
  for (;;) {
    if (const auto it = prefix_.find(candidate); it != prefix_.end()) {
      return &it->second;
    }
    if (candidate.empty()) {
      return nullptr;
    }
    candidate = without_trailing_slashes(candidate.substr(0, candidate.rfind('/')));
  }
}

VirtualHost& RouteTable::host(const std::string& host) {
  if (host.empty()) {
    if (!no_host_) {
      no_host_.emplace("");
    }
    return *no_host_;
  }
  if (host.starts_with("*.")) {
    return wildcard_hosts_.try_emplace(host.substr(2), host).first->second;
  }
  return exact_hosts_.try_emplace(host, host).first->second;
}

const VirtualHost* RouteTable::select_host(std::string_view host) const noexcept {
  if (const auto it = exact_hosts_.find(host); it != exact_hosts_.end()) {
    return &it->second;
  }
  // A wildcard covers exactly one label: "*.example.com" takes "a.example.com" only.
  if (const auto dot = host.find('.'); dot != std::string_view::npos && dot > 0) {
    if (const auto it = wildcard_hosts_.find(host.substr(dot + 1)); it != wildcard_hosts_.end()) {
      return &it->second;
    }
  }
  return no_host_ ? &*no_host_ : nullptr;
}

RouteMatch RouteTable::match(std::string_view host, std::string_view path) const noexcept {
  const VirtualHost* vhost = select_host(host);
  // No fall-through: once a host is selected, only its rules or the default backend apply.
  if (vhost != nullptr) {
    RouteMatch found;
    if ((found.action = vhost->match(path, found.captures)) != nullptr) {
      found.host = vhost->name();
      return found;
    }
  }
  if (default_backend_) {
    return {&*default_backend_, {}};
  }
  return {};
}

}  // namespace portico
