#include "proxy/policy/variable_text.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "proxy/common/http_chars.hpp"

namespace portico {
namespace {

// The nginx variables URL-valued annotations may use; any other "$" text is literal.
constexpr std::array<std::pair<std::string_view, int>, 5> Known = {{
    {"scheme", 1},
    {"host", 2},
    {"best_http_host", 3},
    {"request_uri", 4},
    {"escaped_request_uri", 5},
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

VariableText VariableText::parse(std::string_view text) {
  VariableText out;
  std::string literal;
  for (std::size_t i = 0; i < text.size();) {
    std::size_t end = i + 1;
    while (text[i] == '$' && end < text.size() && is_name_char(text[end])) {
      ++end;
    }
    const auto known = std::find_if(Known.begin(), Known.end(), [&](const auto& variable) {
      return text[i] == '$' && text.substr(i + 1, end - i - 1) == variable.first;
    });
    if (known == Known.end()) {
      literal.append(text.substr(i, end - i));
      i = end;
      continue;
    }
    if (!literal.empty()) {
      out.parts_.push_back({Kind::Literal, std::move(literal)});
      literal.clear();
    }
    out.parts_.push_back({static_cast<Kind>(known->second), {}});
    i = end;
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
      case Kind::BestHttpHost:
        out += request.http_host;
        break;
      case Kind::RequestUri:
        out += request.request_uri;
        break;
      case Kind::EscapedRequestUri:
        out += escape_uri_component(request.request_uri);
        break;
    }
  }
  return out;
}

}  // namespace portico
