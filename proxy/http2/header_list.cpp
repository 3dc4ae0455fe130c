#include "proxy/http2/header_list.hpp"

#include <boost/beast/http/field.hpp>

namespace portico {

namespace http = boost::beast::http;

void HeaderList::add(std::string_view name, std::string_view value) {
  std::string& lower = text_.emplace_back(name);
  for (char& c : lower) {
    c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
  }
  const std::string& copy = text_.emplace_back(value);
  list_.push_back({reinterpret_cast<std::uint8_t*>(lower.data()),
                   reinterpret_cast<std::uint8_t*>(const_cast<char*>(copy.data())), lower.size(),
                   copy.size(), NGHTTP2_NV_FLAG_NONE});
}

void HeaderList::add_fields(const http::fields& fields) {
  for (const auto& field : fields) {
    switch (field.name()) {
      case http::field::host:
      case http::field::connection:
      case http::field::keep_alive:
      case http::field::proxy_connection:
      case http::field::transfer_encoding:
      case http::field::upgrade:
      case http::field::te:
        continue;
      default:
        add(field.name_string(), field.value());
    }
  }
}

}  // namespace portico
