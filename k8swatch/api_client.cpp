#include "k8swatch/api_client.hpp"

#include <nlohmann/json.hpp>

#include "k8swatch/json_fields.hpp"

#include "k8swatch/line_splitter.hpp"

#include "proxy/common/read_file.hpp"

#include <httplib.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace portico::k8s {

std::string status_message(std::string_view body) {
  const auto status = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (std::string message = string_field(status, "message"); !message.empty()) {
    return message;
  }
  return std::string(body.substr(0, 200));
}

std::string failure_text(const Expected<ApiReply>& reply) {
  return reply ? std::to_string(reply->status) + " " + status_message(reply->body) : reply.error();
}
namespace {

constexpr auto TokenRefresh = std::chrono::seconds(60);

X509_STORE* ca_store_from_pem(const std::string& pem) {
  X509_STORE* store = X509_STORE_new();
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store, cert);
    X509_free(cert);
  }
  BIO_free(bio);
  return store;
}

std::unique_ptr<httplib::ClientImpl> make_client(const ApiConfig& config) {
  if (config.scheme == "http") {
    return std::make_unique<httplib::ClientImpl>(config.host, config.port);
  }
  std::unique_ptr<httplib::SSLClient> client;
  if (!config.client_cert_pem.empty() && !config.client_key_pem.empty()) {
    BIO* cert_bio = BIO_new_mem_buf(config.client_cert_pem.data(),
                                    static_cast<int>(config.client_cert_pem.size()));
    BIO* key_bio = BIO_new_mem_buf(config.client_key_pem.data(),
                                   static_cast<int>(config.client_key_pem.size()));
    X509* cert = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
    EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
    client = std::make_unique<httplib::SSLClient>(config.host, config.port, cert, key);
    X509_free(cert);
    EVP_PKEY_free(key);
    BIO_free(cert_bio);
    BIO_free(key_bio);
  } else {
    client = std::make_unique<httplib::SSLClient>(config.host, config.port);
  }
  if (!config.ca_pem.empty()) {
    client->set_ca_cert_store(ca_store_from_pem(config.ca_pem));  // the client owns the store
  }
  client->enable_server_certificate_verification(!config.insecure_skip_verify);
  return client;
}

httplib::Headers headers_for(const std::string& token) {
  httplib::Headers headers = {{"Accept", "application/json"}, {"User-Agent", "portico"}};
  if (!token.empty()) {
    headers.emplace("Authorization", "Bearer " + token);
  }
  return headers;
}

// A kept-alive connection the API server closed while it was idle fails the next request:
// writing succeeds, reading finds the end of the stream. The request is then sent once more
// on a new connection. Safe for every request Portico makes: GETs, merge patches of status,
// and creates and updates that carry a resourceVersion or answer 409 when repeated.
template <class Send>
httplib::Result with_one_retry_on_stale_connection(Send send) {
  httplib::Result result = send();
  if (!result &&
      (result.error() == httplib::Error::Read || result.error() == httplib::Error::Write)) {
    result = send();
  }
  return result;
}

std::string describe(const httplib::Result& result) {
  return "request to the API server failed: " + httplib::to_string(result.error());
}

}  // namespace

ApiClient::ApiClient(const ApiConfig& config) : config_(config), client_(make_client(config)) {
  client_->set_connection_timeout(std::chrono::seconds(5));
  client_->set_read_timeout(std::chrono::seconds(30));
  client_->set_keep_alive(true);
}

ApiClient::~ApiClient() = default;

std::string ApiClient::bearer_token() {
  if (config_.token_file.empty()) {
    return config_.token;
  }
  const auto now = std::chrono::steady_clock::now();
  if (token_.empty() || now - token_read_ >= TokenRefresh) {
    if (auto text = read_file(config_.token_file); text && !text->empty()) {
      token_ = std::move(*text);
      while (!token_.empty() && (token_.back() == '\n' || token_.back() == ' ')) {
        token_.pop_back();
      }
    }  // an unreadable file keeps the last token
    token_read_ = now;
  }
  return token_;
}

void ApiClient::note_status(int status) {
  if (status == 401) {
    token_read_ = {};  // the token may have rotated: read the file again next time
  }
}

Expected<ApiReply> ApiClient::get(const std::string& target) {
  const auto headers = headers_for(bearer_token());
  auto result =
      with_one_retry_on_stale_connection([&] { return client_->Get(target.c_str(), headers); });
  if (!result) {
    return fail(describe(result));
  }
  note_status(result->status);
  return ApiReply{result->status, std::move(result->body)};
}

Expected<ApiReply> ApiClient::send(const std::string& method, const std::string& target,
                                   const std::string& body, const std::string& content_type) {
  const auto headers = headers_for(bearer_token());
  httplib::Result result = with_one_retry_on_stale_connection([&] {
    return method == "POST"  ? client_->Post(target.c_str(), headers, body, content_type.c_str())
           : method == "PUT" ? client_->Put(target.c_str(), headers, body, content_type.c_str())
                             : client_->Patch(target.c_str(), headers, body, content_type.c_str());
  });
  if (!result) {
    return fail(describe(result));
  }
  note_status(result->status);
  return ApiReply{result->status, std::move(result->body)};
}

Expected<ApiReply> ApiClient::stream(const std::string& target, std::chrono::seconds read_timeout,
                                     const std::function<bool(std::string_view line)>& on_line) {
  client_->set_read_timeout(read_timeout);
  ApiReply reply;
  LineSplitter lines;
  auto result = client_->Get(
      target.c_str(), headers_for(bearer_token()),
      [&](const httplib::Response& response) {
        reply.status = response.status;
        return true;
      },
      [&](const char* data, std::size_t size) {
        if (reply.status != 200) {
          reply.body.append(data, size);
          return true;
        }
        return lines.feed(std::string_view(data, size), on_line);
      });
  client_->set_read_timeout(std::chrono::seconds(30));
  if (!result && result.error() != httplib::Error::Canceled) {
    return fail(describe(result));
  }
  note_status(reply.status);
  return reply;
}

// cpp-httplib's stop() is safe from another thread: it shuts the in-flight socket down.
void ApiClient::stop() {
  client_->stop();
}

}  // namespace portico::k8s
