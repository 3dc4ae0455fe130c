// Application's pages under /debug/ that need the control plane as well as the data plane:
// what routing state comes from and how fresh it is (/debug/control), the certificates served
// and ACME's work on them (/debug/certificates), and what became of each annotation and which
// objects were skipped as invalid (/debug/objects). The dashboard reads them; so can scripts.
// Rendered on the control thread, which owns everything read here (or reads a thread-safe
// copy). Never a Secret's data: only names, hosts and dates.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "app/application.hpp"

namespace portico {

using nlohmann::json;

namespace {

const char* watch_state(const k8s::WatchCounters& counters) {
  if (counters.watching) {
    return "watching";
  }
  if (counters.absent) {
    return "not served by the API server";  // Gateway API without its CRDs
  }
  return counters.lists == 0 ? "listing" : "relisting or backing off";
}

}  // namespace

void Application::add_debug_pages() {
  admin_.add_page("/debug/control", [this] { return control_json(); });
  admin_.add_page("/debug/certificates", [this] { return certificates_json(); });
  admin_.add_page("/debug/objects", [this] { return objects_json(); });
}

std::string Application::control_json() const {
  json source;
  if (manifests_) {
    source = {{"kind", "manifests"}, {"paths", options_.manifests}};
  } else if (api_config_) {
    source = {{"kind", "API server"},
              {"server", api_config_->scheme + "://" + api_config_->host + ":" +
                             std::to_string(api_config_->port)},
              {"namespace", options_.namespace_.empty() ? "all" : options_.namespace_}};
  }
  json watches = json::array();
  for (const auto& watcher : watchers_) {
    const auto& counters = watcher->counters();
    const auto lists = counters.lists.load();
    const auto watches_opened = counters.watches.load();
    std::uint64_t events = 0;
    for (const auto& count : counters.events) {
      events += count.load();
    }
    watches.push_back({{"kind", k8s::kind_name(watcher->kind())},
                       {"state", watch_state(counters)},
                       {"lists", lists},
                       {"restarts", watches_opened > 0 ? watches_opened - 1 : 0},
                       {"events", events},
                       {"malformed", counters.malformed.load()},
                       {"failures", counters.failures.load()}});
  }
  json leader;
  if (leader_) {
    leader = {{"lease", own_namespace_ + "/" + options_.election_id},
              {"identity", k8s::replica_identity()},
              {"isLeader", leader_->is_leader()}};
  }
  json published = json::array();
  const auto& publications = control_.publications();
  for (auto it = publications.rbegin(); it != publications.rend(); ++it) {
    published.push_back({{"generation", it->generation},
                         {"unixMs", it->unix_ms},
                         {"buildMs", it->build_ms},
                         {"changed", it->changed}});
  }
  return json{{"source", source},
              {"watches", watches},
              {"leader", leader},
              {"ready", admin_.ready()},
              {"generation", workers_.published_generation()},
              {"workers", options_.workers},
              {"published", published}}
      .dump();
}

std::string Application::certificates_json() const {
  std::vector<acme::AcmeManager::CertificateState> acme_states;
  if (acme_) {
    acme_states = acme_->states();
  }
  const auto acme_state_of = [&](std::string_view origin) -> json {
    for (const auto& state : acme_states) {
      if (origin == "secret " + state.secret_key) {
        return {{"state", state.state},
                {"renewAt", state.renew_at},
                {"retryAt", state.retry_at},
                {"lastError", state.last_error}};
      }
    }
    return nullptr;
  };
  json certificates = json::array();
  if (const SnapshotPtr snapshot = workers_.latest()) {
    snapshot->certs->for_each_certificate([&](std::string_view host, const TlsContext& context) {
      const std::string& origin = context.origin();
      json acme = acme_state_of(origin);
      certificates.push_back(
          {{"host", host.empty() ? "(default: any other name)" : std::string(host)},
           {"source", !acme.is_null()                 ? "ACME, stored in " + origin
                      : origin.starts_with("secret ") ? "Secret " + origin.substr(7)
                      : host.empty() && origin == "self-signed"
                          ? std::string("default (self-signed)")
                          : "default (" + origin + ")"},
           {"notAfter", context.not_after()},
           {"acme", acme}});
    });
  }
  json orders = json::array();
  for (const auto& state : acme_states) {
    orders.push_back({{"secret", state.secret_key},
                      {"names", state.names},
                      {"state", state.state},
                      {"notAfter", state.not_after},
                      {"renewAt", state.renew_at},
                      {"retryAt", state.retry_at},
                      {"lastError", state.last_error}});
  }
  return json{{"certificates", certificates}, {"acme", orders}}.dump();
}

std::string Application::objects_json() const {
  json annotations = json::array();
  if (const SnapshotPtr snapshot = workers_.latest()) {
    for (const auto& [ingress, notes] : *snapshot->notes) {
      for (const auto& note : notes) {
        annotations.push_back({{"ingress", ingress},
                               {"annotation", note.annotation},
                               {"value", note.value},
                               {"verdict", note.verdict},
                               {"warning", !note.verdict.starts_with("applied")}});
      }
    }
  }
  // Warnings first: they are what an operator opens this for.
  std::stable_sort(annotations.begin(), annotations.end(), [](const json& a, const json& b) {
    return a["warning"].get<bool>() && !b["warning"].get<bool>();
  });
  json invalid = json::array();
  for (const auto& entry : invalid_objects_->list()) {
    invalid.push_back(
        {{"source", entry.source}, {"object", entry.object}, {"reason", entry.reason}});
  }
  return json{{"annotations", annotations}, {"invalid", invalid}}.dump();
}

}  // namespace portico
