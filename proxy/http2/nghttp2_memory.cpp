#include "proxy/http2/nghttp2_memory.hpp"

#include <malloc.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <limits>
#include <new>

namespace portico {
namespace {

// nghttp2 expects malloc's contract: null on failure, never an exception.
void* allocate(std::size_t size, void*) {
  return ::operator new(size, std::nothrow);
}

void release(void* pointer, void*) {
  ::operator delete(pointer);
}

void* allocate_zeroed(std::size_t count, std::size_t size, void* user) {
  if (size != 0 && count > std::numeric_limits<std::size_t>::max() / size) {
    return nullptr;
  }
  void* block = allocate(count * size, user);
  if (block != nullptr) {
    std::memset(block, 0, count * size);
  }
  return block;
}

// operator new's blocks are malloc's (the cache's as much as the library's), so malloc knows
// how much each holds: a block that already holds `size` bytes is kept.
void* reallocate(void* old, std::size_t size, void* user) {
  if (old == nullptr) {
    return allocate(size, user);
  }
  if (size == 0) {
    release(old, user);
    return nullptr;
  }
  const std::size_t capacity = malloc_usable_size(old);
  if (size <= capacity) {
    return old;
  }
  void* grown = allocate(size, user);
  if (grown != nullptr) {
    std::memcpy(grown, old, std::min(capacity, size));
    release(old, user);
  }
  return grown;
}

nghttp2_mem memory{nullptr, allocate, release, allocate_zeroed, reallocate};

}  // namespace

nghttp2_mem* nghttp2_memory() {
  return &memory;
}

}  // namespace portico
