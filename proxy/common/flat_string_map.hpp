#pragma once
// FlatStringMap: a string-keyed hash map for tables that are built once and then only read,
// such as the route table's hosts. Open addressing with linear probing: the full hashes sit in
// one compact array, so the probe walk (and a lookup that finds nothing, as every wildcard
// host's first try does) stays within a cache line or two; only the slot whose hash matches is
// read, holding the key and the value side by side. In a table far larger than the caches
// that is three dependent misses, against five or more through std::unordered_map's buckets
// and nodes (issue 5, goal 5).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/common/string_hash.hpp"

namespace portico {

template <class Value>
class FlatStringMap {
 public:
  // The value stored under `key`, constructed from `args` if the key is new; the bool says
  // whether it was. Pointers into the map are invalidated by the next insertion.
  template <class... Args>
  std::pair<Value*, bool> try_emplace(std::string_view key, Args&&... args) {
    if ((size_ + 1) * 2 > slots_.size()) {
      grow();
    }
    const std::uint64_t hash = hash_of(key);
    const std::size_t index = probe(hash, key);
    Slot& slot = slots_[index];
    if (slot.value) {
      return {&*slot.value, false};
    }
    hashes_[index] = hash;
    slot.key = key;
    slot.value.emplace(std::forward<Args>(args)...);
    ++size_;
    return {&*slot.value, true};
  }

  const Value* find(std::string_view key) const noexcept {
    if (size_ == 0) {
      return nullptr;
    }
    const Slot& slot = slots_[probe(hash_of(key), key)];
    return slot.value ? &*slot.value : nullptr;
  }
  Value* find(std::string_view key) noexcept {
    return const_cast<Value*>(std::as_const(*this).find(key));
  }

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  // Every entry, in no particular order.
  template <class Visit>
  void for_each(Visit&& visit) const {
    for (const auto& slot : slots_) {
      if (slot.value) {
        visit(std::string_view(slot.key), *slot.value);
      }
    }
  }

 private:
  struct Slot {
    std::string key;
    std::optional<Value> value;  // empty: a free slot
  };

  // Never 0, which marks a free slot in hashes_.
  static std::uint64_t hash_of(std::string_view key) noexcept { return StringHash{}(key) | 1; }

  // The slot holding `key`, or the free slot where it belongs. At most half the slots are
  // ever used, so the walk ends, and is short.
  std::size_t probe(std::uint64_t hash, std::string_view key) const noexcept {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t index = hash & mask;; index = (index + 1) & mask) {
      if (hashes_[index] == 0 || (hashes_[index] == hash && slots_[index].key == key)) {
        return index;
      }
    }
  }

  void grow() {
    const std::size_t capacity = slots_.empty() ? 8 : slots_.size() * 2;
    std::vector<Slot> old_slots = std::exchange(slots_, std::vector<Slot>(capacity));
    std::vector<std::uint64_t> old_hashes =
        std::exchange(hashes_, std::vector<std::uint64_t>(capacity));
    for (std::size_t index = 0; index < old_slots.size(); ++index) {
      if (old_hashes[index] != 0) {
        const std::size_t moved = probe(old_hashes[index], old_slots[index].key);
        hashes_[moved] = old_hashes[index];
        slots_[moved] = std::move(old_slots[index]);
      }
    }
  }

  std::vector<std::uint64_t> hashes_;  // per slot: the key's hash, 0 when free
  std::vector<Slot> slots_;            // as long as hashes_, a power of two
  std::size_t size_ = 0;
};

}  // namespace portico
