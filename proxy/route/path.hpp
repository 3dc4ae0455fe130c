#pragma once
// Request-target helpers for routing. Pure functions, safe on any thread, no allocation
// unless a path actually contains dot segments.
#include <optional>
#include <string>
#include <string_view>

namespace portico {

// Removes "." and ".." segments (RFC 3986 §5.2.4). Returns `path` itself when there is
// nothing to remove, else a view into `scratch`. Percent-encoding is left untouched.
std::string_view remove_dot_segments(std::string_view path, std::string& scratch);

// The path as routed and as sent upstream (nginx's reference behaviour, made consistent):
// percent-encoded unreserved characters are decoded (so "%2e%2e" is ".." and "%61" is "a"),
// then dot segments are removed. Every other percent-encoding stays as sent, "%2F" included:
// an encoded slash is data, not a separator. Nothing when the path must be refused (400): a
// '%' not followed by two hex digits, or a "." or ".." segment that an encoded slash or a
// backslash would make for a backend that decodes them ("/a/..%2F..%2Fadmin"). `decoded` and
// `scratch` hold the result when it differs from `path`.
std::optional<std::string_view> normalize_path(std::string_view path, std::string& decoded,
                                               std::string& scratch);

// RFC 3986 §3.2.2 with an optional port (RFC 9112 §3.2): a reg-name (unreserved, pct-encoded
// and sub-delims), an IPv4 address, or an IP literal in brackets; then ":" and 1 to 5 digits up
// to 65535. An empty value is valid (a request whose target has no authority).
bool valid_authority(std::string_view authority);

// Lowercases a Host header value and drops its port and any trailing dot, so that
// "Blog.Example.com.:8080" and "blog.example.com" select the same routes. Writes into
// `scratch` only when something changes.
std::string_view normalize_host(std::string_view host, std::string& scratch);

}  // namespace portico
