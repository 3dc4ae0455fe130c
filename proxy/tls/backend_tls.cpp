#include "proxy/tls/backend_tls.hpp"

#include <openssl/err.h>
#include <openssl/x509.h>

#include "proxy/tls/pem_objects.hpp"

namespace portico {

Expected<std::shared_ptr<const BackendTls>> BackendTls::make(std::string_view ca_pem,
                                                             std::string_view certificate_pem,
                                                             std::string_view key_pem,
                                                             Settings settings) {
  namespace ssl = boost::asio::ssl;
  ssl::context context(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context.native_handle(),
                                settings.tls13_only ? TLS1_3_VERSION : TLS1_2_VERSION);
  if (!settings.ciphers.empty() &&
      SSL_CTX_set_cipher_list(context.native_handle(), settings.ciphers.c_str()) != 1) {
    ERR_clear_error();
    return fail("proxy-ssl-ciphers names no cipher OpenSSL knows");
  }
  X509_STORE* store = SSL_CTX_get_cert_store(context.native_handle());
  const int cas = for_each_pem<X509>(ca_pem, PEM_read_bio_X509, [&](X509* ca) {
    X509_STORE_add_cert(store, ca);
    X509_free(ca);
  });
  if (settings.verify && cas == 0) {
    return fail("ca.crt holds no PEM certificate to verify the backend with");
  }
  if (certificate_pem.empty() != key_pem.empty()) {
    return fail("a client certificate needs both tls.crt and tls.key");
  }
  if (!certificate_pem.empty()) {
    boost::system::error_code ec;
    context.use_certificate_chain(
        boost::asio::buffer(certificate_pem.data(), certificate_pem.size()), ec);
    if (!ec) {
      context.use_private_key(boost::asio::buffer(key_pem.data(), key_pem.size()),
                              ssl::context::pem, ec);
    }
    if (ec || SSL_CTX_check_private_key(context.native_handle()) != 1) {
      ERR_clear_error();
      return fail("tls.crt and tls.key are not a matching PEM certificate and key");
    }
  }
  if (settings.verify) {
    context.set_verify_mode(ssl::verify_peer);
    SSL_CTX_set_verify_depth(context.native_handle(), settings.depth);
  } else {
    context.set_verify_mode(ssl::verify_none);
  }
  return std::make_shared<const BackendTls>(std::move(context), std::move(settings));
}

}  // namespace portico
