#pragma once
// HeaderFields: the fields of one HTTP head, and its request target or reason phrase, in the
// form Beast's header<> template takes (its Fields concept), so RequestHeader and
// ResponseHeader keep Beast's accessors (method(), target(), result()...) for both codecs, the
// exchange, the policies and side requests.
//
// Why not Beast's basic_fields: it allocates a block per field and keeps every field in an
// rb-tree and a list, and under load that was the largest caller of operator new and about a
// tenth of a request's user time (bench/RESULTS.md). Here every name and value is copied into
// a byte store and indexed by a small array; both have room inline for a usual head, so a
// usual head costs no allocation at all, and a large one a few blocks of store.
//
// Text never moves once stored: the store grows by adding blocks, never by copying. So a view
// of a name or value stays valid until clear() or the head's end, even after its field is set
// again or erased, and code can read one field while it writes others. The price is that a
// rewritten field's old text stays until clear(): a head is rewritten a bounded number of times.
//
// Fields keep the order they were added in, which for a parsed head is the order on the wire.
// Lookups scan the array: a head holds a few dozen fields, where a scan comparing Beast's field
// codes beats any tree.
#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/container/small_vector.hpp>
#include <boost/optional/optional.hpp>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>

namespace portico {

class HeaderFields {
 public:
  using field = boost::beast::http::field;

  // One field, as iterating or find() sees it: views into the store.
  class Field {
   public:
    Field(field id, std::string_view name, std::string_view value)
        : id_(id), name_(name), value_(value) {}
    field name() const { return id_; }
    std::string_view name_string() const { return name_; }
    std::string_view value() const { return value_; }

   private:
    field id_;
    std::string_view name_;
    std::string_view value_;
  };

  class const_iterator {
   public:
    using iterator_category = std::bidirectional_iterator_tag;
    using value_type = Field;
    using difference_type = std::ptrdiff_t;
    using reference = Field;
    struct pointer {
      Field field;
      const Field* operator->() const { return &field; }
    };

    const_iterator() = default;
    const_iterator(const HeaderFields* fields, std::size_t at) : fields_(fields), at_(at) {}
    Field operator*() const { return fields_->field_at(at_); }
    pointer operator->() const { return {fields_->field_at(at_)}; }
    const_iterator& operator++() {
      ++at_;
      return *this;
    }
    const_iterator operator++(int) { return {fields_, at_++}; }
    const_iterator& operator--() {
      --at_;
      return *this;
    }
    const_iterator operator--(int) { return {fields_, at_--}; }
    bool operator==(const const_iterator& other) const { return at_ == other.at_; }
    std::size_t index() const { return at_; }

   private:
    const HeaderFields* fields_ = nullptr;
    std::size_t at_ = 0;
  };
  using iterator = const_iterator;
  using value_type = Field;

  // What Beast's serializer writes for a head built here (side requests, local replies): the
  // start line and the fields, as one buffer.
  class writer {
   public:
    using const_buffers_type = boost::asio::const_buffer;
    writer(const HeaderFields& fields, unsigned version, boost::beast::http::verb method);
    writer(const HeaderFields& fields, unsigned version, unsigned status);
    const_buffers_type get() const { return {text_.data(), text_.size()}; }

   private:
    std::string text_;
  };

  HeaderFields() = default;
  // A copy stores its own text (views into the other's store would end with it). Moving is
  // copying: text in the other's inline room cannot move with its views.
  HeaderFields(const HeaderFields& other) { copy_from(other); }
  HeaderFields& operator=(const HeaderFields& other);
  ~HeaderFields() { release_blocks(); }

  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, entries_.size()}; }
  std::size_t size() const { return entries_.size(); }

  // The first field of the name, or end().
  const_iterator find(field name) const;
  const_iterator find(std::string_view name) const;
  std::size_t count(field name) const;
  std::size_t count(std::string_view name) const;
  // The first value of the name, or empty.
  std::string_view operator[](field name) const;
  std::string_view operator[](std::string_view name) const;

  // Calls `visit` with each value of the name, in order: several fields of one name are one
  // list (RFC 9110 §5.3).
  template <class Visit>
  void for_each_value(std::string_view name, Visit&& visit) const {
    visit_values(boost::beast::http::string_to_field(name), name, visit);
  }
  template <class Visit>
  void for_each_value(field name, Visit&& visit) const {
    visit_values(name, {}, visit);
  }

  // Adds a field after every other; the value loses its surrounding spaces and tabs.
  void insert(field name, std::string_view value);
  void insert(std::string_view name, std::string_view value);
  void insert(field id, std::string_view name, std::string_view value);
  // Replaces every field of the name with one, added last.
  void set(field name, std::string_view value);
  void set(std::string_view name, std::string_view value);
  // Returns the field after the one erased.
  const_iterator erase(const_iterator at);
  // Returns how many were erased.
  std::size_t erase(field name);
  std::size_t erase(std::string_view name);
  // Erases every field `erased(Field)` is true of.
  template <class Predicate>
  std::size_t erase_if(Predicate&& erased) {
    return erase_entries([&](const Entry& entry) { return erased(as_field(entry)); });
  }
  // Erases every field (not the start line).
  void clear();

  // Every field as "name: value\r\n", then the empty line.
  void append_lines(std::string& out) const;

 protected:
  // Beast's Fields concept: what header<> calls.
  std::string_view get_method_impl() const { return method_; }
  std::string_view get_target_impl() const { return {start_line_.data(), start_line_.size()}; }
  std::string_view get_reason_impl() const { return {start_line_.data(), start_line_.size()}; }
  bool get_chunked_impl() const;
  bool get_keep_alive_impl(unsigned version) const;
  bool has_content_length_impl() const { return count(field::content_length) > 0; }
  void set_method_impl(std::string_view method) { method_ = method; }
  void set_target_impl(std::string_view target) {
    start_line_.assign(target.begin(), target.end());
  }
  void set_reason_impl(std::string_view reason) {
    start_line_.assign(reason.begin(), reason.end());
  }
  void set_chunked_impl(bool chunked);
  void set_content_length_impl(const boost::optional<std::uint64_t>& length);
  void set_keep_alive_impl(unsigned version, bool keep_alive);

 private:
  struct Entry {
    const char* name;
    const char* value;
    std::uint32_t name_size;
    std::uint32_t value_size;
    field id;
  };
  // A block of store taken from the heap once the inline room is full; its text follows it.
  struct Block {
    Block* previous;
  };
  // Room inline for a usual small head: wrk's or curl's request with the forwarded fields
  // Portico adds, or a small backend's response. A browser's request, with its cookies, takes
  // a block or two. An HTTP/2 stream holds four of these, which keeps them small.
  static constexpr std::size_t InlineFields = 10;
  static constexpr std::size_t InlineBytes = 256;
  static constexpr std::size_t InlineStartLine = 64;
  // Under the 4 KiB the binary's per-thread block cache keeps (app/thread_heap_cache.cpp).
  static constexpr std::size_t BlockBytes = 4096 - 64;

  static std::string_view name_of(const Entry& entry) { return {entry.name, entry.name_size}; }
  static std::string_view value_of(const Entry& entry) { return {entry.value, entry.value_size}; }
  Field as_field(const Entry& entry) const { return {entry.id, name_of(entry), value_of(entry)}; }
  Field field_at(std::size_t at) const { return as_field(entries_[at]); }
  // Copies `text` into the store; where it came from does not matter, the store never moves.
  const char* store(std::string_view text);
  void release_blocks();
  void copy_from(const HeaderFields& other);
  static bool matches(const Entry& entry, field id, std::string_view name);
  std::size_t first_of(field id, std::string_view name) const;
  std::size_t count_of(field id, std::string_view name) const;
  template <class Visit>
  void visit_values(field id, std::string_view name, Visit& visit) const {
    for (const Entry& entry : entries_) {
      if (matches(entry, id, name)) {
        visit(value_of(entry));
      }
    }
  }
  std::size_t erase_all(field id, std::string_view name);
  template <class Predicate>
  std::size_t erase_entries(Predicate&& erased) {
    const auto kept = std::remove_if(entries_.begin(), entries_.end(), erased);
    const auto count = static_cast<std::size_t>(entries_.end() - kept);
    entries_.erase(kept, entries_.end());
    return count;
  }

  boost::container::small_vector<Entry, InlineFields> entries_;
  char inline_bytes_[InlineBytes];
  char* free_ = inline_bytes_;  // where the next text goes
  char* limit_ = inline_bytes_ + InlineBytes;
  Block* blocks_ = nullptr;  // the newest heap block, if any
  boost::container::small_vector<char, InlineStartLine> start_line_;  // target or reason
  std::string method_;  // only for a method Beast has no verb for
};

using RequestHeader = boost::beast::http::header<true, HeaderFields>;
using ResponseHeader = boost::beast::http::header<false, HeaderFields>;

}  // namespace portico
