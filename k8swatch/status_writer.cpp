#include "k8swatch/status_writer.hpp"

#include <boost/asio/ip/address.hpp>
#include <nlohmann/json.hpp>

#include "k8swatch/leader_election.hpp"
#include "proxy/common/log.hpp"

namespace portico::k8s {

std::string status_patch(const std::vector<std::string>& addresses) {
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& address : addresses) {
    boost::system::error_code ec;
    boost::asio::ip::make_address(address, ec);
    entries.push_back({{ec ? "hostname" : "ip", address}});
  }
  return nlohmann::json{{"status", {{"loadBalancer", {{"ingress", entries}}}}}}.dump();
}

StatusWriter::StatusWriter(const ApiConfig& config, const LeaderElector& leader)
    : client_(config), leader_(leader) {}

StatusWriter::~StatusWriter() {
  stop();
}

void StatusWriter::start() {
  loop_.start([this] { run(); });
}

void StatusWriter::stop() {
  loop_.stop([this] { client_.stop(); });
}

void StatusWriter::update(std::vector<StatusTarget> ingresses, std::vector<std::string> addresses) {
  {
    std::lock_guard lock(mutex_);
    ingresses_ = std::move(ingresses);
    addresses_ = std::move(addresses);
  }
  loop_.wake();
}

void StatusWriter::run() {
  // Wakes on each update, and every couple of seconds: leadership may have arrived, or a
  // write failed and is due again. Each round writes only what differs.
  while (loop_.pause(std::chrono::seconds(2))) {
    std::vector<StatusTarget> ingresses;
    std::vector<std::string> addresses;
    {
      std::lock_guard lock(mutex_);
      ingresses = ingresses_;
      addresses = addresses_;
    }
    if (leader_.is_leader() && !addresses.empty()) {
      write_differences(ingresses, addresses);
    }
  }
}

void StatusWriter::write_differences(const std::vector<StatusTarget>& ingresses,
                                     const std::vector<std::string>& addresses) {
  for (const auto& ingress : ingresses) {
    if (ingress.current == addresses || !leader_.is_leader()) {
      continue;  // already right, or no longer ours to write
    }
    const std::string path = "/apis/networking.k8s.io/v1/namespaces/" + ingress.namespace_ +
                             "/ingresses/" + ingress.name + "/status";
    const auto reply =
        client_.send("PATCH", path, status_patch(addresses), "application/merge-patch+json");
    if (!reply || reply->status != 200) {
      log::warn("status", "status update failed; will retry",
                {{"ingress", ingress.namespace_ + "/" + ingress.name},
                 {"error", reply ? std::to_string(reply->status) : reply.error()}});
    }
  }
}

}  // namespace portico::k8s
