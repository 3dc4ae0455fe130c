#pragma once
// FakeApiServer: a Kubernetes API server for tests, on 127.0.0.1 (cpp-httplib), for the
// resources Portico watches. Faithful where the watcher depends on it (as the real API server
// behaves, checked with kubectl): one global resourceVersion; list replies whose items carry no
// kind; watch streams of newline-delimited JSON events over chunked HTTP, with synthetic ADDED
// events for resourceVersion "" or "0", replay after a given version, BOOKMARKs on request, and a
// 410 ERROR event when the asked-for version is older than the retained history. Lists honour
// `limit` and `continue` (a continue token from before a compaction gets 410 Expired, as
// etcd's does); unlike a real server, later pages show the collection as it is then, not as it
// was at the first page. Bearer token required. Test hooks change objects, compact history, end
// streams and count requests.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace portico::test {

class FakeApiServer {
 public:
  enum class Transport { Http, Https };
  explicit FakeApiServer(std::string token = "test-token", Transport transport = Transport::Http);
  ~FakeApiServer();
  std::uint16_t port() const { return port_; }
  // With Https: the PEM of the self-signed certificate (for 127.0.0.1) made at start.
  const std::string& ca_pem() const { return ca_pem_; }
  // The token accepted from now on (a rotation: the old one gets 401).
  void set_token(std::string token);
  // While set, every Lease request fails with 500 (an API server in trouble).
  void fail_leases(bool failing);
  // Serves gateway.networking.k8s.io from now on, as when its CRDs are installed (before,
  // its resources are 404 Not Found).
  void install_gateway_api();
  bool gateway_api_installed() const;
  // A kubeconfig file's text that points at this server with its token.
  std::string kubeconfig() const;

  // Creates or replaces an object (kind, apiVersion and metadata as in a manifest).
  void apply(nlohmann::json object);
  void apply_yaml(const std::string& yaml);  // every document of a manifest
  void remove(const std::string& plural, const std::string& ns, const std::string& name);
  // Removes an object without recording an event: as if history had been compacted since.
  void remove_silently(const std::string& plural, const std::string& ns, const std::string& name);
  // Forgets all history and ends every open watch: the next watch from an older version
  // gets 410 Expired and must relist.
  void compact_and_end_watches();
  // The next list request that carries a continue token gets 410 Expired, as when etcd has
  // compacted the list's snapshot between two pages.
  void expire_next_continue();
  // A line sent as it is to every watch of `plural` (a hostile or broken server's event).
  void send_raw_event(const std::string& plural, std::string line);
  // Ends every open watch cleanly (as timeoutSeconds does); history is kept.
  void end_watches();
  // A BOOKMARK on every open watch; returns its resourceVersion.
  std::string send_bookmarks();
  // The resourceVersion the latest watch of `plural` asked to start from.
  std::string last_watch_from(const std::string& plural) const;

  // Requests received, answered or refused.
  int lists(const std::string& plural) const;
  int watches(const std::string& plural) const;
  int status_patches() const;
  // List requests that asked for a page (limit=) of `plural`.
  int paged_lists(const std::string& plural) const;
  // Every request so far: "METHOD /path?query".
  std::vector<std::string> requests() const;
  // An object as stored (null when absent), e.g. to read an Ingress's status or a Lease.
  nlohmann::json object(const std::string& plural, const std::string& ns,
                        const std::string& name) const;

 private:
  struct Event {
    std::int64_t rv;
    std::string plural;
    std::string ns;
    std::string type;
    nlohmann::json object;
    std::string raw;  // sent instead of type and object when set
  };
  struct Collection {
    std::map<std::string, nlohmann::json> objects;  // by "namespace/name" or "name"
  };
  void record(const std::string& plural, const std::string& ns, const std::string& type,
              const nlohmann::json& object);
  void serve_writes();     // the /status subresource and Leases
  void serve_discovery();  // /version, /api, /apis and resource lists, as kubectl reads them
  void serve_crud();       // create and delete, as kubectl sends them

  std::string token_;
  std::string ca_pem_;
  std::unique_ptr<httplib::Server> server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::int64_t rv_ = 100;
  std::int64_t oldest_rv_ = 100;        // watches from before this get 410
  std::int64_t stream_generation_ = 0;  // bumped to end every open watch
  std::deque<Event> history_;
  std::map<std::string, Collection> collections_;  // by plural
  std::set<std::string> served_ = {
      "ingresses", "ingressclasses", "services",  "endpointslices",
      "secrets",   "namespaces",     "configmaps"};  // the plurals listed and watched
  std::map<std::string, int> lists_;
  std::map<std::string, int> watches_;
  std::map<std::string, int> paged_lists_;
  std::map<std::string, std::string> last_watch_from_;
  int status_patches_ = 0;
  std::vector<std::string> requests_;
  bool leases_failing_ = false;
  bool expire_next_continue_ = false;
  bool stopping_ = false;
};

}  // namespace portico::test
