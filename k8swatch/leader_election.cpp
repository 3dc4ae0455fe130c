#include "k8swatch/leader_election.hpp"

#include <unistd.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "k8swatch/json_fields.hpp"
#include "proxy/common/log.hpp"
#include "proxy/common/utc_time.hpp"

namespace portico::k8s {
namespace {

using nlohmann::json;

}  // namespace

std::string replica_identity() {
  if (const char* pod = std::getenv("POD_NAME"); pod != nullptr && *pod != '\0') {
    return pod;
  }
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return std::string(host) + "_" + std::to_string(::getpid());
}

LeaderElector::LeaderElector(const ApiConfig& config, LeaseSettings settings)
    : client_(config), settings_(std::move(settings)) {}

LeaderElector::~LeaderElector() {
  stop();
}

void LeaderElector::start() {
  loop_.start([this] { run(); });
}

void LeaderElector::stop() {
  loop_.stop();
}

std::string LeaderElector::lease_path() const {
  return "/apis/coordination.k8s.io/v1/namespaces/" + settings_.namespace_ + "/leases";
}

void LeaderElector::run() {
  do {
    const bool renewed = try_acquire_or_renew();
    const auto now = std::chrono::steady_clock::now();
    if (renewed) {
      last_renewed_ = now;
      if (!leader_.exchange(true)) {
        log::info("leader", "became the leader",
                  {{"lease", settings_.namespace_ + "/" + settings_.name},
                   {"identity", settings_.identity}});
      }
    } else if (leader_ && now - last_renewed_ >= settings_.renew_deadline) {
      leader_ = false;  // stop leading at once: another replica may hold it soon
      log::warn("leader", "lost the lease: could not renew it in time",
                {{"identity", settings_.identity}});
    }
  } while (loop_.pause(settings_.retry_period));
  if (leader_) {
    release();
  }
}

bool LeaderElector::try_acquire_or_renew() {
  const auto now = std::chrono::steady_clock::now();
  const auto lease_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(settings_.lease_duration).count();
  const auto reply = client_.get(lease_path() + "/" + settings_.name);
  if (!reply) {
    return false;
  }
  if (reply->status == 404) {
    const json lease = {
        {"apiVersion", "coordination.k8s.io/v1"},
        {"kind", "Lease"},
        {"metadata", {{"name", settings_.name}, {"namespace", settings_.namespace_}}},
        {"spec",
         {{"holderIdentity", settings_.identity},
          {"leaseDurationSeconds", lease_seconds},
          {"acquireTime", utc_now_rfc3339(6)},
          {"renewTime", utc_now_rfc3339(6)},
          {"leaseTransitions", 0}}}};
    const auto created = client_.send("POST", lease_path(), lease.dump());
    return created && created->status == 201;
  }
  if (reply->status != 200) {
    return false;
  }
  json lease = json::parse(reply->body, nullptr, false);
  if (!lease.is_object()) {
    return false;
  }
  // Read through the never-throwing readers: a Lease someone else wrote may hold anything.
  const std::string holder = string_field(object_field(lease, "spec"), "holderIdentity");
  const std::string seen = holder + "|" + string_field(object_field(lease, "spec"), "renewTime");
  if (seen != observed_) {
    observed_ = seen;
    observed_at_ = now;
  }
  const bool ours = holder == settings_.identity;
  if (!ours && !holder.empty() && now < observed_at_ + settings_.lease_duration) {
    return false;  // someone else holds an unexpired lease
  }
  json& spec = lease["spec"];
  if (!spec.is_object()) {
    spec = json::object();
  }
  if (!ours) {
    const auto transitions = spec.find("leaseTransitions");
    spec["acquireTime"] = utc_now_rfc3339(6);
    spec["leaseTransitions"] =
        (transitions != spec.end() && transitions->is_number_integer() ? transitions->get<int>()
                                                                       : 0) +
        1;
  }
  spec["holderIdentity"] = settings_.identity;
  spec["leaseDurationSeconds"] = lease_seconds;
  spec["renewTime"] = utc_now_rfc3339(6);
  // The resourceVersion read above makes this update conditional: a 409 means another replica
  // changed it first, and it wins.
  const auto updated = client_.send("PUT", lease_path() + "/" + settings_.name, lease.dump());
  return updated && updated->status == 200;
}

void LeaderElector::release() {
  leader_ = false;
  const auto reply = client_.get(lease_path() + "/" + settings_.name);
  if (!reply || reply->status != 200) {
    return;
  }
  json lease = json::parse(reply->body, nullptr, false);
  if (string_field(object_field(lease, "spec"), "holderIdentity") != settings_.identity) {
    return;
  }
  lease["spec"]["holderIdentity"] = "";
  lease["spec"]["leaseDurationSeconds"] = 1;
  const auto released = client_.send("PUT", lease_path() + "/" + settings_.name, lease.dump());
  if (released && released->status == 200) {
    log::info("leader", "released the lease", {{"identity", settings_.identity}});
  }  // otherwise it simply expires
}

}  // namespace portico::k8s
