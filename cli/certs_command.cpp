// `mockforge certs generate DIR`: a test CA, a server certificate for
// localhost, 127.0.0.1 and ::1, and a client certificate, written with
// OpenSSL's libcrypto, so test suites make their own at run time.
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>

#include "cli/commands.h"

namespace mockforge::cli {
namespace {

struct FreeKey {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct FreeCert {
  void operator()(X509* cert) const { X509_free(cert); }
};
using Key = std::unique_ptr<EVP_PKEY, FreeKey>;
using Cert = std::unique_ptr<X509, FreeCert>;

[[noreturn]] void openssl_failure(const std::string& what) {
  std::string reasons;
  while (const unsigned long code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    reasons += reasons.empty() ? text : std::string("; ") + text;
  }
  throw std::runtime_error(what + (reasons.empty() ? "" : ": " + reasons));
}

// ECDSA P-256: quick to make, and every client mockforge is tested with takes it.
Key make_key() {
  Key key(EVP_EC_gen("P-256"));
  if (!key) openssl_failure("generating a P-256 key");
  return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
  if (extension == nullptr) openssl_failure(std::string("certificate extension ") + value);
  X509_add_ext(cert, extension, -1);
  X509_EXTENSION_free(extension);
}

struct Subject {
  std::string common_name;
  bool is_ca = false;
  const char* extended_key_usage = nullptr;  // serverAuth, clientAuth
  const char* alt_names = nullptr;
};

// Signed by `issuer_key` as `issuer` (self-signed when issuer is null).
Cert make_certificate(const Subject& subject, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key,
                      long days) {
  Cert cert(X509_new());
  if (!cert) openssl_failure("X509_new");
  X509_set_version(cert.get(), 2);  // v3
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) openssl_failure("random serial number");
  serial[0] &= 0x7f;  // positive
  BIGNUM* number = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(number, X509_get_serialNumber(cert.get()));
  BN_free(number);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60 * 60);  // an hour of clock skew
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), days * 24 * 60 * 60);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("mockforge test"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(subject.common_name.c_str()),
                             -1, -1, 0);
  X509* signer = issuer != nullptr ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  add_extension(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (issuer != nullptr) add_extension(cert.get(), signer, NID_authority_key_identifier, "keyid");
  if (subject.is_ca) {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert.get(), signer, NID_key_usage, "critical,digitalSignature");
    add_extension(cert.get(), signer, NID_ext_key_usage, subject.extended_key_usage);
  }
  if (subject.alt_names != nullptr) {
    add_extension(cert.get(), signer, NID_subject_alt_name, subject.alt_names);
  }
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) == 0) openssl_failure("signing");
  return cert;
}

void write_pem(const std::filesystem::path& file, bool is_private, auto&& write) {
  // Keys are readable by their owner only.
  const mode_t old_mask = ::umask(is_private ? 077 : 022);
  FILE* out = std::fopen(file.c_str(), "w");
  ::umask(old_mask);
  if (out == nullptr) throw std::runtime_error("cannot write " + file.string());
  const bool ok = write(out) == 1;
  std::fclose(out);
  if (!ok) openssl_failure("writing " + file.string());
}

void write_key(const std::filesystem::path& file, EVP_PKEY* key) {
  write_pem(file, true, [key](FILE* out) {
    return PEM_write_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr);
  });
}

void write_cert(const std::filesystem::path& file, X509* cert) {
  write_pem(file, false, [cert](FILE* out) { return PEM_write_X509(out, cert); });
}

struct CertsOptions {
  std::string dir;
  std::string client_name = "mockforge-client";
  long days = 30;
};

int generate(const CertsOptions& options) {
  const std::filesystem::path dir(options.dir);
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) throw std::runtime_error("cannot create " + dir.string() + ": " + error.message());

  const Key ca_key = make_key();
  const Cert ca = make_certificate({"mockforge test CA", true}, ca_key.get(), nullptr, ca_key.get(),
                                   options.days);
  const Key server_key = make_key();
  const Cert server =
      make_certificate({"localhost", false, "serverAuth", "DNS:localhost,IP:127.0.0.1,IP:::1"},
                       server_key.get(), ca.get(), ca_key.get(), options.days);
  const Key client_key = make_key();
  const Cert client = make_certificate({options.client_name, false, "clientAuth"}, client_key.get(),
                                       ca.get(), ca_key.get(), options.days);

  write_cert(dir / "ca.pem", ca.get());
  write_key(dir / "ca-key.pem", ca_key.get());
  write_cert(dir / "server.pem", server.get());
  write_key(dir / "server-key.pem", server_key.get());
  write_cert(dir / "client.pem", client.get());
  write_key(dir / "client-key.pem", client_key.get());
  std::cout << "wrote " << (dir / "ca.pem").string() << ", ca-key.pem, server.pem, "
            << "server-key.pem, client.pem and client-key.pem (valid " << options.days
            << " days)\n";
  return 0;
}

}  // namespace

void add_certs_command(CLI::App& app, int& exit_code) {
  auto* certs = app.add_subcommand("certs", "Test certificates for the TLS listeners");
  certs->require_subcommand(1);
  auto* command = certs->add_subcommand(
      "generate",
      "Write a test CA (ca.pem, ca-key.pem), a server certificate for localhost, 127.0.0.1 and "
      "::1 (server.pem, server-key.pem) and a client certificate (client.pem, client-key.pem) "
      "into DIR; not for production");
  auto options = std::make_shared<CertsOptions>();
  command->add_option("dir", options->dir, "Directory to write to (created if missing)")
      ->required();
  command->add_option("--client-name", options->client_name,
                      "Common name of the client certificate (default mockforge-client)");
  command->add_option("--days", options->days, "Validity in days (default 30)")
      ->check(CLI::Range(1L, 36500L));
  command->callback([options, &exit_code] {
    try {
      exit_code = generate(*options);
    } catch (const std::exception& e) {
      std::cerr << "mockforge: certs generate: " << e.what() << '\n';
      exit_code = 1;
    }
  });
}

}  // namespace mockforge::cli
