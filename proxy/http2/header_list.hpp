#pragma once
// HeaderList: fields as nghttp2 takes them (nghttp2_nv), names in lowercase as RFC 9113
// §8.2.2 requires, connection-specific fields left out (§8.2.2 forbids them). Its text lives
// in one buffer, and a list kept per connection and cleared between uses allocates nothing
// once it has grown to the connection's largest head. Valid until the next add() or clear():
// nghttp2 copies it in the submit call.
#include <nghttp2/nghttp2.h>

#include <string>
#include <string_view>
#include <vector>

#include "proxy/exchange/header_fields.hpp"

namespace portico {

class HeaderList {
 public:
  void clear() {
    text_.clear();
    spans_.clear();
    list_.clear();
  }
  void add(std::string_view name, std::string_view value);
  // Every field of `fields` but Host (that is :authority) and the connection-specific ones.
  void add_fields(const HeaderFields& fields);
  // The list, its pointers into the text taken now that the text no longer grows.
  nghttp2_nv* data();
  std::size_t size() const { return spans_.size(); }

 private:
  struct Span {
    std::size_t name_at, name_size, value_at, value_size;
  };
  std::string text_;
  std::vector<Span> spans_;
  std::vector<nghttp2_nv> list_;
};

}  // namespace portico
