#include "proxy/route/path.hpp"

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

}  // namespace

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

std::string_view normalize_host(std::string_view host, std::string& scratch) {
  if (host.starts_with('[')) {
    // IPv6 literal: keep the brackets' content, drop the port.
    const auto close = host.find(']');
    host = close == std::string_view::npos ? host : host.substr(0, close + 1);
  } else if (const auto colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
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
