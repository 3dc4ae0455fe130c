#pragma once
// LeaderElector: one leader among the replicas, through a coordination.k8s.io/v1 Lease, with
// client-go's algorithm and defaults: a 15 s lease, renewed every 2 s, given up when it could
// not be renewed for 10 s; updates carry the Lease's resourceVersion, so two replicas never
// both win. Expiry is judged by this replica's own clock from when it last saw the Lease
// change, never by the timestamps in it (clocks of different nodes disagree). Runs on its own
// thread; is_leader() may be read from any thread, and a lost lease reads false at once.
#include <atomic>
#include <chrono>
#include <string>

#include "k8swatch/api_client.hpp"
#include "k8swatch/background_loop.hpp"

namespace portico::k8s {

struct LeaseSettings {
  std::string namespace_;
  std::string name = "portico-leader";
  std::string identity;
  std::chrono::milliseconds lease_duration{15'000};
  std::chrono::milliseconds renew_deadline{10'000};
  std::chrono::milliseconds retry_period{2'000};
};

class LeaderElector {
 public:
  LeaderElector(const ApiConfig& config, LeaseSettings settings);
  ~LeaderElector();
  void start();
  void stop();  // gives the lease up when holding it, so another replica takes over at once
  bool is_leader() const noexcept { return leader_.load(); }

 private:
  void run();
  bool try_acquire_or_renew();
  void release();
  std::string lease_path() const;

  ApiClient client_;
  LeaseSettings settings_;
  std::atomic<bool> leader_{false};
  std::string observed_;  // the Lease's holder and renewTime when last seen
  std::chrono::steady_clock::time_point observed_at_{};
  std::chrono::steady_clock::time_point last_renewed_{};
  BackgroundLoop loop_;
};

// POD_NAME when set, else hostname and process id: two replicas on one machine never collide.
std::string replica_identity();

}  // namespace portico::k8s
