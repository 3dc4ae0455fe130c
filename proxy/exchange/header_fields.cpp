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

HeaderFields& HeaderFields::operator=(const HeaderFields& other) {
  if (this != &other) {
    clear();
    copy_from(other);
  }
  return *this;
}

void HeaderFields::copy_from(const HeaderFields& other) {
  for (const Entry& entry : other.entries_) {
    insert(entry.id, name_of(entry), value_of(entry));
  }
  start_line_ = other.start_line_;
  method_ = other.method_;
}

void HeaderFields::clear() {
  entries_.clear();
  release_blocks();
  free_ = inline_bytes_;
  limit_ = inline_bytes_ + InlineBytes;
}

void HeaderFields::release_blocks() {
  while (blocks_ != nullptr) {
    Block* previous = blocks_->previous;
    ::operator delete(blocks_);
    blocks_ = previous;
  }
}

bool HeaderFields::matches(const Entry& entry, field id, std::string_view name) {
  // A name Beast knows is matched by its code; only unknown names compare their text.
  return entry.id == id && (id != field::unknown || boost::beast::iequals(name_of(entry), name));
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

std::size_t HeaderFields::count_of(field id, std::string_view name) const {
  return static_cast<std::size_t>(std::count_if(
      entries_.begin(), entries_.end(), [&](const Entry& e) { return matches(e, id, name); }));
}

std::size_t HeaderFields::count(field name) const {
  return count_of(name, {});
}

std::size_t HeaderFields::count(std::string_view name) const {
  return count_of(http::string_to_field(name), name);
}

std::string_view HeaderFields::operator[](field name) const {
  const std::size_t at = first_of(name, {});
  return at < entries_.size() ? value_of(entries_[at]) : std::string_view();
}

std::string_view HeaderFields::operator[](std::string_view name) const {
  const std::size_t at = first_of(http::string_to_field(name), name);
  return at < entries_.size() ? value_of(entries_[at]) : std::string_view();
}

const char* HeaderFields::store(std::string_view text) {
  if (text.size() > static_cast<std::size_t>(limit_ - free_)) {
    // A new block; the text already stored stays where it is.
    const std::size_t size = std::max(BlockBytes, text.size());
    auto* block = static_cast<Block*>(::operator new(sizeof(Block) + size));
    block->previous = blocks_;
    blocks_ = block;
    free_ = reinterpret_cast<char*>(block + 1);
    limit_ = free_ + size;
  }
  char* at = free_;
  if (!text.empty()) {
    std::memcpy(at, text.data(), text.size());
  }
  free_ += text.size();
  return at;
}

void HeaderFields::insert(field name, std::string_view value) {
  insert(name, http::to_string(name), value);
}

void HeaderFields::insert(std::string_view name, std::string_view value) {
  insert(http::string_to_field(name), name, value);
}

void HeaderFields::insert(field id, std::string_view name, std::string_view value) {
  value = trim_whitespace(value);
  if (entries_.size() == entries_.capacity()) {
    // Past the inline room, grow in large steps: a browser's head then costs one allocation
    // here, not one per doubling.
    constexpr std::size_t FirstHeapFields = 32;
    entries_.reserve(std::max(FirstHeapFields, 2 * entries_.capacity()));
  }
  const char* stored_name = store(name);
  entries_.push_back({stored_name, store(value), static_cast<std::uint32_t>(name.size()),
                      static_cast<std::uint32_t>(value.size()), id});
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
    out.append(name_of(entry)).append(": ").append(value_of(entry)).append("\r\n");
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
