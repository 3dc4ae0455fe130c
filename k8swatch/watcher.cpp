#include "k8swatch/watcher.hpp"

#include <random>

#include "k8swatch/decode.hpp"
#include "k8swatch/watch_event.hpp"
#include "proxy/common/log.hpp"

namespace portico::k8s {
namespace {

constexpr std::chrono::milliseconds InitialBackoff{800};
constexpr std::chrono::milliseconds MaxBackoff{30'000};

std::string name_of(Kind kind) {
  return kind_name(kind);
}

// Items per list page: client-go's reflector asks for 500; Secrets can be large, so fewer.
constexpr int PageSize = 100;

}  // namespace

Watcher::Watcher(Kind kind, const ApiConfig& config, std::string namespace_, WatchSink sink,
                 std::shared_ptr<InvalidObjects> invalid,
                 std::shared_ptr<const SecretInterest> interest)
    : kind_(kind),
      client_(config),
      namespace_(is_cluster_scoped(kind) ? std::string() : std::move(namespace_)),
      sink_(std::move(sink)),
      invalid_(std::move(invalid)),
      interest_(std::move(interest)),
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
    // The decoders never throw; this is the last line of defence against what nobody foresaw
    // (an allocation failure on a huge reply): a watch thread must never take the process down.
    try {
      list_and_watch();
    } catch (const std::exception& error) {
      ++counters_.failures;
      log::error("watch", "unexpected failure; relisting",
                 {{"kind", name_of(kind_)}, {"error", error.what()}});
    } catch (...) {
      ++counters_.failures;
      log::error("watch", "unexpected failure; relisting", {{"kind", name_of(kind_)}});
    }
    if (!loop_.stopping()) {
      wait_backoff();
    }
  }
}

void Watcher::list_and_watch() {
  auto resource_version = list();
  if (!resource_version) {
    return;
  }
  backoff_ = InitialBackoff;
  while (!loop_.stopping() && watch(*resource_version) == Next::Rewatch) {
  }
}

std::optional<std::string> Watcher::list() {
  ++counters_.lists;
  std::vector<Object> objects;
  std::map<std::string, InvalidObjects::Entry> skipped;  // by key
  std::string continue_token;
  bool paged = true;
  std::string resource_version;
  for (;;) {
    const auto reply =
        client_.get(paged ? list_page_path(kind_, namespace_, PageSize, continue_token)
                          : collection_path(kind_, namespace_));
    if (reply && reply->status == 410 && !continue_token.empty()) {
      // The pages' snapshot was compacted away while we read them: as client-go does, fall
      // back to one list of everything.
      log::info("watch", "list pages expired; listing at once", {{"kind", name_of(kind_)}});
      objects.clear();
      continue_token.clear();
      paged = false;
      continue;
    }
    if (reply && reply->status == 404 && is_gateway_kind(kind_)) {
      // The API server does not serve the kind (Gateway API's CRDs are not installed), so none
      // exist. Asked again after each backoff: CRDs installed later are picked up.
      if (!counters_.absent.exchange(true)) {
        log::info("watch", "kind not served by the API server; checking again later",
                  {{"kind", name_of(kind_)}});
      }
      sink_.replace(kind_, {});
      return std::nullopt;
    }
    counters_.absent = false;
    if (!reply || reply->status != 200) {
      if (!loop_.stopping()) {
        log::warn("watch", "list failed; retrying",
                  {{"kind", name_of(kind_)}, {"error", failure_text(reply)}});
      }
      return std::nullopt;
    }
    auto page = parse_list_page(kind_, reply->body, interest_.get());
    if (!page) {
      log::warn("watch", "list reply unreadable; retrying",
                {{"kind", name_of(kind_)}, {"reason", page.error()}});
      return std::nullopt;
    }
    for (auto& invalid : page->invalid) {
      log::warn("watch", "invalid object skipped",
                {{"object", invalid.described}, {"reason", invalid.reason}});
      skipped.insert_or_assign(invalid.key.empty() ? invalid.described : invalid.key,
                               InvalidObjects::Entry{"API server", std::move(invalid.described),
                                                     std::move(invalid.reason)});
    }
    std::move(page->objects.begin(), page->objects.end(), std::back_inserter(objects));
    continue_token = paged ? page->continue_token : std::string();
    resource_version = page->resource_version;
    if (continue_token.empty() || loop_.stopping()) {
      break;
    }
  }
  log::debug("watch", "listed",
             {{"kind", name_of(kind_)}, {"objects", std::to_string(objects.size())}});
  sink_.replace(kind_, std::move(objects));
  invalid_->replace(scope(), std::move(skipped));
  return resource_version;
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
  counters_.watching = true;
  const auto reply = client_.stream(target, std::chrono::seconds(timeout_seconds + 30),
                                    [&](std::string_view line) {
                                      ++events;
                                      next = take_event(line, resource_version);
                                      return next == Next::Rewatch && !loop_.stopping();
                                    });
  counters_.watching = false;
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
  auto event = parse_watch_event(kind_, line, interest_.get());
  if (!event) {
    ++counters_.malformed;
    log::warn("watch", "malformed watch event skipped",
              {{"kind", name_of(kind_)}, {"reason", event.error()}});
    return Next::Rewatch;
  }
  ++counters_.events[static_cast<std::size_t>(event->type)];
  using Type = WatchEvent::Type;
  if (event->type == Type::Error) {
    log::info("watch", event->code == 410 ? "watch expired; relisting" : "watch error; relisting",
              {{"kind", name_of(kind_)}, {"message", event->message}});
    return Next::Relist;
  }
  if (!event->resource_version.empty()) {
    resource_version = event->resource_version;
  }
  if (event->type == Type::Bookmark) {
    return Next::Rewatch;
  }
  if (event->object) {
    invalid_->set(scope(), event->key, std::nullopt);
    sink_.upsert(std::move(*event->object));
    return Next::Rewatch;
  }
  std::optional<InvalidObjects::Entry> skipped;
  if (event->type != Type::Deleted) {
    // An object that no longer validates is not served at all, not served stale.
    log::warn("watch", "invalid object skipped",
              {{"object", event->described}, {"reason", event->invalid}});
    skipped = {"API server", event->described, event->invalid};
  }
  invalid_->set(scope(), event->key, std::move(skipped));
  sink_.erase(kind_, event->key);
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
