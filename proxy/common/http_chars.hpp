#pragma once
// Character classes of the HTTP and URI grammars (RFC 9110 §5.6, RFC 3986 §2), for the
// parsers that must accept exactly what the grammar allows and nothing else.
#include <string_view>

namespace portico::chars {

constexpr bool is_alpha(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool is_digit(unsigned char c) {
  return c >= '0' && c <= '9';
}
constexpr int hex_value(unsigned char c) {
  return is_digit(c)              ? c - '0'
         : (c >= 'a' && c <= 'f') ? c - 'a' + 10
         : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                  : -1;
}
// tchar: what a token (a field name, a chunk extension's name) is made of.
constexpr bool is_tchar(unsigned char c) {
  return is_alpha(c) || is_digit(c) ||
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}
// Visible characters and obs-text: what may follow a backslash in a quoted string, and what a
// field value is made of (with spaces and tabs).
constexpr bool is_vchar_or_obs_text(unsigned char c) {
  return (c >= 0x21 && c <= 0x7e) || c >= 0x80;
}
constexpr bool is_blank(unsigned char c) {
  return c == ' ' || c == '\t';
}
// RFC 3986 unreserved: never needs encoding, and means the same encoded or not.
constexpr bool is_unreserved(unsigned char c) {
  return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}
constexpr bool is_sub_delim(unsigned char c) {
  return std::string_view("!$&'()*+,;=").find(static_cast<char>(c)) != std::string_view::npos;
}

}  // namespace portico::chars
