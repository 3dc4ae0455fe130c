#include "proxy/http2/header_list.hpp"

#include <boost/beast/http/field.hpp>

namespace portico {

namespace http = boost::beast::http;

void HeaderList::add(std::string_view name, std::string_view value) {
  const std::size_t name_at = text_.size();
  for (const char c : name) {
    text_.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c));
  }
  const std::size_t value_at = text_.size();
  text_.append(value);
  spans_.push_back({name_at, name.size(), value_at, value.size()});
}

void HeaderList::add_fields(const HeaderFields& fields) {
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

nghttp2_nv* HeaderList::data() {
  list_.clear();
  auto* base = reinterpret_cast<std::uint8_t*>(text_.data());
  for (const Span& span : spans_) {
    list_.push_back({base + span.name_at, base + span.value_at, span.name_size, span.value_size,
                     NGHTTP2_NV_FLAG_NONE});
  }
  return list_.data();
}

}  // namespace portico
