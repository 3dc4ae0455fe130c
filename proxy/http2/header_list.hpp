#pragma once
// HeaderList: fields as nghttp2 takes them (nghttp2_nv), names in lowercase as RFC 9113
// §8.2.2 requires, connection-specific fields left out (§8.2.2 forbids them). Holds its own
// copies, so the list stays valid while nghttp2 copies it in a submit call.
#include <nghttp2/nghttp2.h>

#include <boost/beast/http/fields.hpp>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace portico {

class HeaderList {
 public:
  void add(std::string_view name, std::string_view value);
  // Every field of `fields` but Host (that is :authority) and the connection-specific ones.
  void add_fields(const boost::beast::http::fields& fields);
  nghttp2_nv* data() { return list_.data(); }
  std::size_t size() const { return list_.size(); }

 private:
  std::deque<std::string> text_;  // a deque: adding never moves what is already there
  std::vector<nghttp2_nv> list_;
};

}  // namespace portico
