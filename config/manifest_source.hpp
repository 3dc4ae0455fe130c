#pragma once
// ManifestSource: Kubernetes objects from files and directories (--manifests), the source
// that needs no cluster. Reads every file once at open(), then watches with inotify and
// delivers the complete object set again whenever it changes. A file that stops parsing keeps
// its last good objects; an invalid object is logged (file, document, object, reason) and
// skipped. Its own thread does the watching; deliveries are immutable values.
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "k8swatch/resources.hpp"
#include "proxy/common/expected.hpp"

namespace portico {

class ManifestSource {
 public:
  using Deliver = std::function<void(std::vector<k8s::Object>)>;

  // Fails when a path does not exist or cannot be read (exit status 2 at start-up).
  static Expected<std::unique_ptr<ManifestSource>> open(std::vector<std::string> roots,
                                                        Deliver deliver);
  ~ManifestSource();

  // Delivers the initial set, then watches on a thread of its own until stop().
  void start();
  // Reads every file once and returns the objects, without watching (portico explain).
  std::vector<k8s::Object> read_once();
  void stop();

 private:
  struct FileState {
    std::string content;
    std::vector<k8s::Object> objects;  // the last good ones
  };

  ManifestSource(std::vector<std::string> roots, Deliver deliver);
  Expected<std::vector<std::string>> list_files() const;
  bool rescan();  // true when the object set changed
  void load_file(const std::string& path, FileState& state, bool is_new);
  std::vector<k8s::Object> objects() const;
  void watch_directories();
  void run();

  std::vector<std::string> roots_;
  Deliver deliver_;
  std::map<std::string, FileState> files_;
  int inotify_fd_ = -1;
  int stop_fd_ = -1;
  std::thread thread_;
};

}  // namespace portico
