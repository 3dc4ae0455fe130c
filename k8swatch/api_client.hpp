#pragma once
// ApiClient: one HTTP(S) connection to the API server (cpp-httplib, blocking), for the one
// thread that owns it. Adds the bearer token, re-reading a token file as it rotates (every
// minute, and at once after a 401). stop() may be called from any thread: it breaks an
// in-flight request so a watch thread never outlives shutdown by more than a moment.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "k8swatch/api_config.hpp"

namespace httplib {
class ClientImpl;
}

namespace portico::k8s {

struct ApiReply {
  int status = 0;
  std::string body;  // the whole body, or for a stream only what was not consumed as lines
};

// The message of a Status body (an API error reply), or its first 200 bytes.
std::string status_message(std::string_view body);
// Why a request did not succeed, for a log line: its status and the Status message, or the
// transport's error.
std::string failure_text(const Expected<ApiReply>& reply);

class ApiClient {
 public:
  explicit ApiClient(const ApiConfig& config);
  ~ApiClient();

  Expected<ApiReply> get(const std::string& target);
  // POST, PUT or PATCH with a JSON body (`content_type` says which patch for PATCH).
  Expected<ApiReply> send(const std::string& method, const std::string& target,
                          const std::string& body,
                          const std::string& content_type = "application/json");
  // A streaming GET: every complete line of a 200 body goes to `on_line` (return false to
  // end the stream). Other statuses collect their body into the reply.
  Expected<ApiReply> stream(const std::string& target, std::chrono::seconds read_timeout,
                            const std::function<bool(std::string_view line)>& on_line);
  void stop();

 private:
  std::string bearer_token();
  void note_status(int status);

  ApiConfig config_;
  std::unique_ptr<httplib::ClientImpl> client_;
  std::string token_;
  std::chrono::steady_clock::time_point token_read_{};
};

}  // namespace portico::k8s
