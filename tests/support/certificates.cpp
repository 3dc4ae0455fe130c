#include "tests/support/certificates.hpp"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <openssl/x509v3.h>
#include <ctime>

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace portico::test {
namespace {

std::string pem_of(int (*write)(BIO*, void*), void* object) {
  BIO* bio = BIO_new(BIO_s_mem());
  write(bio, object);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(size));
  BIO_free(bio);
  return pem;
}

namespace net = boost::asio;
namespace http = boost::beast::http;
using TlsClientStream = net::ssl::stream<net::ip::tcp::socket>;

// One GET over an established TLS connection, the connection closed after it.
http::response<http::string_body> get_over(TlsClientStream& stream, const std::string& host,
                                           const std::string& target) {
  http::request<http::empty_body> request{http::verb::get, target, 11};
  request.set(http::field::host, host);
  request.keep_alive(false);
  http::write(stream, request);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> response;
  boost::system::error_code ec;
  http::read(stream, buffer, response, ec);
  return response;
}

}  // namespace

TestCertificate make_certificate(const std::string& common_name,
                                 const std::vector<std::string>& alt_names,
                                 const TestCertificate* issuer) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  static long serial = 1;
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509* issuer_cert = cert;
  EVP_PKEY* signing_key = key;
  if (issuer != nullptr) {
    BIO* bio = BIO_new_mem_buf(issuer->certificate_pem.data(),
                               static_cast<int>(issuer->certificate_pem.size()));
    issuer_cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    bio = BIO_new_mem_buf(issuer->key_pem.data(), static_cast<int>(issuer->key_pem.size()));
    signing_key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
  }
  X509_set_issuer_name(cert, X509_get_subject_name(issuer_cert));
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer_cert, cert, nullptr, nullptr, 0);
  std::string alt;
  for (const auto& entry : alt_names) {
    alt += (alt.empty() ? "" : ",") + entry;
  }
  std::vector<std::pair<int, std::string>> extensions = {
      {NID_basic_constraints, "critical,CA:TRUE"}};
  if (!alt.empty()) {
    extensions.emplace_back(NID_subject_alt_name, alt);
  }
  for (const auto& [nid, value] : extensions) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(cert, signing_key, EVP_sha256());
  if (issuer != nullptr) {
    X509_free(issuer_cert);
    EVP_PKEY_free(signing_key);
  }
  TestCertificate out{
      pem_of([](BIO* b, void* o) { return PEM_write_bio_X509(b, static_cast<X509*>(o)); }, cert),
      pem_of(
          [](BIO* b, void* o) {
            return PEM_write_bio_PrivateKey(b, static_cast<EVP_PKEY*>(o), nullptr, nullptr, 0,
                                            nullptr, nullptr);
          },
          key)};
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

std::string make_crl(const TestCertificate& issuer, const std::vector<TestCertificate>& revoked) {
  const auto read_certificate = [](const std::string& pem) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    X509* certificate = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    return certificate;
  };
  X509* issuer_cert = read_certificate(issuer.certificate_pem);
  BIO* key_bio = BIO_new_mem_buf(issuer.key_pem.data(), static_cast<int>(issuer.key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
  BIO_free(key_bio);
  X509_CRL* crl = X509_CRL_new();
  X509_CRL_set_version(crl, 1);
  X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer_cert));
  ASN1_TIME* now = ASN1_TIME_adj(nullptr, std::time(nullptr), 0, -60);
  ASN1_TIME* next = ASN1_TIME_adj(nullptr, std::time(nullptr), 1, 0);
  X509_CRL_set1_lastUpdate(crl, now);
  X509_CRL_set1_nextUpdate(crl, next);
  for (const TestCertificate& gone : revoked) {
    X509* certificate = read_certificate(gone.certificate_pem);
    X509_REVOKED* entry = X509_REVOKED_new();
    X509_REVOKED_set_serialNumber(entry, X509_get_serialNumber(certificate));
    X509_REVOKED_set_revocationDate(entry, now);
    X509_CRL_add0_revoked(crl, entry);
    X509_free(certificate);
  }
  X509_CRL_sort(crl);
  X509_CRL_sign(crl, key, EVP_sha256());
  const std::string pem = pem_of(
      [](BIO* b, void* o) { return PEM_write_bio_X509_CRL(b, static_cast<X509_CRL*>(o)); }, crl);
  ASN1_TIME_free(now);
  ASN1_TIME_free(next);
  X509_CRL_free(crl);
  EVP_PKEY_free(key);
  X509_free(issuer_cert);
  return pem;
}

TlsProbe probe_tls(unsigned short port, const std::string& server_name, const std::string& target) {
  net::io_context io;
  net::ssl::context context(net::ssl::context::tls_client);
  context.set_verify_mode(net::ssl::verify_none);  // tests look at what is served, not trust
  TlsClientStream stream(io, context);
  stream.next_layer().connect({net::ip::make_address("127.0.0.1"), port});
  if (!server_name.empty()) {
    SSL_set_tlsext_host_name(stream.native_handle(), server_name.c_str());
  }
  static constexpr unsigned char Alpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_set_alpn_protos(stream.native_handle(), Alpn, sizeof Alpn);
  stream.handshake(net::ssl::stream_base::client);
  TlsProbe probe;
  if (X509* peer = SSL_get1_peer_certificate(stream.native_handle())) {
    char cn[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof cn);
    probe.common_name = cn;
    X509_free(peer);
  }
  const unsigned char* alpn = nullptr;
  unsigned int alpn_length = 0;
  SSL_get0_alpn_selected(stream.native_handle(), &alpn, &alpn_length);
  probe.alpn.assign(reinterpret_cast<const char*>(alpn), alpn_length);
  const auto response = get_over(stream, server_name.empty() ? "localhost" : server_name, target);
  probe.status = response.result_int();
  probe.body = response.body();
  probe.strict_transport_security = response[http::field::strict_transport_security];
  return probe;
}

bool tls_handshake_succeeds(unsigned short port, int max_version) {
  net::io_context io;
  net::ssl::context context(net::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context.native_handle(), 0);
  SSL_CTX_set_max_proto_version(context.native_handle(), max_version);
  SSL_CTX_set_security_level(context.native_handle(), 0);  // let the old version be offered
  TlsClientStream stream(io, context);
  stream.next_layer().connect({net::ip::make_address("127.0.0.1"), port});
  boost::system::error_code ec;
  stream.handshake(net::ssl::stream_base::client, ec);
  return !ec;
}

bool tls_session_resumes(unsigned short port, const std::string& server_name,
                         const std::string& resumed_as) {
  net::io_context io;
  net::ssl::context context(net::ssl::context::tls_client);
  SSL_SESSION* session = nullptr;
  bool reused = false;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const std::string& name = attempt == 1 && !resumed_as.empty() ? resumed_as : server_name;
    TlsClientStream stream(io, context);
    stream.next_layer().connect({net::ip::make_address("127.0.0.1"), port});
    SSL_set_tlsext_host_name(stream.native_handle(), name.c_str());
    if (session != nullptr) {
      SSL_set_session(stream.native_handle(), session);
    }
    stream.handshake(net::ssl::stream_base::client);
    // TLS 1.3 tickets follow the handshake: one exchange makes sure they have arrived.
    get_over(stream, name, "/");
    reused = SSL_session_reused(stream.native_handle()) == 1;
    if (session == nullptr) {
      session = SSL_get1_session(stream.native_handle());
    }
    // Without our close_notify, OpenSSL would mark the session as not resumable.
    boost::system::error_code ignored;
    stream.shutdown(ignored);
  }
  SSL_SESSION_free(session);
  return reused;
}

}  // namespace portico::test
