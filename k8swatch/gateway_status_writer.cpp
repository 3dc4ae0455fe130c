#include "k8swatch/gateway_status_writer.hpp"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <nlohmann/json.hpp>

#include "k8swatch/leader_election.hpp"
#include "proxy/common/log.hpp"
#include "proxy/common/utc_time.hpp"

namespace portico::k8s {
namespace {

using nlohmann::json;

constexpr const char* Api = "/apis/gateway.networking.k8s.io/v1";

json conditions_json(const std::vector<Condition>& conditions, std::int64_t generation,
                     const std::string& time) {
  json out = json::array();
  for (const auto& condition : conditions) {
    out.push_back({{"type", condition.type},
                   {"status", condition.status ? "True" : "False"},
                   {"reason", condition.reason},
                   {"message", condition.message},
                   {"observedGeneration", generation},
                   {"lastTransitionTime", time}});
  }
  return out;
}

json addresses_json(const std::vector<std::string>& addresses) {
  json out = json::array();
  for (const auto& address : addresses) {
    boost::system::error_code ec;
    boost::asio::ip::make_address(address, ec);
    out.push_back({{"type", ec ? "Hostname" : "IPAddress"}, {"value", address}});
  }
  return out;
}

json parent_ref_json(const ObjectReference& ref) {
  json out = {
      {"group", ref.group}, {"kind", ref.kind}, {"namespace", ref.namespace_}, {"name", ref.name}};
  if (!ref.section_name.empty()) {
    out["sectionName"] = ref.section_name;
  }
  if (ref.port) {
    out["port"] = *ref.port;
  }
  return out;
}

}  // namespace

std::vector<StatusPatch> gateway_status_patches(const GatewayApiStatus& status,
                                                const std::vector<std::string>& addresses,
                                                const std::string& controller_name,
                                                const std::string& time) {
  std::vector<StatusPatch> patches;
  for (const auto& gateway_class : status.classes) {
    patches.push_back({std::string(Api) + "/gatewayclasses/" + gateway_class.name + "/status",
                       json{{"status",
                             {{"conditions", conditions_json(gateway_class.conditions,
                                                             gateway_class.generation, time)}}}}
                           .dump()});
  }
  for (const auto& gateway : status.gateways) {
    json listeners = json::array();
    for (const auto& listener : gateway.listeners) {
      json kinds = json::array();
      for (const auto& kind : listener.supported_kinds) {
        kinds.push_back({{"group", kind.group}, {"kind", kind.kind}});
      }
      listeners.push_back(
          {{"name", listener.name},
           {"supportedKinds", kinds},
           {"attachedRoutes", listener.attached_routes},
           {"conditions", conditions_json(listener.conditions, gateway.generation, time)}});
    }
    patches.push_back(
        {std::string(Api) + "/namespaces/" + gateway.namespace_ + "/gateways/" + gateway.name +
             "/status",
         json{{"status",
               {{"addresses", addresses_json(addresses)},
                {"conditions", conditions_json(gateway.conditions, gateway.generation, time)},
                {"listeners", listeners}}}}
             .dump()});
  }
  for (const auto& route : status.routes) {
    json parents = json::array();
    for (const auto& parent : route.parents) {
      parents.push_back(
          {{"parentRef", parent_ref_json(parent.parent)},
           {"controllerName", controller_name},
           {"conditions", conditions_json(parent.conditions, route.generation, time)}});
    }
    patches.push_back({std::string(Api) + "/namespaces/" + route.namespace_ + "/" + route.plural +
                           "/" + route.name + "/status",
                       json{{"status", {{"parents", parents}}}}.dump()});
  }
  return patches;
}

GatewayStatusWriter::GatewayStatusWriter(const ApiConfig& config, const LeaderElector& leader,
                                         std::string controller_name)
    : client_(config), leader_(leader), controller_name_(std::move(controller_name)) {}

GatewayStatusWriter::~GatewayStatusWriter() {
  stop();
}

void GatewayStatusWriter::start() {
  loop_.start([this] { run(); });
}

void GatewayStatusWriter::stop() {
  loop_.stop([this] { client_.stop(); });
}

void GatewayStatusWriter::update(GatewayApiStatus status, std::vector<std::string> addresses) {
  {
    std::lock_guard lock(mutex_);
    status_ = std::move(status);
    addresses_ = std::move(addresses);
    changed_ = true;
  }
  loop_.wake();
}

void GatewayStatusWriter::run() {
  // Renders and compares only when there is something to do: a new status, a write that
  // failed, or leadership just won. A quiet leader does nothing every 2 s.
  bool pending = true;
  while (loop_.pause(std::chrono::seconds(2))) {
    GatewayApiStatus status;
    std::vector<std::string> addresses;
    {
      std::lock_guard lock(mutex_);
      pending = pending || changed_;
      changed_ = false;
      if (pending) {
        status = status_;
        addresses = addresses_;
      }
    }
    if (!leader_.is_leader()) {
      written_.clear();  // a leader-to-be writes everything once: others may have since
      pending = true;
    } else if (pending) {
      pending = !write_changes(status, addresses);
    }
  }
}

bool GatewayStatusWriter::write_changes(const GatewayApiStatus& status,
                                        const std::vector<std::string>& addresses) {
  const auto unchanged = gateway_status_patches(status, addresses, controller_name_, "");
  const auto patches =
      gateway_status_patches(status, addresses, controller_name_, utc_now_rfc3339(0));
  // An object gone from the status (deleted, or no longer ours) is forgotten: if it comes
  // back, it is written again.
  std::erase_if(written_, [&](const auto& entry) {
    return std::none_of(patches.begin(), patches.end(),
                        [&](const StatusPatch& patch) { return patch.path == entry.first; });
  });
  bool all_written = true;
  for (std::size_t i = 0; i < patches.size() && leader_.is_leader(); ++i) {
    const auto written = written_.find(patches[i].path);
    if (written != written_.end() && written->second == unchanged[i].body) {
      continue;
    }
    const auto reply =
        client_.send("PATCH", patches[i].path, patches[i].body, "application/merge-patch+json");
    if (reply && reply->status == 200) {
      written_[patches[i].path] = unchanged[i].body;
    } else {
      log::warn("status", "Gateway API status update failed; will retry",
                {{"object", patches[i].path},
                 {"error", reply ? std::to_string(reply->status) : reply.error()}});
      all_written = false;
    }
  }
  return all_written && leader_.is_leader();
}

}  // namespace portico::k8s
