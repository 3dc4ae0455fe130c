#pragma once
// Http2StreamTable: the open streams of one HTTP/2 connection by id, and what nghttp2's DATA
// and stream-close callbacks do with them, the same at both ends of the proxy.
#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <memory>
#include <unordered_map>

#include "proxy/http2/http2_stream.hpp"

namespace portico {

class Http2StreamTable {
 public:
  Http2Stream* find(std::int32_t id) const {
    const auto it = streams_.find(id);
    return it == streams_.end() ? nullptr : it->second.get();
  }
  std::shared_ptr<Http2Stream> share(std::int32_t id) const {
    const auto it = streams_.find(id);
    return it == streams_.end() ? nullptr : it->second;
  }
  void add(std::shared_ptr<Http2Stream> stream) {
    const std::int32_t id = stream->id();
    streams_.emplace(id, std::move(stream));
  }
  bool empty() const { return streams_.empty(); }
  std::size_t size() const { return streams_.size(); }

  // A DATA frame's payload to its stream; for a stream already gone, the window is given
  // back at once so the connection's window does not shrink for nothing.
  void deliver(nghttp2_session* session, std::int32_t id, const std::uint8_t* data,
               std::size_t size) {
    if (Http2Stream* stream = find(id)) {
      stream->receive(data, size);
    } else {
      nghttp2_session_consume_connection(session, size);
    }
  }
  // The stream ended (cleanly: its pending reads see eof; else a reset) and leaves the table.
  void close(std::int32_t id, std::uint32_t error_code) {
    if (const auto it = streams_.find(id); it != streams_.end()) {
      it->second->close(error_code == NGHTTP2_NO_ERROR
                            ? boost::system::error_code(boost::asio::error::eof)
                            : boost::system::error_code(boost::asio::error::connection_reset));
      streams_.erase(it);
    }
  }
  // The connection is over: every stream still open is reset.
  void close_all() {
    for (auto& [id, stream] : streams_) {
      stream->close(boost::asio::error::connection_reset);
    }
    streams_.clear();
  }

 private:
  std::unordered_map<std::int32_t, std::shared_ptr<Http2Stream>> streams_;
};

}  // namespace portico
