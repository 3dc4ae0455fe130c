#pragma once
// Session: what a worker may ask of any downstream connection it serves, whatever the codec
// (HTTP/1.1 or HTTP/2) and whether TLS or not. Sessions register with their Worker.

namespace portico {

class Session {
 public:
  virtual ~Session() = default;
  // Drain: an HTTP/1.1 connection closes now if it is between requests; an HTTP/2 one sends
  // GOAWAY, finishes the streams it has, and closes.
  virtual void drain() = 0;
};

}  // namespace portico
