#pragma once
// LoadGenerator: client threads sending requests to Portico over real connections until
// stopped, counting every outcome, for tests that change things under load (churn, shutdown).
//  - keep-alive clients: GET after GET on one connection. When a reused connection closes
//    before any byte of the answer (a server may close an idle connection at any time,
//    RFC 9112 §9.3.1), the GET is sent once more on a new one and counted as retried.
//  - closing clients: one GET per connection (Connection: close).
//  - slow POSTs: one per connection, held by the backend for a while, so some are always in
//    flight; never retried.
// A refused connection ends that client (counted as refused): after a shutdown, the listener
// is gone. After stop_new_connections() (what a load balancer does once /readyz says 503), a
// client that would need a new connection ends instead.
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace portico::test {

class LoadGenerator {
 public:
  LoadGenerator(std::uint16_t port, std::string host, std::string get_path,
                std::string slow_post_path);
  ~LoadGenerator();

  void add_keep_alive_clients(int n);
  void add_closing_clients(int n);
  void add_slow_posts(int n);
  void stop();  // and join every client
  void stop_new_connections() { no_new_connections_ = true; }

  std::uint64_t ok() const { return ok_; }
  std::uint64_t failed() const { return failed_; }                // any status but 200
  std::uint64_t socket_errors() const { return socket_errors_; }  // reset, cut, or no answer
  std::uint64_t refused() const { return refused_; }
  std::uint64_t retried() const { return retried_; }
  std::string summary() const;  // counts, then the first few problems

 private:
  enum class Kind { KeepAlive, Closing, SlowPost };
  void run(Kind kind);
  void problem(const std::string& what);

  std::uint16_t port_;
  std::string host_;
  std::string get_path_;
  std::string slow_post_path_;
  std::atomic<std::uint64_t> ok_{0}, failed_{0}, socket_errors_{0}, refused_{0}, retried_{0};
  std::atomic<bool> stop_{false};
  std::atomic<bool> no_new_connections_{false};
  mutable std::mutex mutex_;
  std::vector<std::string> problems_;
  std::vector<std::thread> clients_;
};

}  // namespace portico::test
