#include "proxy/exchange/header_fields.hpp"

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/beast/http/status.hpp>
#include <cstring>
#include <string>

#include "proxy/common/text.hpp"

namespace portico {

namespace http = boost::beast::http;

namespace {

// The last item of a Transfer-Encoding is "chunked".
bool ends_chunked(std::string_view transfer_encoding) {
  const http::token_list codings{transfer_encoding};
  std::string_view last;
  for (const auto coding : codings) {
    last = coding;
  }
  return boost::beast::iequals(last, "chunked");
}

}  // namespace

HeaderFields::writer::writer(const HeaderFields& fields, unsigned version, http::verb method) {
  const std::string_view name = method == http::verb::unknown
                                    ? fields.get_method_impl()
                                    : std::string_view(http::to_string(method));
  text_.append(name).append(" ").append(fields.get_target_impl()).append(" HTTP/");
  text_.append(std::to_string(version / 10)).append(".").append(std::to_string(version % 10));
  text_.append("\r\n");
  fields.append_lines(text_);
}

HeaderFields::writer::writer(const HeaderFields& fields, unsigned version, unsigned status) {
  std::string_view reason = fields.get_reason_impl();
  if (reason.empty()) {
    reason = std::string_view(http::obsolete_reason(static_cast<http::status>(status)));
  }
  text_.append("HTTP/").append(std::to_string(version / 10)).append(".");
  text_.append(std::to_string(version % 10)).append(" ").append(std::to_string(status));
  text_.append(" ").append(reason).append("\r\n");
  fields.append_lines(text_);
}

bool HeaderFields::matches(const Entry& entry, field id, std::string_view name) const {
  // A name Beast knows is matched by its code; only unknown names compare their text.
  return entry.id == id && (id != field::unknown || boost::beast::iequals(text(entry.name), name));
}

std::size_t HeaderFields::first_of(field id, std::string_view name) const {
  std::size_t at = 0;
  while (at < entries_.size() && !matches(entries_[at], id, name)) {
    ++at;
  }
  return at;
}

HeaderFields::const_iterator HeaderFields::find(field name) const {
  return {this, first_of(name, {})};
}

HeaderFields::const_iterator HeaderFields::find(std::string_view name) const {
  return {this, first_of(http::string_to_field(name), name)};
}

std::size_t HeaderFields::count(field name) const {
  return static_cast<std::size_t>(std::count_if(
      entries_.begin(), entries_.end(), [&](const Entry& e) { return matches(e, name, {}); }));
}

std::size_t HeaderFields::count(std::string_view name) const {
  const field id = http::string_to_field(name);
  return static_cast<std::size_t>(std::count_if(
      entries_.begin(), entries_.end(), [&](const Entry& e) { return matches(e, id, name); }));
}

std::string_view HeaderFields::operator[](field name) const {
  const std::size_t at = first_of(name, {});
  return at < entries_.size() ? text(entries_[at].value) : std::string_view();
}

std::string_view HeaderFields::operator[](std::string_view name) const {
  const std::size_t at = first_of(http::string_to_field(name), name);
  return at < entries_.size() ? text(entries_[at].value) : std::string_view();
}

bool HeaderFields::in_store(std::string_view text) const {
  // Compared as addresses: a view into the store would be left dangling when it grows.
  const auto address = reinterpret_cast<std::uintptr_t>(text.data());
  const auto first = reinterpret_cast<std::uintptr_t>(bytes_.data());
  return address >= first && address < first + bytes_.size();
}

HeaderFields::Span HeaderFields::store(std::string_view text) {
  const std::size_t at = bytes_.size();
  if (at + text.size() > bytes_.capacity()) {
    // Past the inline room, grow in large steps: a browser's head then costs one allocation,
    // not one per doubling.
    constexpr std::size_t FirstHeapBytes = 2048;
    bytes_.reserve(std::max({FirstHeapBytes, 2 * bytes_.capacity(), at + text.size()}));
  }
  bytes_.resize(at + text.size(), boost::container::default_init);
  std::memcpy(bytes_.data() + at, text.data(), text.size());
  return {static_cast<std::uint32_t>(at), static_cast<std::uint32_t>(text.size())};
}

void HeaderFields::insert(field name, std::string_view value) {
  insert(name, http::to_string(name), value);
}

void HeaderFields::insert(std::string_view name, std::string_view value) {
  insert(http::string_to_field(name), name, value);
}

void HeaderFields::insert(field id, std::string_view name, std::string_view value) {
  value = trim_whitespace(value);
  if (in_store(name) || in_store(value)) {
    // Copied from this head itself (rare): copy it out first, as the store may move.
    const std::string name_copy(name);
    const std::string value_copy(value);
    insert(id, name_copy, value_copy);
    return;
  }
  if (entries_.size() == entries_.capacity()) {
    constexpr std::size_t FirstHeapFields = 32;
    entries_.reserve(std::max(FirstHeapFields, 2 * entries_.capacity()));
  }
  const Span name_span = store(name);
  entries_.push_back({name_span, store(value), id});
}

void HeaderFields::set(field name, std::string_view value) {
  // The old fields' text stays in the store, so `value` may be one of them.
  erase_all(name, {});
  insert(name, http::to_string(name), value);
}

void HeaderFields::set(std::string_view name, std::string_view value) {
  const field id = http::string_to_field(name);
  erase_all(id, name);
  insert(id, name, value);
}

HeaderFields::const_iterator HeaderFields::erase(const_iterator at) {
  entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(at.index()));
  return {this, at.index()};
}

std::size_t HeaderFields::erase_all(field id, std::string_view name) {
  return erase_entries([&](const Entry& entry) { return matches(entry, id, name); });
}

std::size_t HeaderFields::erase(field name) {
  return erase_all(name, {});
}

std::size_t HeaderFields::erase(std::string_view name) {
  return erase_all(http::string_to_field(name), name);
}

void HeaderFields::append_lines(std::string& out) const {
  for (const Entry& entry : entries_) {
    out.append(text(entry.name)).append(": ").append(text(entry.value)).append("\r\n");
  }
  out.append("\r\n");
}

bool HeaderFields::get_chunked_impl() const {
  return ends_chunked((*this)[field::transfer_encoding]);
}

bool HeaderFields::get_keep_alive_impl(unsigned version) const {
  const auto connection = find(field::connection);
  if (version < 11) {
    return connection != end() && http::token_list{connection->value()}.exists("keep-alive");
  }
  return connection == end() || !http::token_list{connection->value()}.exists("close");
}

void HeaderFields::set_chunked_impl(bool chunked) {
  const std::string_view codings = (*this)[field::transfer_encoding];
  if (chunked) {
    if (codings.empty()) {
      set(field::transfer_encoding, "chunked");
    } else if (!ends_chunked(codings)) {
      set(field::transfer_encoding, std::string(codings) + ", chunked");
    }
    return;
  }
  // Only "chunked" alone is ever framed here (the parsers refuse other codings).
  if (ends_chunked(codings)) {
    erase(field::transfer_encoding);
  }
}

void HeaderFields::set_content_length_impl(const boost::optional<std::uint64_t>& length) {
  if (length) {
    set(field::content_length, std::to_string(*length));
  } else {
    erase(field::content_length);
  }
}

void HeaderFields::set_keep_alive_impl(unsigned version, bool keep_alive) {
  // Whatever other options Connection named go: Portico writes only these two.
  erase(field::connection);
  if (version < 11 && keep_alive) {
    set(field::connection, "keep-alive");
  } else if (version >= 11 && !keep_alive) {
    set(field::connection, "close");
  }
}

}  // namespace portico
