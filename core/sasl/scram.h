#pragma once

// SCRAM (RFC 5802) with SHA-256 and SHA-512 (RFC 7677): the four messages, parsed and
// formatted, the key derivations, and a client. No channel binding (gs2 flag "n" or "y").

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/sasl/crypto.h"

namespace mockforge::sasl {

// A malformed SCRAM message, or one that does not follow the exchange.
class ScramError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::string_view scram_mechanism_name(ScramHash hash);
// SCRAM-SHA-256 or SCRAM-SHA-512; nullopt for anything else.
std::optional<ScramHash> scram_hash_for(std::string_view mechanism);

// What the server stores for a user (RFC 5802 section 3): never the password itself.
struct ScramCredential {
  std::string salt;
  int iterations = 0;
  std::string stored_key;  // H(ClientKey)
  std::string server_key;  // HMAC(SaltedPassword, "Server Key")
};
ScramCredential make_scram_credential(ScramHash hash, std::string_view password,
                                      std::string_view salt, int iterations);

// saslname escaping: ',' as "=2C" and '=' as "=3D".
std::string scram_escape_name(std::string_view name);
// nullopt when a '=' is not followed by 2C or 3D.
std::optional<std::string> scram_unescape_name(std::string_view saslname);

struct ClientFirstMessage {
  std::string gs2_header;  // "n,," or "n,a=NAME," (or "y,...")
  std::string authzid;     // unescaped; empty when absent
  std::string username;    // unescaped
  std::string nonce;
  std::string bare;  // the message without the gs2 header (part of AuthMessage)
};
ClientFirstMessage parse_client_first(std::string_view message);

struct ClientFinalMessage {
  std::string channel_binding;  // decoded c= value
  std::string nonce;
  std::string proof;          // decoded p= value
  std::string without_proof;  // the message up to ",p=" (part of AuthMessage)
};
ClientFinalMessage parse_client_final(std::string_view message);

struct ServerFirstMessage {
  std::string nonce;
  std::string salt;  // decoded
  int iterations = 0;
};
ServerFirstMessage parse_server_first(std::string_view message);
std::string format_server_first(std::string_view nonce, std::string_view salt, int iterations);

// The ClientProof for `auth_message`, and the check of one against a stored credential.
std::string scram_client_proof(ScramHash hash, std::string_view salted_password,
                               std::string_view auth_message);
bool scram_proof_matches(ScramHash hash, const ScramCredential& credential,
                         std::string_view auth_message, std::string_view proof);
std::string scram_server_signature(ScramHash hash, std::string_view server_key,
                                   std::string_view auth_message);

// The client side of one exchange (the CLI's Kafka client uses it).
class ScramClient {
 public:
  // `nonce` empty: a random one.
  ScramClient(ScramHash hash, std::string username, std::string password, std::string nonce = "");
  std::string first_message();
  // Throws ScramError when the server's nonce does not extend ours or the message is malformed.
  std::string final_message(std::string_view server_first);
  // Throws ScramError on "e=" or a verifier that does not prove the server knows the password.
  void check_server_final(std::string_view server_final) const;

 private:
  ScramHash hash_;
  std::string username_;
  std::string password_;
  std::string nonce_;
  std::string client_first_bare_;
  std::string expected_server_signature_;
};

}  // namespace mockforge::sasl
