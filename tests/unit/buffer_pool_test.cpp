// RelayBuffer: an exchange takes the worker's relay buffer only when a body relay reads into
// it, and gives it back when it ends.
#include "proxy/worker/buffer_pool.hpp"

#include <catch2/catch.hpp>
#include <memory>

using portico::BufferPool;
using portico::RelayBuffer;

TEST_CASE("a relay buffer is taken from the pool on first use, and given back", "[buffers]") {
  BufferPool pool;
  auto first = std::make_unique_for_overwrite<char[]>(BufferPool::BufferSize);
  const char* pooled = first.get();
  pool.give_back(std::move(first));

  {
    RelayBuffer unused(pool);  // an exchange whose bodies all came with their heads
    auto meanwhile = pool.take();
    CHECK(meanwhile.get() == pooled);  // still the pool's
    pool.give_back(std::move(meanwhile));
  }

  {
    RelayBuffer used(pool);
    CHECK(used.data() == pooled);
    CHECK(used.data() == pooled);  // the same buffer for the whole exchange
    auto other = pool.take();      // meanwhile the pool has none of its own left
    CHECK(other.get() != pooled);
  }
  CHECK(pool.take().get() == pooled);  // back when the exchange ended
}
