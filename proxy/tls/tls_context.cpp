#include "proxy/tls/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <ctime>

namespace portico {
namespace {

namespace ssl = boost::asio::ssl;

// ALPN: HTTP/2 when the client offers it, else HTTP/1.1; a client that offers only other
// protocols gets none (and is served HTTP/1.1).
int select_alpn(SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* in,
                unsigned int in_length, void*) {
  static constexpr unsigned char Ours[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_length, Ours, sizeof Ours, in, in_length) ==
      OPENSSL_NPN_NEGOTIATED) {
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

}  // namespace

bool TlsContext::covers(const std::string& host) const noexcept {
  X509* leaf = SSL_CTX_get0_certificate(native());
  return leaf != nullptr && X509_check_host(leaf, host.data(), host.size(), 0, nullptr) == 1;
}

TlsContext::TlsContext(boost::asio::ssl::context context, std::string origin)
    : context_(std::move(context)), origin_(std::move(origin)) {
  std::tm expiry{};
  if (const X509* leaf = SSL_CTX_get0_certificate(context_.native_handle());
      leaf != nullptr && ASN1_TIME_to_tm(X509_get0_notAfter(leaf), &expiry) == 1) {
    not_after_ = timegm(&expiry);
  }
}

void apply_tls_policy(SSL_CTX* context) {
  SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
  SSL_CTX_set_cipher_list(context, "ECDHE+AESGCM:ECDHE+CHACHA20");  // TLS 1.3 suites: OpenSSL's
  SSL_CTX_set_options(context, SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_alpn_select_cb(context, select_alpn, nullptr);
}

bool is_cipher_list(std::string_view ciphers) {
  const std::string list(ciphers);
  SSL_CTX* scratch = SSL_CTX_new(TLS_server_method());
  const bool named = scratch != nullptr && SSL_CTX_set_cipher_list(scratch, list.c_str()) == 1;
  SSL_CTX_free(scratch);
  ERR_clear_error();
  return named;
}

Expected<std::shared_ptr<const TlsContext>> TlsContext::from_pem(
    const std::string& certificate_chain, const std::string& private_key, std::string origin) {
  ssl::context context(ssl::context::tls_server);
  boost::system::error_code ec;
  context.use_certificate_chain(boost::asio::buffer(certificate_chain), ec);
  if (ec) {
    ERR_clear_error();
    return fail("tls.crt is not a PEM certificate chain");
  }
  BIO* key_bio = BIO_new_mem_buf(private_key.data(), static_cast<int>(private_key.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
  BIO_free(key_bio);
  if (key == nullptr) {
    ERR_clear_error();
    return fail("tls.key is not a PEM private key");  // never the key itself
  }
  const bool matches = SSL_CTX_use_PrivateKey(context.native_handle(), key) == 1 &&
                       SSL_CTX_check_private_key(context.native_handle()) == 1;
  EVP_PKEY_free(key);
  if (!matches) {
    ERR_clear_error();
    return fail("tls.key does not match the certificate in tls.crt");
  }
  apply_tls_policy(context.native_handle());
  return std::make_shared<const TlsContext>(std::move(context), std::move(origin));
}

TlsContextPtr TlsContext::self_signed() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), static_cast<long>(std::time(nullptr)));
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 10L * 365 * 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Portico"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Portico default certificate"),
                             -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key, EVP_sha256());
  ssl::context context(ssl::context::tls_server);
  SSL_CTX_use_certificate(context.native_handle(), cert);
  SSL_CTX_use_PrivateKey(context.native_handle(), key);
  X509_free(cert);
  EVP_PKEY_free(key);
  apply_tls_policy(context.native_handle());
  return std::make_shared<const TlsContext>(std::move(context), "self-signed");
}

}  // namespace portico
