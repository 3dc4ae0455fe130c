#pragma once
// ManifestSource: Kubernetes objects from files and directories (--manifests), the source
// that needs no cluster. Reads every file once at open(), then watches with inotify and, when
// files change, delivers only the objects of those files that changed or went away (as a
// watch would), so an edit to one small file costs the same next to 10,000 Ingresses as next
// to ten. A file that stops parsing keeps its last good objects; an invalid object is logged
// (file, document, object, reason) and skipped. Its own thread does the watching; deliveries
// are immutable values.
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "k8swatch/invalid_objects.hpp"
#include "k8swatch/resources.hpp"
#include "proxy/common/expected.hpp"

struct inotify_event;

namespace portico {

// An object's identity across files: its kind and "namespace/name".
using ObjectRef = std::pair<k8s::Kind, std::string>;

struct ManifestChanges {
  std::vector<k8s::Object> changed;  // added or edited (some may be as they were)
  std::vector<ObjectRef> removed;    // no file defines them any more
  bool empty() const noexcept { return changed.empty() && removed.empty(); }
};

class ManifestSource {
 public:
  using Deliver = std::function<void(std::vector<k8s::Object>)>;
  using DeliverChanges = std::function<void(ManifestChanges)>;

  // Fails when a path does not exist or cannot be read (exit status 2 at start-up).
  // `invalid`, when given, lists the documents skipped as invalid and the files that do not
  // parse, after every read.
  static Expected<std::unique_ptr<ManifestSource>> open(
      std::vector<std::string> roots, std::shared_ptr<k8s::InvalidObjects> invalid = nullptr);
  ~ManifestSource();

  // Delivers the complete initial set to `deliver`, then watches on a thread of its own until
  // stop(), giving each change to `deliver_changes`.
  void start(Deliver deliver, DeliverChanges deliver_changes);
  // Reads every file once and returns the objects, without watching (portico explain).
  std::vector<k8s::Object> read_once();
  void stop();

 private:
  struct FileState {
    std::string stamp;  // device, inode, size, mtime, ctime: unchanged means not read again
    std::string content;
    std::vector<k8s::Object> objects;       // the last good ones
    std::map<ObjectRef, std::size_t> index;  // position in objects
    std::map<std::string, k8s::InvalidObjects::Entry> invalid;  // by document position
  };

  ManifestSource(std::vector<std::string> roots, std::shared_ptr<k8s::InvalidObjects> invalid);
  std::vector<std::string> list_files() const;
  ManifestChanges rescan();
  // Reads the file if it changed; what it defined before and after a change joins `touched`.
  static void load_file(const std::string& path, FileState& state, bool is_new,
                        std::set<ObjectRef>& touched);
  static void touch_all(const FileState& state, std::set<ObjectRef>& touched);
  // The object that the last file (in path order) defining `ref` defines; null if none does.
  const k8s::Object* defined(const ObjectRef& ref) const;
  std::vector<k8s::Object> objects() const;
  void watch_directories();
  bool concerns_us(const ::inotify_event& event) const;
  // Reads every pending event; true when one concerns us.
  bool read_events() const;
  void run(DeliverChanges deliver_changes);

  std::vector<std::string> roots_;
  std::shared_ptr<k8s::InvalidObjects> invalid_;
  std::map<std::string, FileState> files_;
  // By watch descriptor: the names that matter in that directory, or none for "all of them".
  std::map<int, std::optional<std::set<std::string>>> watched_;
  int inotify_fd_ = -1;
  int stop_fd_ = -1;
  std::thread thread_;
};

}  // namespace portico
