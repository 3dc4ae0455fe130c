#pragma once
// GatewayStatusWriter: writes the Gateway API status the translation concluded (GatewayClass,
// Gateway with its listeners and addresses, HTTPRoute parents) as merge patches on each
// object's /status subresource. Only the leader writes, and only what changed since it last
// wrote it; a failed write is retried every few seconds. Its own thread; update() takes
// immutable values from the control thread.
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "k8swatch/api_client.hpp"
#include "k8swatch/background_loop.hpp"
#include "k8swatch/gateway_status.hpp"

namespace portico::k8s {

class LeaderElector;

struct StatusPatch {
  std::string path;  // the object's /status subresource
  std::string body;  // a JSON merge patch
};

// The patches that make every object's status what `status` says. `addresses`: the
// Gateways' status.addresses; `transition_time`: every condition's lastTransitionTime.
std::vector<StatusPatch> gateway_status_patches(const GatewayApiStatus& status,
                                                const std::vector<std::string>& addresses,
                                                const std::string& controller_name,
                                                const std::string& transition_time);

class GatewayStatusWriter {
 public:
  GatewayStatusWriter(const ApiConfig& config, const LeaderElector& leader,
                      std::string controller_name);
  ~GatewayStatusWriter();
  void start();
  void stop();
  void update(GatewayApiStatus status, std::vector<std::string> addresses);

 private:
  void run();
  // Writes what differs from what was written; false when a write failed (retry later).
  bool write_changes(const GatewayApiStatus& status, const std::vector<std::string>& addresses);

  ApiClient client_;
  const LeaderElector& leader_;
  const std::string controller_name_;
  std::mutex mutex_;  // guards the values handed over by update()
  GatewayApiStatus status_;
  std::vector<std::string> addresses_;
  bool changed_ = false;  // update() brought a value run() has not written yet
  // What was last written to each path, rendered with a fixed time: a status whose only
  // difference would be the time it was computed at is not written again.
  std::map<std::string, std::string> written_;
  BackgroundLoop loop_;
};

}  // namespace portico::k8s
