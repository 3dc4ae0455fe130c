#include "proxy/exchange/forwarding.hpp"

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <charconv>
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

// The client nginx's real_ip_recursive finds in `list` ("a, b, c"), or `current` unchanged:
// from the right, each address replaces the current one while the current one is a trusted
// proxy; an entry that is no address ends the walk.
boost::asio::ip::address walk_forwarded_for(std::string_view list, boost::asio::ip::address current,
                                            const SourceRanges& trusted) {
  while (!list.empty() && trusted.contains(current)) {
    const auto comma = list.rfind(',');
    const std::string_view entry =
        trim_whitespace(comma == std::string_view::npos ? list : list.substr(comma + 1));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(0, comma);
    if (entry.empty()) {
      continue;
    }
    boost::system::error_code ec;
    const auto parsed = boost::asio::ip::make_address(std::string(entry), ec);
    if (ec) {
      break;
    }
    current = parsed;
  }
  return current;
}

}  // namespace

void believe_forwarded_headers(const HeaderFields& fields, const GlobalPolicy& policy,
                               bool address_from_proxy_protocol, RequestOrigin& origin,
                               std::string& address_text) {
  if (!policy.believes_forwarded() || !policy.trusted_proxies.contains(origin.ip)) {
    return;
  }
  if (!address_from_proxy_protocol) {
    // Several fields of one name are one list, in order (as nginx joins them).
    std::string list;
    fields.for_each_value(policy.forwarded_for_header, [&](std::string_view value) {
      list.append(list.empty() ? "" : ", ").append(value);
    });
    if (const auto client = walk_forwarded_for(list, origin.ip, policy.trusted_proxies);
        client != origin.ip) {
      origin.ip = client;
      address_text = client.to_string();
      origin.address = address_text;
    }
  }
  if (!policy.forwarded_headers) {
    return;  // enable-real-ip alone: the address only
  }
  using boost::beast::iequals;
  if (const auto proto = fields["X-Forwarded-Proto"]; iequals(proto, "https")) {
    origin.https = true;
  } else if (iequals(proto, "http")) {
    origin.https = false;
  }
  const auto port = fields["X-Forwarded-Port"];
  unsigned parsed = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), parsed);
  if (!port.empty() && ec == std::errc() && end == port.data() + port.size() && parsed > 0 &&
      parsed < 65536) {
    origin.port = static_cast<std::uint16_t>(parsed);
  }
  const auto host = fields["X-Forwarded-Host"];
  origin.forwarded_host = {host.data(), host.size()};
}

void strip_hop_by_hop(HeaderFields& fields) {
  // The names the Connection fields list, sorted ignoring case: one pass over the fields then
  // erases them however many a hostile client lists. Views: a head's text outlives erasing.
  std::vector<std::string_view> named;
  fields.for_each_value(http::field::connection, [&](std::string_view value) {
    for_each_item(value, ',', [&](std::string_view token) {
      if (!token.empty() && !ordinary_connection_option(token) &&
          !protected_from_connection_option(token)) {
        named.push_back(token);
      }
      return true;
    });
  });
  if (!named.empty()) {
    const boost::beast::iless less;
    std::sort(named.begin(), named.end(), less);
    fields.erase_if([&](const HeaderFields::Field& field) {
      return std::binary_search(named.begin(), named.end(), field.name_string(), less);
    });
  }
  for (const auto field :
       {http::field::connection, http::field::keep_alive, http::field::proxy_connection,
        http::field::te, http::field::transfer_encoding, http::field::upgrade}) {
    fields.erase(field);
  }
}

void set_forwarded_headers(HeaderFields& fields, const ClientOrigin& origin) {
  std::string forwarded_for;
  fields.for_each_value("X-Forwarded-For",
                        [&](std::string_view value) { forwarded_for.append(value).append(", "); });
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
