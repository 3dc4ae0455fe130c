#pragma once
// LineSplitter: a watch stream is newline-delimited JSON, but the chunks it arrives in carry
// no meaning: one line may span several chunks and one chunk may hold several lines. Keeps
// the incomplete tail between chunks.
#include <string>
#include <string_view>

namespace portico::k8s {

class LineSplitter {
 public:
  // Calls `on_line` for each line `chunk` completes, without its '\n'. Stops, and returns
  // false, as soon as `on_line` does.
  template <class OnLine>
  bool feed(std::string_view chunk, OnLine&& on_line) {
    pending_.append(chunk);
    std::size_t start = 0;
    for (auto end = pending_.find('\n'); end != std::string::npos;
         end = pending_.find('\n', start)) {
      if (!on_line(std::string_view(pending_).substr(start, end - start))) {
        pending_.erase(0, end + 1);
        return false;
      }
      start = end + 1;
    }
    pending_.erase(0, start);
    return true;
  }
  std::string_view pending() const noexcept { return pending_; }

 private:
  std::string pending_;
};

}  // namespace portico::k8s
