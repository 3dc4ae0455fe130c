#include "config/manifest_source.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <set>

#include "config/manifest_documents.hpp"
#include "k8swatch/decode.hpp"
#include "proxy/common/log.hpp"
#include "proxy/common/read_file.hpp"

namespace portico {
namespace {

namespace fs = std::filesystem;

bool is_manifest_name(const fs::path& path) {
  const auto name = path.filename().string();
  const auto ext = path.extension().string();
  return !name.starts_with('.') && (ext == ".yaml" || ext == ".yml" || ext == ".json");
}

std::vector<k8s::Object> decode_documents(
    const std::string& file, std::vector<ManifestDocument> documents,
    std::map<std::string, k8s::InvalidObjects::Entry>& invalid) {
  std::vector<k8s::Object> objects;
  invalid.clear();
  for (auto& document : documents) {
    if (!k8s::kind_from_json(document.json)) {
      log::debug("manifests", "not a kind Portico reads; ignored",
                 {{"file", file},
                  {"document", document.position},
                  {"object", k8s::describe(document.json)}});
      continue;
    }
    auto object = k8s::decode_object(document.json);
    if (!object) {
      log::warn("manifests", "invalid object skipped",
                {{"file", file},
                 {"document", document.position},
                 {"object", k8s::describe(document.json)},
                 {"reason", object.error()}});
      invalid.insert_or_assign(
          document.position,
          k8s::InvalidObjects::Entry{file + ", " + document.position, k8s::describe(document.json),
                                     object.error()});
      continue;
    }
    objects.push_back(std::move(*object));
  }
  return objects;
}

ObjectRef ref_of(const k8s::Object& object) {
  return {k8s::kind_of(object), k8s::key_of(k8s::meta_of(object))};
}

// What tells a rewritten file from an untouched one without reading it: editors and `kubectl`
// replace files (new inode) or rewrite them (new mtime); a chmod that makes an unreadable file
// readable changes its ctime. Empty, meaning "read it", while the ctime (which every write
// moves too) is less than two seconds old: on a file system that keeps times in whole seconds,
// two writes of the same size within one second would otherwise look alike (git's "racy"
// entries).
std::string file_stamp(const std::string& path) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0 || status.st_ctim.tv_sec + 2 > std::time(nullptr)) {
    return {};
  }
  const auto time = [](const timespec& at) {
    return std::to_string(at.tv_sec) + "." + std::to_string(at.tv_nsec);
  };
  return std::to_string(status.st_dev) + ":" + std::to_string(status.st_ino) + ":" +
         std::to_string(status.st_size) + ":" + time(status.st_mtim) + ":" +
         time(status.st_ctim);
}

}  // namespace

void ManifestSource::touch_all(const FileState& state, std::set<ObjectRef>& touched) {
  for (const auto& [ref, position] : state.index) {
    touched.insert(ref);
  }
}

ManifestSource::ManifestSource(std::vector<std::string> roots,
                               std::shared_ptr<k8s::InvalidObjects> invalid)
    : roots_(std::move(roots)), invalid_(std::move(invalid)) {}

Expected<std::unique_ptr<ManifestSource>> ManifestSource::open(
    std::vector<std::string> roots, std::shared_ptr<k8s::InvalidObjects> invalid) {
  std::unique_ptr<ManifestSource> source(new ManifestSource(std::move(roots), std::move(invalid)));
  for (const auto& root : source->roots_) {
    std::error_code ec;
    const auto status = fs::status(root, ec);
    if (ec || !fs::exists(status)) {
      return fail("--manifests " + root + ": no such file or directory");
    }
    if (fs::is_regular_file(status) && !read_file(root)) {
      return fail("--manifests " + root + ": cannot be read");
    }
    if (fs::is_directory(status) && ::access(root.c_str(), R_OK | X_OK) != 0) {
      return fail("--manifests " + root + ": directory cannot be read");
    }
  }
  source->inotify_fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  source->stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (source->inotify_fd_ < 0 || source->stop_fd_ < 0) {
    return fail("cannot watch manifest files: inotify unavailable");
  }
  source->watch_directories();
  source->rescan();
  return source;
}

ManifestSource::~ManifestSource() {
  stop();
  for (const int fd : {inotify_fd_, stop_fd_}) {
    if (fd >= 0) {
      ::close(fd);
    }
  }
}

void ManifestSource::start(Deliver deliver, DeliverChanges deliver_changes) {
  deliver(objects());
  thread_ = std::thread(
      [this, deliver_changes = std::move(deliver_changes)] { run(deliver_changes); });
}

std::vector<k8s::Object> ManifestSource::read_once() {
  rescan();
  return objects();
}

void ManifestSource::stop() {
  if (thread_.joinable()) {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(stop_fd_, &one, sizeof one);
    thread_.join();
  }
}

std::vector<std::string> ManifestSource::list_files() const {
  std::vector<std::string> files;
  for (const auto& root : roots_) {
    std::error_code ec;
    if (fs::is_regular_file(root, ec)) {
      files.push_back(root);  // named explicitly: read whatever its extension
      continue;
    }
    if (!fs::is_directory(root, ec)) {
      continue;  // vanished since start: its objects go with it
    }
    auto it =
        fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const auto& path = it->path();
      if (path.filename().string().starts_with('.')) {
        if (it->is_directory(ec)) {
          it.disable_recursion_pending();
        }
        continue;
      }
      if (it->is_regular_file(ec) && is_manifest_name(path)) {
        files.push_back(path.string());
      }
    }
  }
  return files;
}

void ManifestSource::load_file(const std::string& path, FileState& state, bool is_new,
                               std::set<ObjectRef>& touched) {
  auto stamp = file_stamp(path);
  if (!is_new && !stamp.empty() && stamp == state.stamp) {
    return;
  }
  auto text = read_file(path);
  // Unreadable for now: no stamp, so that the next event reads it again.
  state.stamp = text ? std::move(stamp) : std::string();
  if (!text || (!is_new && *text == state.content)) {
    return;
  }
  state.content = std::move(*text);
  auto documents = parse_manifest(state.content, fs::path(path).extension() == ".json");
  if (!documents) {
    log::warn("manifests",
              is_new ? "file does not parse; skipped"
                     : "file does not parse; keeping its last good contents",
              {{"file", path}, {"reason", documents.error()}});
    state.invalid = {
        {"",
         {path, is_new ? "the whole file" : "the whole file (its last good contents are served)",
          documents.error()}}};
    return;
  }
  touch_all(state, touched);  // what it defined before
  state.objects = decode_documents(path, std::move(*documents), state.invalid);
  state.index.clear();
  for (std::size_t position = 0; position < state.objects.size(); ++position) {
    state.index.insert_or_assign(ref_of(state.objects[position]), position);
  }
  touch_all(state, touched);
}

ManifestChanges ManifestSource::rescan() {
  std::set<ObjectRef> touched;
  std::map<std::string, FileState> next;
  for (const auto& path : list_files()) {
    auto existing = files_.find(path);
    const bool is_new = existing == files_.end();
    FileState state;
    if (!is_new) {
      state = std::move(existing->second);
      files_.erase(existing);
    }
    load_file(path, state, is_new, touched);
    next.emplace(path, std::move(state));
  }
  for (const auto& [path, gone] : files_) {
    touch_all(gone, touched);
  }
  files_ = std::move(next);
  if (invalid_) {
    std::map<std::string, k8s::InvalidObjects::Entry> skipped;
    for (const auto& [path, state] : files_) {
      for (const auto& [position, entry] : state.invalid) {
        skipped.insert_or_assign(path + "#" + position, entry);
      }
    }
    invalid_->replace("manifests", std::move(skipped));
  }
  ManifestChanges changes;
  for (const auto& ref : touched) {
    if (const k8s::Object* object = defined(ref)) {
      changes.changed.push_back(*object);
    } else {
      changes.removed.push_back(ref);
    }
  }
  return changes;
}

const k8s::Object* ManifestSource::defined(const ObjectRef& ref) const {
  for (auto file = files_.rbegin(); file != files_.rend(); ++file) {
    if (const auto it = file->second.index.find(ref); it != file->second.index.end()) {
      return &file->second.objects[it->second];
    }
  }
  return nullptr;
}

std::vector<k8s::Object> ManifestSource::objects() const {
  std::vector<k8s::Object> all;
  for (const auto& [path, state] : files_) {
    all.insert(all.end(), state.objects.begin(), state.objects.end());
  }
  return all;
}

void ManifestSource::watch_directories() {
  constexpr std::uint32_t mask = IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE |
                                 IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF |
                                 IN_ATTRIB;
  std::set<std::string> directories;                     // every event in them counts
  std::map<std::string, std::set<std::string>> parents;  // only events about these names count
  for (const auto& root : roots_) {
    std::error_code ec;
    // The parent too: an editor that saves by renaming, or a root that is deleted and made
    // again, shows up there.
    const auto absolute = fs::absolute(root, ec).lexically_normal();
    parents[absolute.parent_path().string()].insert(absolute.filename().string());
    if (!fs::is_directory(root, ec)) {
      continue;
    }
    directories.insert(root);
    auto it =
        fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_directory(ec)) {
        directories.insert(it->path().string());
      }
    }
  }
  watched_.clear();
  // Adding a watch twice returns the same descriptor; a directory watched whole stays whole.
  for (const auto& directory : directories) {
    const int descriptor = inotify_add_watch(inotify_fd_, directory.c_str(), mask);
    watched_[descriptor].reset();
  }
  for (auto& [directory, names] : parents) {
    const int descriptor = inotify_add_watch(inotify_fd_, directory.c_str(), mask);
    auto [entry, added] = watched_.try_emplace(descriptor, std::move(names));
    if (!added && entry->second) {
      entry->second->insert(names.begin(), names.end());
    }
  }
}

// An event in a watched directory, or about a root's own name in its parent: the parent of a
// root such as /tmp/manifests is often busy with files that have nothing to do with us, and
// its events would keep the quiet period from ever ending.
bool ManifestSource::concerns_us(const inotify_event& event) const {
  if (event.mask & IN_Q_OVERFLOW) {
    return true;  // events were lost: rescan to be sure
  }
  const auto watch = watched_.find(event.wd);
  if (watch == watched_.end()) {
    return false;
  }
  return !watch->second || (event.len > 0 && watch->second->contains(event.name));
}

bool ManifestSource::read_events() const {
  bool concerned = false;
  alignas(inotify_event) char events[16 * 1024];
  for (ssize_t length; (length = ::read(inotify_fd_, events, sizeof events)) > 0;) {
    for (ssize_t at = 0; at < length;) {
      const auto* event = reinterpret_cast<const inotify_event*>(events + at);
      concerned = concerned || concerns_us(*event);
      at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
    }
  }
  return concerned;
}

void ManifestSource::run(DeliverChanges deliver_changes) {
  // After an event that concerns us, wait until the files are quiet this long: an editor's
  // save is several events, and a half-written file is re-read when the write completes.
  // Events that do not concern us neither start nor extend the wait.
  using Clock = std::chrono::steady_clock;
  constexpr std::chrono::milliseconds Quiet{50};
  pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  std::optional<Clock::time_point> rescan_at;
  for (;;) {
    int timeout_ms = -1;
    if (rescan_at) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(*rescan_at - Clock::now());
      timeout_ms = static_cast<int>(std::max<std::int64_t>(0, left.count()));
    }
    const int ready = ::poll(fds, 2, timeout_ms);
    if (ready < 0 && errno != EINTR) {
      log::error("manifests", "watching stopped", {{"error", std::strerror(errno)}});
      return;
    }
    if (fds[1].revents & POLLIN) {
      return;
    }
    if (ready > 0 && (fds[0].revents & POLLIN) && read_events()) {
      rescan_at = Clock::now() + Quiet;
    }
    if (rescan_at && Clock::now() >= *rescan_at) {
      rescan_at.reset();
      watch_directories();
      if (auto changes = rescan(); !changes.empty()) {
        log::info("manifests", "manifests changed; applying",
                  {{"changed", std::to_string(changes.changed.size())},
                   {"removed", std::to_string(changes.removed.size())}});
        deliver_changes(std::move(changes));
      }
    }
  }
}

}  // namespace portico
