#pragma once
// StatusWriter: keeps status.loadBalancer.ingress of every served Ingress equal to the
// published address, writing only as the leader and only where it differs (a merge patch on
// the /status subresource). Runs on its own thread; update() takes immutable values from the
// control thread. Failed writes are retried on the next round, every retry period.
#include <mutex>
#include <string>
#include <vector>

#include "k8swatch/api_client.hpp"
#include "k8swatch/background_loop.hpp"

namespace portico::k8s {

class LeaderElector;

struct StatusTarget {
  std::string namespace_;
  std::string name;
  std::vector<std::string> current;  // what the Ingress's status says now
};

class StatusWriter {
 public:
  StatusWriter(const ApiConfig& config, const LeaderElector& leader);
  ~StatusWriter();
  void start();
  void stop();
  // The served Ingresses and the addresses they should show (empty: nothing to publish).
  void update(std::vector<StatusTarget> ingresses, std::vector<std::string> addresses);

 private:
  void run();
  void write_differences(const std::vector<StatusTarget>& ingresses,
                         const std::vector<std::string>& addresses);

  ApiClient client_;
  const LeaderElector& leader_;
  std::mutex mutex_;  // guards the values handed over by update()
  std::vector<StatusTarget> ingresses_;
  std::vector<std::string> addresses_;
  BackgroundLoop loop_;
};

// The JSON merge patch that sets an Ingress's status to `addresses` (ip or hostname each).
std::string status_patch(const std::vector<std::string>& addresses);

}  // namespace portico::k8s
