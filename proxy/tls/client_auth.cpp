#include "proxy/tls/client_auth.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "proxy/policy/variable_text.hpp"
#include "proxy/tls/pem_objects.hpp"

namespace portico {
namespace {

// The handshake goes on whatever the chain's verdict: like nginx, Portico answers a refused
// certificate with an HTTP status (or auth-tls-error-page), which a TLS alert could not carry.
// The verdict stays in SSL_get_verify_result.
int keep_going(int, X509_STORE_CTX*) {
  return 1;
}

std::string text_of(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

std::string rfc2253(const X509_NAME* name) {
  BIO* bio = BIO_new(BIO_s_mem());
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
  std::string out = text_of(bio);
  BIO_free(bio);
  return out;
}

int slot_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// What verification depends on, hashed: SHA-256 is also the longest session id context
// OpenSSL takes (32 bytes), which keeps sessions of differently verified hosts apart.
std::string identity_of(std::string_view ca_pem, std::string_view crl_pem,
                        const ClientAuth::Settings& settings) {
  const std::string material = std::string(ca_pem) + '\0' + std::string(crl_pem) + '\0' +
                               std::to_string(static_cast<int>(settings.verify)) + '\0' +
                               std::to_string(settings.depth);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(material.data(), material.size(), digest, &length, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

}  // namespace

ClientAuth::ClientAuth(Settings settings, X509_STORE* store, STACK_OF(X509_NAME) * names,
                       std::string identity)
    : settings_(std::move(settings)),
      store_(store),
      names_(names),
      identity_(std::move(identity)) {}

ClientAuth::~ClientAuth() {
  X509_STORE_free(store_);
  sk_X509_NAME_pop_free(names_, X509_NAME_free);
}

Expected<std::shared_ptr<const ClientAuth>> ClientAuth::make(std::string_view ca_pem,
                                                             std::string_view crl_pem,
                                                             Settings settings) {
  X509_STORE* store = X509_STORE_new();
  STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
  const int certificates = for_each_pem<X509>(ca_pem, PEM_read_bio_X509, [&](X509* ca) {
    X509_STORE_add_cert(store, ca);
    sk_X509_NAME_push(names, X509_NAME_dup(X509_get_subject_name(ca)));
    X509_free(ca);
  });
  const int crls = for_each_pem<X509_CRL>(crl_pem, PEM_read_bio_X509_CRL, [&](X509_CRL* crl) {
    X509_STORE_add_crl(store, crl);
    X509_CRL_free(crl);
  });
  std::string problem;
  if (certificates == 0) {
    problem = "ca.crt holds no PEM certificate";
  } else if (crls == 0 && crl_pem.find_first_not_of(" \t\r\n") != std::string_view::npos) {
    problem = "ca.crl holds no PEM certificate revocation list";
  }
  if (!problem.empty()) {
    X509_STORE_free(store);
    sk_X509_NAME_pop_free(names, X509_NAME_free);
    return fail(problem);
  }
  if (crls > 0) {
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
  }
  std::string identity = identity_of(ca_pem, crl_pem, settings);
  return std::make_shared<const ClientAuth>(std::move(settings), store, names, std::move(identity));
}

void ClientAuth::lend_slot(SSL* ssl, std::shared_ptr<const ClientAuth>* slot) {
  SSL_set_ex_data(ssl, slot_index(), slot);
}

void ClientAuth::ask(SSL* ssl, const std::shared_ptr<const ClientAuth>& auth) {
  SSL_set_verify(ssl, SSL_VERIFY_PEER, keep_going);
  SSL_set_verify_depth(ssl, auth->settings_.depth);
  SSL_set1_verify_cert_store(ssl, auth->store_);
  SSL_set_client_CA_list(ssl, SSL_dup_CA_list(auth->names_));
  // Sessions resume only on hosts verified alike: a session without a certificate never
  // resumes into a host that asks for one.
  SSL_set_session_id_context(ssl, reinterpret_cast<const unsigned char*>(auth->identity_.data()),
                             static_cast<unsigned int>(auth->identity_.size()));
  if (auto* slot =
          static_cast<std::shared_ptr<const ClientAuth>*>(SSL_get_ex_data(ssl, slot_index()))) {
    *slot = auth;
  }
}

ClientCertificate ClientAuth::inspect(SSL* ssl, const ClientAuth& asked_by) {
  ClientCertificate out;
  out.verified_for = asked_by.identity();
  X509* peer = SSL_get1_peer_certificate(ssl);
  if (peer == nullptr) {
    out.verify = "NONE";
    return out;
  }
  out.presented = true;
  const long result = SSL_get_verify_result(ssl);
  out.valid = result == X509_V_OK;
  out.verify =
      out.valid ? "SUCCESS" : "FAILED:" + std::string(X509_verify_cert_error_string(result));
  out.subject_dn = rfc2253(X509_get_subject_name(peer));
  out.issuer_dn = rfc2253(X509_get_issuer_name(peer));
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, peer);
  out.escaped_pem = escape_uri_component(text_of(bio));
  BIO_free(bio);
  X509_free(peer);
  return out;
}

}  // namespace portico
