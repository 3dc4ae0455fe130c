// app/thread_heap_cache.cpp, linked into this binary as into portico: what malloc sees of a
// thread's operator new and delete (mallinfo2's bytes in use), and that every block handed out
// holds what was asked. Each case runs its allocations on threads of its own, whose caches
// start empty.
#include <malloc.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <thread>
#include <vector>

namespace {

std::size_t bytes_in_use() {
  return mallinfo2().uordblks;
}

// Adds `per_size` blocks of each size in `sizes` to `blocks` (reserved by the caller, so that
// measuring costs no allocation), filled so that a short block would show. Returns whether
// every block holds at least what was asked.
bool allocate_blocks(const std::vector<std::size_t>& sizes, int per_size,
                     std::vector<void*>& blocks) {
  bool all_fit = true;
  for (std::size_t size : sizes) {
    for (int i = 0; i < per_size; ++i) {
      void* block = ::operator new(size);
      all_fit = all_fit && malloc_usable_size(block) >= size;
      std::memset(block, 0xA5, size);
      blocks.push_back(block);
    }
  }
  return all_fit;
}

std::vector<void*> reserved(std::size_t count) {
  std::vector<void*> blocks;
  blocks.reserve(count);
  return blocks;
}

// The measurements are taken with nothing else allocating in between: Catch's assertions
// allocate, so they come after. A thread's first cached block registers the cache's clean-up
// at thread exit, which allocates too: a warm-up block does that before `work` measures.
void run_on_new_thread(auto work) {
  std::thread([&work] {
    ::operator delete(::operator new(16));
    work();
  }).join();
}

const std::vector<std::size_t> CachedSizes = {0, 1, 24, 100, 1000, 1500, 2040, 4096};

}  // namespace

TEST_CASE("a freed block of up to 4 KiB comes back to its thread's next allocation of that size",
          "[heap_cache]") {
  run_on_new_thread([] {
    auto blocks = reserved(CachedSizes.size() * 8);
    auto again = reserved(blocks.capacity());
    const bool first_fit = allocate_blocks(CachedSizes, 8, blocks);
    const std::size_t in_use = bytes_in_use();
    for (void* block : blocks) {
      ::operator delete(block);  // unsized: the class comes from the block's capacity
    }
    const std::size_t after_delete = bytes_in_use();
    const bool again_fit = allocate_blocks(CachedSizes, 8, again);
    const std::size_t after_again = bytes_in_use();

    CHECK(first_fit);
    CHECK(again_fit);
    CHECK(after_delete == in_use);  // kept by the thread, not given back to malloc
    CHECK(after_again == in_use);   // every block came from the cache
    std::sort(blocks.begin(), blocks.end());
    auto sorted_again = again;
    std::sort(sorted_again.begin(), sorted_again.end());
    CHECK(sorted_again == blocks);
    for (std::size_t i = 0; i < again.size(); ++i) {
      ::operator delete(again[i], CachedSizes[i / 8]);  // sized
    }
  });
}

TEST_CASE("a thread's cache goes back to malloc when the thread ends", "[heap_cache]") {
  std::size_t cached_in_thread = 0;
  run_on_new_thread([&] {
    auto blocks = reserved(64);
    allocate_blocks({2000}, 64, blocks);
    for (void* block : blocks) {
      ::operator delete(block, 2000);
    }
    cached_in_thread = bytes_in_use();
  });
  CHECK(cached_in_thread - bytes_in_use() >= 64 * 2000);
}

TEST_CASE("a thread keeps at most 8 MiB, and blocks over 4 KiB go straight back to malloc",
          "[heap_cache]") {
  run_on_new_thread([] {
    auto small = reserved(4096);
    auto large = reserved(8);
    allocate_blocks({4096}, 4096, small);  // 16 MiB: half of it fits the cache
    allocate_blocks({64 * 1024}, 8, large);
    const std::size_t in_use = bytes_in_use();
    for (void* block : small) {
      ::operator delete(block);
    }
    const std::size_t after_small = bytes_in_use();
    for (void* block : large) {
      ::operator delete(block);
    }
    const std::size_t after_large = bytes_in_use();
    CHECK(in_use - after_small >= 2048 * 4096);
    CHECK(in_use - after_small < 4096 * 4096);
    CHECK(after_small - after_large >= 8 * 64 * 1024);
  });
}

TEST_CASE("blocks freed on another thread serve that thread's allocations", "[heap_cache]") {
  auto blocks = reserved(16);
  run_on_new_thread([&] { allocate_blocks({300}, 16, blocks); });
  run_on_new_thread([&] {
    bool intact = true;
    for (void* block : blocks) {
      const auto* bytes = static_cast<const unsigned char*>(block);
      intact = intact && std::all_of(bytes, bytes + 300, [](unsigned char b) { return b == 0xA5; });
      ::operator delete(block);
    }
    auto again = reserved(16);
    allocate_blocks({300}, 16, again);
    CHECK(intact);
    std::sort(blocks.begin(), blocks.end());
    std::sort(again.begin(), again.end());
    CHECK(again == blocks);
    for (void* block : again) {
      ::operator delete(block);
    }
  });
}

TEST_CASE("array and nothrow forms share the cache", "[heap_cache]") {
  run_on_new_thread([] {
    auto* array = new char[700];
    const auto array_address = reinterpret_cast<std::uintptr_t>(array);
    const std::size_t in_use = bytes_in_use();
    delete[] array;
    const std::size_t after_delete = bytes_in_use();
    void* block = ::operator new(700, std::nothrow);
    const auto block_address = reinterpret_cast<std::uintptr_t>(block);
    ::operator delete(block, std::nothrow);
    const std::size_t after_nothrow = bytes_in_use();
    CHECK(after_delete == in_use);
    CHECK(block_address == array_address);
    CHECK(after_nothrow == in_use);
  });
}
