// The process's operator new and delete: a per-thread cache of freed blocks in front of
// glibc's malloc. A proxied request allocates and frees about 28 blocks (Beast's header
// fields, Asio's coroutine frames and composed operations), most of them the same sizes as the
// previous request's. glibc's own per-thread cache keeps only 7 blocks of a size and nothing
// over 1 KiB, so in the steady state most of those reached malloc's shared bins (about 9 % of
// the proxy's CPU under keep-alive load, bench/RESULTS.md). Here a freed block of up to 4 KiB
// goes on its thread's list for its size, and the next allocation of that size on that thread
// takes it back without a lock or a search: a worker's requests then cost no call to malloc.
//
// Each thread owns its cache; a block freed on another thread than the one that allocated it
// joins the freeing thread's cache (both are plain malloc blocks). A thread keeps at most
// ThreadBudget bytes; beyond that, and for larger blocks, it is malloc and free as before.
// Linked into the portico executable only, and not into sanitizer builds, whose own operator
// new must see every allocation.
#include <malloc.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace {

constexpr std::size_t Granule = 16;   // malloc's alignment, and the step between size classes
constexpr std::size_t Classes = 256;  // blocks up to 4 KiB
// Enough for the blocks of the requests one worker has in flight: under HTTP/2 load (640
// streams) a budget of 1 MiB overflowed and left 37 calls to malloc per request.
constexpr std::size_t ThreadBudget = std::size_t{8} << 20;

struct FreeBlock {
  FreeBlock* next;
};

// Constant-initialised, so reaching it costs no guard; the Drain below empties it when its
// thread ends, after which the thread's remaining deletes go straight to free().
struct ThreadCache {
  FreeBlock* blocks[Classes + 1];  // by size class: class k holds blocks of at least k * Granule
  std::size_t bytes;
  bool drain_registered;
  bool closed;
};
constinit thread_local ThreadCache cache{};

struct Drain {
  Drain() = default;
  Drain(const Drain&) = delete;
  Drain& operator=(const Drain&) = delete;
  ~Drain() {
    cache.closed = true;
    for (auto*& head : cache.blocks) {
      while (head != nullptr) {
        FreeBlock* next = head->next;
        std::free(head);
        head = next;
      }
    }
    cache.bytes = 0;
  }
};

void register_drain() {
  cache.drain_registered = true;
  static thread_local Drain drain;
}

// The class whose blocks serve `size` bytes; 0 for a size the cache does not keep.
std::size_t class_for(std::size_t size) {
  const std::size_t k = size == 0 ? 1 : (size + Granule - 1) / Granule;
  return k <= Classes ? k : 0;
}

void* allocate(std::size_t size) {
  const std::size_t k = class_for(size);
  if (k != 0) {
    if (FreeBlock* block = cache.blocks[k]) {
      cache.blocks[k] = block->next;
      cache.bytes -= k * Granule;
      return block;
    }
    size = k * Granule;  // so that the block can come back to class k
  }
  if (void* block = std::malloc(size)) {
    return block;
  }
  throw std::bad_alloc();
}

// `k`: the class of a block known to hold at least k * Granule bytes, 0 if unknown.
void release(void* pointer, std::size_t k) {
  if (pointer == nullptr) {
    return;
  }
  if (k != 0 && !cache.closed && cache.bytes + k * Granule <= ThreadBudget) {
    if (!cache.drain_registered) {
      register_drain();
    }
    auto* block = static_cast<FreeBlock*>(pointer);
    block->next = cache.blocks[k];
    cache.blocks[k] = block;
    cache.bytes += k * Granule;
    return;
  }
  std::free(pointer);
}

// An unsized delete learns the block's capacity from malloc: a block of class k was asked of
// malloc as k * Granule bytes, and glibc reports that plus its 8-byte header slack (or more,
// when it handed out a larger chunk: the block then joins the class its capacity allows).
std::size_t class_of_block(void* pointer) {
  if (pointer == nullptr) {
    return 0;
  }
  const std::size_t usable = malloc_usable_size(pointer);
  return usable < Granule + 8 ? 0 : class_for((usable - 8) / Granule * Granule);
}

}  // namespace

void* operator new(std::size_t size) {
  return allocate(size);
}
void* operator new[](std::size_t size) {
  return allocate(size);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return allocate(size);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
  return operator new(size, tag);
}

void operator delete(void* pointer) noexcept {
  release(pointer, class_of_block(pointer));
}
void operator delete[](void* pointer) noexcept {
  release(pointer, class_of_block(pointer));
}
void operator delete(void* pointer, std::size_t size) noexcept {
  release(pointer, class_for(size));
}
void operator delete[](void* pointer, std::size_t size) noexcept {
  release(pointer, class_for(size));
}
void operator delete(void* pointer, const std::nothrow_t&) noexcept {
  operator delete(pointer);
}
void operator delete[](void* pointer, const std::nothrow_t&) noexcept {
  operator delete(pointer);
}
