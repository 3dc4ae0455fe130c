#pragma once
// The memory functions nghttp2's sessions allocate with: operator new and delete, so that the
// portico binary's per-thread block cache (app/thread_heap_cache.cpp) serves nghttp2's
// frames, streams and header tables as it serves the rest of a request. Without them nghttp2
// calls malloc for each.
#include <nghttp2/nghttp2.h>

namespace portico {

nghttp2_mem* nghttp2_memory();

}  // namespace portico
