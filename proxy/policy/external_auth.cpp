#include "proxy/policy/external_auth.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

#include "proxy/common/http_chars.hpp"

namespace portico {
namespace {

// The variables ingress-nginx users put in auth-url, auth-signin and auth-request-redirect.
// ($best_http_host and $pass_access_scheme are ingress-nginx's own names for the Host and
// the scheme the client used.)
constexpr std::array<std::pair<std::string_view, int>, 13> Whole = {{
    {"scheme", 1},
    {"pass_access_scheme", 1},
    {"host", 2},
    {"http_host", 3},
    {"best_http_host", 3},
    {"request_uri", 4},
    {"escaped_request_uri", 5},
    {"uri", 6},
    {"document_uri", 6},
    {"args", 7},
    {"query_string", 7},
    {"request_method", 8},
    {"remote_addr", 9},
}};
constexpr std::array<std::pair<std::string_view, int>, 3> Named = {{
    {"http_", 10},
    {"cookie_", 11},
    {"arg_", 12},
}};

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

std::string escape_uri_component(std::string_view text) {
  static constexpr char Hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (chars::is_unreserved(byte)) {
      out.push_back(c);
    } else {
      out += {'%', Hex[byte >> 4], Hex[byte & 15]};
    }
  }
  return out;
}

Expected<VariableText> VariableText::parse(std::string_view text) {
  VariableText out;
  std::string literal;
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] != '$') {
      literal.push_back(text[i++]);
      continue;
    }
    // $name or ${name}
    const bool braced = i + 1 < text.size() && text[i + 1] == '{';
    std::size_t start = i + (braced ? 2 : 1);
    std::size_t end = start;
    while (end < text.size() && is_name_char(text[end])) {
      ++end;
    }
    const std::string_view name = text.substr(start, end - start);
    if (name.empty() || (braced && (end >= text.size() || text[end] != '}'))) {
      return fail("a \"$\" that starts no variable at position " + std::to_string(i));
    }
    Part part;
    for (const auto& [variable, kind] : Whole) {
      if (name == variable) {
        part.kind = static_cast<Kind>(kind);
      }
    }
    for (const auto& [prefix, kind] : Named) {
      if (part.kind == Kind::Literal && name.starts_with(prefix) && name.size() > prefix.size()) {
        part.kind = static_cast<Kind>(kind);
        part.text = std::string(name.substr(prefix.size()));
        if (part.kind == Kind::Header) {
          std::replace(part.text.begin(), part.text.end(), '_', '-');  // $http_x_user: X-User
        }
      }
    }
    if (part.kind == Kind::Literal) {
      return fail("the variable $" + std::string(name) + " is not one Portico knows");
    }
    if (!literal.empty()) {
      out.parts_.push_back({Kind::Literal, std::move(literal)});
      literal.clear();
    }
    out.parts_.push_back(std::move(part));
    i = end + (braced ? 1 : 0);
  }
  if (!literal.empty() || out.parts_.empty()) {
    out.parts_.push_back({Kind::Literal, std::move(literal)});
  }
  return out;
}

std::string VariableText::expand(const RequestVariables& request) const {
  std::string out;
  for (const Part& part : parts_) {
    switch (part.kind) {
      case Kind::Literal:
        out += part.text;
        break;
      case Kind::Scheme:
        out += request.scheme;
        break;
      case Kind::Host:
        out += request.host;
        break;
      case Kind::HttpHost:
        out += request.http_host;
        break;
      case Kind::RequestUri:
        out += request.request_uri;
        break;
      case Kind::EscapedRequestUri:
        out += escape_uri_component(request.request_uri);
        break;
      case Kind::Uri:
        out += request.uri;
        break;
      case Kind::Args: {
        const auto question = request.request_uri.find('?');
        if (question != std::string_view::npos) {
          out += request.request_uri.substr(question + 1);
        }
        break;
      }
      case Kind::Method:
        out += request.method;
        break;
      case Kind::RemoteAddr:
        out += request.remote_addr;
        break;
      case Kind::Header:
        out += request.fields != nullptr ? request.fields->header(part.text) : "";
        break;
      case Kind::Cookie:
        out += request.fields != nullptr ? request.fields->cookie(part.text) : "";
        break;
      case Kind::Argument:
        out += request.fields != nullptr ? request.fields->argument(part.text) : "";
        break;
    }
  }
  return out;
}

Expected<ExternalAuth> ExternalAuth::from_url(std::string_view url) {
  ExternalAuth out;
  if (url.starts_with("https://")) {
    out.tls = true;
    out.port = 443;
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    url.remove_prefix(7);
  } else {
    return fail("expected an http:// or https:// URL");
  }
  if (!std::all_of(url.begin(), url.end(), [](char c) { return c > ' ' && c < 127; })) {
    return fail("the URL has spaces or control characters");
  }
  const auto path_start = url.find_first_of("/?");
  std::string_view authority = url.substr(0, path_start);
  std::string target(path_start == std::string_view::npos ? "/" : url.substr(path_start));
  if (target.front() == '?') {
    target.insert(0, "/");
  }
  if (authority.find('@') != std::string_view::npos) {
    return fail("credentials in the URL are not supported");
  }
  // host[:port], the host an address in brackets, a name, or a variable.
  std::string_view host = authority;
  const auto colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
    host = authority.substr(0, colon);
    const auto digits = authority.substr(colon + 1);
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc() || end != digits.data() + digits.size() || port == 0 || port > 65535) {
      return fail("the port is not a number from 1 to 65535");
    }
    out.port = static_cast<std::uint16_t>(port);
  }
  if (host.starts_with('[') && host.ends_with(']')) {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) {
    return fail("the URL has no host");
  }
  auto parsed_host = VariableText::parse(host);
  auto parsed_target = VariableText::parse(target);
  if (!parsed_host) {
    return fail(parsed_host.error());
  }
  if (!parsed_target) {
    return fail(parsed_target.error());
  }
  out.host = std::move(*parsed_host);
  out.target = std::move(*parsed_target);
  return out;
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
