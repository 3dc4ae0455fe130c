#pragma once
// Request-target helpers for routing. Pure functions, safe on any thread, no allocation
// unless a path actually contains dot segments.
#include <string>
#include <string_view>

namespace portico {

// Removes "." and ".." segments (RFC 3986 §5.2.4). Returns `path` itself when there is
// nothing to remove, else a view into `scratch`. Percent-encoding is left untouched.
std::string_view remove_dot_segments(std::string_view path, std::string& scratch);

// Lowercases a Host header value and drops its port and any trailing dot, so that
// "Blog.Example.com.:8080" and "blog.example.com" select the same routes. Writes into
// `scratch` only when something changes.
std::string_view normalize_host(std::string_view host, std::string& scratch);

}  // namespace portico
