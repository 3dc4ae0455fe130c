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

// How an Exact or Prefix rule's path is stored and looked up: Prefix without trailing slashes.
std::string_view rule_key(PathMatch match, std::string_view path) {
  return match == PathMatch::Exact ? path : without_trailing_slashes(path);
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
  if (find(match, path) != nullptr) {
    return false;
  }
  rules_.push_back(PathRule{match, std::string(rule_key(match, path)), std::move(action)});
  if (rules_.size() == IndexedFrom) {
    index_ = std::make_unique<PathIndex>();
    for (std::uint32_t rule = 0; rule < rules_.size(); ++rule) {
      index(rule);
    }
  } else if (indexed()) {
    index(static_cast<std::uint32_t>(rules_.size() - 1));
  }
  return true;
}

void VirtualHost::index(std::uint32_t rule) {
  index_->paths(rules_[rule].match).try_emplace(rules_[rule].path, rule);
}

RouteAction* VirtualHost::find(PathMatch match, std::string_view path) {
  if (match == PathMatch::Regex) {
    const auto it = std::find_if(regex_.begin(), regex_.end(),
                                 [&](const RegexRule& rule) { return rule.pattern == path; });
    return it == regex_.end() ? nullptr : &it->action;
  }
  const std::string_view key = rule_key(match, path);
  if (indexed()) {
    const auto* rule = index_->paths(match).find(key);
    return rule == nullptr ? nullptr : &rules_[*rule].action;
  }
  const auto it = std::find_if(rules_.begin(), rules_.end(), [&](const PathRule& rule) {
    return rule.match == match && rule.path == key;
  });
  return it == rules_.end() ? nullptr : &it->action;
}

// One pass over a small host's rules: the Exact rule for the whole path if there is one, else
// (through `longest_prefix`) the longest Prefix rule whose path is a whole-element prefix.
const VirtualHost::PathRule* VirtualHost::scan(std::string_view path,
                                               const PathRule*& longest_prefix) const noexcept {
  const std::string_view trimmed = without_trailing_slashes(path);
  for (const auto& rule : rules_) {
    if (rule.match == PathMatch::Exact) {
      if (rule.path == path) {
        return &rule;
      }
    } else if (trimmed.starts_with(rule.path) &&
               (trimmed.size() == rule.path.size() || trimmed[rule.path.size()] == '/') &&
               (longest_prefix == nullptr || rule.path.size() > longest_prefix->path.size())) {
      longest_prefix = &rule;
    }
  }
  return nullptr;
}

// Tries the path's element prefixes, longest first: "/a/b/" -> "/a/b", "/a", "".
const RouteAction* VirtualHost::longest_indexed_prefix(std::string_view path) const noexcept {
  if (index_->prefix.empty()) {
    return nullptr;
  }
  std::string_view candidate = without_trailing_slashes(path);
  for (;;) {
    if (const auto* rule = index_->prefix.find(candidate)) {
      return &rules_[*rule].action;
    }
    if (candidate.empty()) {
      return nullptr;
    }
    candidate = without_trailing_slashes(candidate.substr(0, candidate.rfind('/')));
  }
}

const RouteAction* VirtualHost::match(std::string_view path,
                                      PathCaptures& captures) const noexcept {
  // An Exact rule for the whole path is at least as long as any Prefix that matches it, and
  // Exact wins ties, so it needs no comparison.
  const PathRule* longest_prefix = nullptr;
  if (!indexed()) {
    if (const PathRule* exact = scan(path, longest_prefix)) {
      return &exact->action;
    }
  } else if (const auto* rule = index_->exact.find(path)) {
    return &rules_[*rule].action;
  }
  for (const auto& rule : regex_) {
    if (rule.regex.match(path, captures)) {
      return &rule.action;
    }
  }
  if (!indexed()) {
    return longest_prefix == nullptr ? nullptr : &longest_prefix->action;
  }
  return longest_indexed_prefix(path);
}

VirtualHost& RouteTable::host(const std::string& host) {
  if (host.empty()) {
    if (!no_host_) {
      no_host_.emplace("");
    }
    return *no_host_;
  }
  if (host.starts_with("*.")) {
    return *wildcard_hosts_.try_emplace(std::string_view(host).substr(2), host).first;
  }
  return *exact_hosts_.try_emplace(host, host).first;
}

GatewayHost& RouteTable::gateway_host(const std::string& host) {
  if (host.empty()) {
    if (!gateway_any_) {
      gateway_any_.emplace("");
    }
    return *gateway_any_;
  }
  if (host.starts_with("*.")) {
    return *gateway_wildcard_.try_emplace(std::string_view(host).substr(2), host).first;
  }
  return *gateway_exact_.try_emplace(host, host).first;
}

const RequestFacts& plain_request() noexcept {
  struct Plain final : RequestFacts {
    std::string_view method() const noexcept override { return "GET"; }
    std::string_view header(std::string_view) const noexcept override { return {}; }
    std::string_view query() const noexcept override { return {}; }
    bool tls() const noexcept override { return false; }
  };
  static const Plain plain;
  return plain;
}

HostSelection RouteTable::select_host(std::string_view host) const noexcept {
  if (const GatewayHost* exact = gateway_exact_.find(host)) {
    return {nullptr, exact};
  }
  if (const VirtualHost* exact = exact_hosts_.find(host)) {
    return {exact, nullptr};
  }
  // Longest suffix first. An Ingress wildcard covers exactly one label ("*.example.com" takes
  // "a.example.com" only), a Gateway API one any number of them.
  bool first_label = true;
  for (auto dot = host.find('.'); dot != std::string_view::npos && dot > 0;
       dot = host.find('.', dot + 1)) {
    const std::string_view suffix = host.substr(dot + 1);
    if (const GatewayHost* wildcard = gateway_wildcard_.find(suffix)) {
      return {nullptr, wildcard};
    }
    if (first_label) {
      if (const VirtualHost* wildcard = wildcard_hosts_.find(suffix)) {
        return {wildcard, nullptr};
      }
      first_label = false;
    }
  }
  if (gateway_any_) {
    return {nullptr, &*gateway_any_};
  }
  return {no_host_ ? &*no_host_ : nullptr, nullptr};
}

RouteMatch RouteTable::match(std::string_view host, std::string_view path,
                             const RequestFacts& request) const noexcept {
  const HostSelection selected = select_host(host);
  // No fall-through: once a host is selected, only its rules or the default backend apply.
  RouteMatch found;
  if (selected.gateway != nullptr) {
    found.action = selected.gateway->match(path, request, found.captures);
    found.host = selected.gateway->name();
  } else if (selected.ingress != nullptr) {
    found.action = selected.ingress->match(path, found.captures);
    found.host = selected.ingress->name();
  }
  if (found.action != nullptr) {
    return found;
  }
  if (default_backend_) {
    return {&*default_backend_, {}, {}};
  }
  return {};
}

}  // namespace portico
