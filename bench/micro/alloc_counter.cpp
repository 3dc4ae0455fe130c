// An LD_PRELOAD counting allocator for bench/allocs.sh: every malloc, calloc, realloc and
// aligned allocation of the process is counted (C++'s operator new goes through malloc), and
// SIGUSR2 writes the count so far to standard error as "allocations N". The allocations
// themselves are glibc's, so the process behaves as it does without the counter.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>

extern "C" {
void* __libc_malloc(size_t size);
void* __libc_calloc(size_t count, size_t size);
void* __libc_realloc(void* old, size_t size);
void* __libc_memalign(size_t alignment, size_t size);
}

namespace {
std::atomic<unsigned long> allocations;

void counted() { allocations.fetch_add(1, std::memory_order_relaxed); }

// Async-signal-safe: formats the number by hand and writes it with one write(2).
void report(int) {
  char text[48] = "allocations ";
  char digits[24];
  int n = 0;
  unsigned long value = allocations.load(std::memory_order_relaxed);
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  int length = 12;
  while (n > 0) {
    text[length++] = digits[--n];
  }
  text[length++] = '\n';
  [[maybe_unused]] ssize_t written = write(STDERR_FILENO, text, static_cast<size_t>(length));
}

__attribute__((constructor)) void install() {
  struct sigaction action = {};
  action.sa_handler = report;
  action.sa_flags = SA_RESTART;
  sigaction(SIGUSR2, &action, nullptr);
}
}  // namespace

extern "C" {

void* malloc(size_t size) {
  counted();
  return __libc_malloc(size);
}

void* calloc(size_t count, size_t size) {
  counted();
  return __libc_calloc(count, size);
}

void* realloc(void* old, size_t size) {
  counted();
  return __libc_realloc(old, size);
}

void* memalign(size_t alignment, size_t size) {
  counted();
  return __libc_memalign(alignment, size);
}

void* aligned_alloc(size_t alignment, size_t size) { return memalign(alignment, size); }

int posix_memalign(void** out, size_t alignment, size_t size) {
  void* p = memalign(alignment, size);
  if (p == nullptr) {
    return ENOMEM;
  }
  *out = p;
  return 0;
}

}  // extern "C"
