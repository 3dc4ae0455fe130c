#include "k8swatch/watcher.hpp"

#include <nlohmann/json.hpp>
#include <random>

#include "k8swatch/decode.hpp"
#include "proxy/common/log.hpp"

namespace portico::k8s {
namespace {

using nlohmann::json;

constexpr std::chrono::milliseconds InitialBackoff{800};
constexpr std::chrono::milliseconds MaxBackoff{30'000};

std::string name_of(Kind kind) {
  return kind_name(kind);
}

std::string resource_version_of(const json& object) {
  const auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) {
    return {};
  }
  const auto rv = metadata->find("resourceVersion");
  return rv != metadata->end() && rv->is_string() ? rv->get<std::string>() : std::string();
}

std::string status_message(const std::string& body) {
  const json status = json::parse(body, nullptr, false);
  if (status.is_object() && status.contains("message") && status["message"].is_string()) {
    return status["message"].get<std::string>();
  }
  return body.substr(0, 200);
}

}  // namespace

Watcher::Watcher(Kind kind, const ApiConfig& config, std::string namespace_, WatchSink sink)
    : kind_(kind),
      client_(config),
      namespace_(kind == Kind::IngressClass ? std::string() : std::move(namespace_)),
      sink_(std::move(sink)),
      backoff_(InitialBackoff) {}

Watcher::~Watcher() {
  stop();
}

void Watcher::start() {
  loop_.start([this] { run(); });
}

void Watcher::stop() {
  loop_.stop([this] { client_.stop(); });
}

void Watcher::run() {
  while (!loop_.stopping()) {
    auto resource_version = list();
    if (!resource_version) {
      wait_backoff();
      continue;
    }
    backoff_ = InitialBackoff;
    while (!loop_.stopping() && watch(*resource_version) == Next::Rewatch) {
    }
    if (!loop_.stopping()) {
      wait_backoff();
    }
  }
}

std::optional<std::string> Watcher::list() {
  ++counters_.lists;
  const auto reply = client_.get(collection_path(kind_, namespace_));
  if (!reply || reply->status != 200) {
    if (!loop_.stopping()) {
      log::warn("watch", "list failed; retrying",
                {{"kind", name_of(kind_)},
                 {"error", reply ? std::to_string(reply->status) + " " + status_message(reply->body)
                                 : reply.error()}});
    }
    return std::nullopt;
  }
  json list = json::parse(reply->body, nullptr, /*allow_exceptions=*/false);
  if (!list.is_object() || !list.contains("items")) {
    log::warn("watch", "list reply is not a list; retrying", {{"kind", name_of(kind_)}});
    return std::nullopt;
  }
  std::vector<Object> objects;
  if (list["items"].is_array()) {
    for (auto& item : list["items"]) {
      auto object = decode_object_of(kind_, item);
      if (!object) {
        log::warn("watch", "invalid object skipped",
                  {{"object", describe(item)}, {"reason", object.error()}});
        continue;
      }
      objects.push_back(std::move(*object));
    }
  }
  log::debug("watch", "listed",
             {{"kind", name_of(kind_)}, {"objects", std::to_string(objects.size())}});
  sink_.replace(kind_, std::move(objects));
  return resource_version_of(list);
}

Watcher::Next Watcher::watch(std::string& resource_version) {
  // As client-go does: a server-side timeout of 5-10 minutes, so watches end and restart
  // cleanly, and a read timeout a little longer so a silent stream is noticed.
  static thread_local std::mt19937 random(std::random_device{}());
  const int timeout_seconds = 300 + static_cast<int>(random() % 300);
  const std::string target =
      collection_path(kind_, namespace_) +
      "?watch=true&allowWatchBookmarks=true&resourceVersion=" + resource_version +
      "&timeoutSeconds=" + std::to_string(timeout_seconds);
  ++counters_.watches;
  Next next = Next::Rewatch;
  std::size_t events = 0;
  const auto started = std::chrono::steady_clock::now();
  const auto reply = client_.stream(target, std::chrono::seconds(timeout_seconds + 30),
                                    [&](std::string_view line) {
                                      ++events;
                                      next = take_event(line, resource_version);
                                      return next == Next::Rewatch && !loop_.stopping();
                                    });
  if (loop_.stopping()) {
    return Next::Relist;
  }
  if (!reply) {
    log::warn("watch", "watch stream failed", {{"kind", name_of(kind_)}, {"error", reply.error()}});
    return Next::Relist;
  }
  if (reply->status != 200) {
    log::warn("watch",
              reply->status == 410 ? "watch expired; relisting" : "watch refused; relisting",
              {{"kind", name_of(kind_)},
               {"status", std::to_string(reply->status)},
               {"message", status_message(reply->body)}});
    return Next::Relist;
  }
  // A stream that ends at once with nothing in it would otherwise be re-opened in a tight
  // loop: relist after a backoff instead, as client-go does.
  if (events == 0 && std::chrono::steady_clock::now() - started < std::chrono::seconds(1)) {
    return Next::Relist;
  }
  return next;
}

Watcher::Next Watcher::take_event(std::string_view line, std::string& resource_version) {
  json event = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!event.is_object() || !event.contains("type") || !event["type"].is_string() ||
      !event.contains("object") || !event["object"].is_object()) {
    log::warn("watch", "malformed watch event skipped", {{"kind", name_of(kind_)}});
    return Next::Rewatch;
  }
  const std::string type = event["type"].get<std::string>();
  for (std::size_t i = 0; i < WatchCounters::EventTypes.size(); ++i) {
    if (type == WatchCounters::EventTypes[i]) {
      ++counters_.events[i];
    }
  }
  json& object = event["object"];
  if (type == "ERROR") {
    const bool expired = object.value("code", 0) == 410;
    log::info("watch", expired ? "watch expired; relisting" : "watch error; relisting",
              {{"kind", name_of(kind_)}, {"message", object.value("message", std::string())}});
    return Next::Relist;
  }
  if (const auto rv = resource_version_of(object); !rv.empty()) {
    resource_version = rv;
  }
  if (type == "BOOKMARK") {
    return Next::Rewatch;
  }
  auto decoded = decode_object_of(kind_, object);
  if (type == "DELETED" || !decoded) {
    if (!decoded && type != "DELETED") {
      // An object that no longer validates is not served at all, not served stale.
      log::warn("watch", "invalid object skipped",
                {{"object", describe(object)}, {"reason", decoded.error()}});
    }
    const json& metadata = object["metadata"];
    const std::string ns = kind_ == Kind::IngressClass
                               ? std::string()
                               : metadata.value("namespace", std::string("default"));
    const std::string name = metadata.value("name", std::string());
    sink_.erase(kind_, ns.empty() ? name : ns + "/" + name);
    return Next::Rewatch;
  }
  if (type == "ADDED" || type == "MODIFIED") {
    sink_.upsert(std::move(*decoded));
  }
  return Next::Rewatch;
}

void Watcher::wait_backoff() {
  // Jitter as client-go: a delay d becomes a random value in [d, 2d).
  static thread_local std::mt19937 random(std::random_device{}());
  const auto jittered = backoff_ + std::chrono::milliseconds(random() % (backoff_.count() + 1));
  loop_.pause(jittered);
  backoff_ = std::min(backoff_ * 2, MaxBackoff);
}

}  // namespace portico::k8s
