#include "proxy/route/path.hpp"

#include <arpa/inet.h>

#include "proxy/common/http_chars.hpp"

namespace portico {
namespace {

bool is_dot_segment_at(std::string_view path, std::size_t slash) {
  // `slash` indexes a '/', and the segment after it is "." or "..".
  const std::string_view rest = path.substr(slash + 1);
  const auto end = rest.find('/');
  const std::string_view segment = rest.substr(0, end);
  return segment == "." || segment == "..";
}

bool has_dot_segment(std::string_view path) {
  if (path == "." || path == ".." || path.starts_with("./") || path.starts_with("../")) {
    return true;
  }
  for (auto slash = path.find("/."); slash != std::string_view::npos;
       slash = path.find("/.", slash + 1)) {
    if (is_dot_segment_at(path, slash)) {
      return true;
    }
  }
  return false;
}

void drop_last_segment(std::string& out) {
  const auto slash = out.rfind('/');
  out.resize(slash == std::string::npos ? 0 : slash);
}

// Whether some segment, with "%2F", "%5C" and '\' counted as separators too, is "." or "..".
bool has_hidden_dot_segment(std::string_view path) {
  std::size_t segment_start = 0;
  const auto is_dots = [&](std::size_t end) {
    const auto segment = path.substr(segment_start, end - segment_start);
    return segment == "." || segment == "..";
  };
  for (std::size_t i = 0; i < path.size(); ++i) {
    std::size_t separator = 0;
    if (path[i] == '/' || path[i] == '\\') {
      separator = 1;
    } else if (path[i] == '%' && i + 2 < path.size() && path[i + 1] == '2' &&
               (path[i + 2] == 'f' || path[i + 2] == 'F')) {
      separator = 3;
    } else if (path[i] == '%' && i + 2 < path.size() && path[i + 1] == '5' &&
               (path[i + 2] == 'c' || path[i + 2] == 'C')) {
      separator = 3;
    }
    if (separator == 0) {
      continue;
    }
    if (is_dots(i)) {
      return true;
    }
    segment_start = i + separator;
    i += separator - 1;
  }
  return is_dots(path.size());
}

// An authority ("host", "host:port", "[v6]:port") split at its port's colon, if any. The
// one place both the validation and the normalization of Host take it apart.
struct SplitAuthority {
  std::string_view host;  // brackets kept for an IP literal
  std::optional<std::string_view> port;
  bool stray = false;  // something other than ":port" follows an IP literal's ']'
};

SplitAuthority split_authority(std::string_view authority) {
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return {authority, std::nullopt, true};
    }
    const auto after = authority.substr(close + 1);
    const bool port = after.starts_with(':');
    return {authority.substr(0, close + 1), port ? std::optional(after.substr(1)) : std::nullopt,
            !port && !after.empty()};
  }
  const auto colon = authority.find(':');
  if (colon == std::string_view::npos) {
    return {authority, std::nullopt, false};
  }
  return {authority.substr(0, colon), authority.substr(colon + 1), false};
}

bool valid_port(std::string_view port) {
  if (port.empty() || port.size() > 5) {
    return false;
  }
  unsigned value = 0;
  for (const char c : port) {
    if (!chars::is_digit(static_cast<unsigned char>(c))) {
      return false;
    }
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value <= 65535;
}

bool valid_ip_literal(std::string_view inside) {
  if (!inside.empty() && (inside.front() == 'v' || inside.front() == 'V')) {
    // IPvFuture: "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
    const auto dot = inside.find('.');
    if (dot == std::string_view::npos || dot < 2 || dot + 1 == inside.size()) {
      return false;
    }
    for (std::size_t i = 1; i < dot; ++i) {
      if (chars::hex_value(static_cast<unsigned char>(inside[i])) < 0) {
        return false;
      }
    }
    for (const char c : inside.substr(dot + 1)) {
      const auto u = static_cast<unsigned char>(c);
      if (!chars::is_unreserved(u) && !chars::is_sub_delim(u) && c != ':') {
        return false;
      }
    }
    return true;
  }
  if (inside.size() >= INET6_ADDRSTRLEN) {
    return false;
  }
  char text[INET6_ADDRSTRLEN] = {};
  inside.copy(text, inside.size());
  unsigned char address[16];
  return ::inet_pton(AF_INET6, text, address) == 1;
}

bool valid_reg_name(std::string_view name) {
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (c == '%') {
      if (i + 2 >= name.size() || chars::hex_value(static_cast<unsigned char>(name[i + 1])) < 0 ||
          chars::hex_value(static_cast<unsigned char>(name[i + 2])) < 0) {
        return false;
      }
      i += 2;
    } else if (!chars::is_unreserved(c) && !chars::is_sub_delim(c)) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<std::string_view> normalize_path(std::string_view path, std::string& decoded,
                                               std::string& scratch) {
  if (path.find('%') != std::string_view::npos) {
    decoded.clear();
    for (std::size_t i = 0; i < path.size(); ++i) {
      if (path[i] != '%') {
        decoded.push_back(path[i]);
        continue;
      }
      const int high =
          i + 1 < path.size() ? chars::hex_value(static_cast<unsigned char>(path[i + 1])) : -1;
      const int low =
          i + 2 < path.size() ? chars::hex_value(static_cast<unsigned char>(path[i + 2])) : -1;
      if (high < 0 || low < 0) {
        return std::nullopt;
      }
      const auto octet = static_cast<unsigned char>(high * 16 + low);
      if (chars::is_unreserved(octet)) {
        decoded.push_back(static_cast<char>(octet));
      } else {
        decoded.append(path.substr(i, 3));
      }
      i += 2;
    }
    path = decoded;
  }
  const std::string_view normalized = remove_dot_segments(path, scratch);
  // Without a '%' or a '\\' left, remove_dot_segments() saw every separator there is.
  if (normalized.find_first_of("%\\") != std::string_view::npos &&
      has_hidden_dot_segment(normalized)) {
    return std::nullopt;
  }
  return normalized;
}

bool valid_authority(std::string_view authority) {
  const auto [host, port, stray] = split_authority(authority);
  if (stray || (port && !valid_port(*port))) {
    return false;
  }
  if (host.starts_with('[')) {
    return valid_ip_literal(host.substr(1, host.size() - 2));
  }
  // An IPv4 address is a reg-name too, as far as its characters go.
  return valid_reg_name(host);
}

std::string_view remove_dot_segments(std::string_view path, std::string& scratch) {
  if (!has_dot_segment(path)) {
    return path;
  }
  scratch.clear();
  std::string_view in = path;
  while (!in.empty()) {
    if (in.starts_with("../")) {
      in.remove_prefix(3);
    } else if (in.starts_with("./")) {
      in.remove_prefix(2);
    } else if (in.starts_with("/./")) {
      in.remove_prefix(2);
    } else if (in == "/.") {
      in = "/";
    } else if (in.starts_with("/../")) {
      in.remove_prefix(3);
      drop_last_segment(scratch);
    } else if (in == "/..") {
      in = "/";
      drop_last_segment(scratch);
    } else if (in == "." || in == "..") {
      in = {};
    } else {
      const auto next = in.find('/', 1);
      const auto segment = in.substr(0, next);
      scratch += segment;
      in.remove_prefix(segment.size());
    }
  }
  if (scratch.empty()) {
    scratch.push_back('/');
  }
  return scratch;
}

std::string_view normalize_host(std::string_view authority, std::string& scratch) {
  std::string_view host = split_authority(authority).host;
  if (host.ends_with('.')) {
    host.remove_suffix(1);
  }
  bool lower = true;
  for (const char c : host) {
    if (c >= 'A' && c <= 'Z') {
      lower = false;
      break;
    }
  }
  if (lower) {
    return host;
  }
  scratch.assign(host);
  for (char& c : scratch) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return scratch;
}

}  // namespace portico
