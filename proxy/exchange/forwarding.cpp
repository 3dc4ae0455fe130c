#include "proxy/exchange/forwarding.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/range/iterator_range.hpp>
#include <string>
#include <vector>

#include "proxy/common/text.hpp"

namespace portico {
namespace {

namespace http = boost::beast::http;

bool protected_from_connection_option(std::string_view name) {
  using boost::beast::iequals;
  return iequals(name, "host") || iequals(name, "content-length") ||
         iequals(name, "transfer-encoding") || iequals(name, "x-forwarded-for");
}

// The options clients send all the time that name no field of their own ("close") or one
// erased below anyway: skipping them keeps the common request from allocating the list.
bool ordinary_connection_option(std::string_view token) {
  using boost::beast::iequals;
  return iequals(token, "close") || iequals(token, "keep-alive") || iequals(token, "upgrade");
}

}  // namespace

void strip_hop_by_hop(http::fields& fields) {
  std::vector<std::string> named;
  for (const auto& field :
       boost::make_iterator_range(fields.equal_range(http::field::connection))) {
    for_each_item(field.value(), ',', [&](std::string_view token) {
      if (!token.empty() && !ordinary_connection_option(token) &&
          !protected_from_connection_option(token)) {
        named.emplace_back(token);
      }
      return true;
    });
  }
  for (const auto& name : named) {
    fields.erase(name);
  }
  for (const auto field :
       {http::field::connection, http::field::keep_alive, http::field::proxy_connection,
        http::field::te, http::field::transfer_encoding, http::field::upgrade}) {
    fields.erase(field);
  }
}

void set_forwarded_headers(http::fields& fields, const ClientOrigin& origin) {
  std::string forwarded_for;
  for (const auto& field : boost::make_iterator_range(fields.equal_range("X-Forwarded-For"))) {
    forwarded_for += field.value();
    forwarded_for += ", ";
  }
  forwarded_for += origin.address;
  fields.set("X-Forwarded-For", forwarded_for);
  fields.set("X-Forwarded-Proto", origin.proto);
  if (origin.host.empty()) {
    fields.erase("X-Forwarded-Host");
  } else {
    fields.set("X-Forwarded-Host", origin.host);
  }
  fields.set("X-Forwarded-Port", std::to_string(origin.port));
}

}  // namespace portico
