#include "core/sasl/scram.h"

#include <charconv>
#include <vector>

namespace mockforge::sasl {
namespace {

// The comma-separated attributes of a message, each "x=value".
std::vector<std::string_view> split_attributes(std::string_view message) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = message.find(',', start);
    parts.push_back(message.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return parts;
}

// The value of attribute `name` in `part`, or a ScramError naming what was expected.
std::string_view attribute(std::string_view part, char name, std::string_view what) {
  if (part.size() < 2 || part[0] != name || part[1] != '=') {
    throw ScramError("expected " + std::string(1, name) + "=" + std::string(what) + ", got \"" +
                     std::string(part) + "\"");
  }
  return part.substr(2);
}

std::string decode_base64_attribute(std::string_view value, std::string_view what) {
  auto decoded = base64_decode(value);
  if (!decoded) throw ScramError(std::string(what) + " is not valid base64");
  return *decoded;
}

bool printable_nonce(std::string_view nonce) {
  if (nonce.empty()) return false;
  for (char c : nonce) {
    if (c < 0x21 || c > 0x7e || c == ',') return false;
  }
  return true;
}

std::string xor_bytes(std::string_view a, std::string_view b) {
  std::string out(a.size(), '\0');
  for (std::size_t i = 0; i < a.size(); ++i) out[i] = static_cast<char>(a[i] ^ b[i]);
  return out;
}

}  // namespace

std::string_view scram_mechanism_name(ScramHash hash) {
  return hash == ScramHash::kSha256 ? "SCRAM-SHA-256" : "SCRAM-SHA-512";
}

std::optional<ScramHash> scram_hash_for(std::string_view mechanism) {
  if (mechanism == "SCRAM-SHA-256") return ScramHash::kSha256;
  if (mechanism == "SCRAM-SHA-512") return ScramHash::kSha512;
  return std::nullopt;
}

ScramCredential make_scram_credential(ScramHash hash, std::string_view password,
                                      std::string_view salt, int iterations) {
  const std::string salted = pbkdf2(hash, password, salt, iterations);
  ScramCredential credential;
  credential.salt = std::string(salt);
  credential.iterations = iterations;
  credential.stored_key = digest(hash, hmac(hash, salted, "Client Key"));
  credential.server_key = hmac(hash, salted, "Server Key");
  return credential;
}

std::string scram_escape_name(std::string_view name) {
  std::string out;
  for (char c : name) {
    if (c == ',') {
      out += "=2C";
    } else if (c == '=') {
      out += "=3D";
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<std::string> scram_unescape_name(std::string_view saslname) {
  std::string out;
  for (std::size_t i = 0; i < saslname.size(); ++i) {
    if (saslname[i] != '=') {
      out += saslname[i];
      continue;
    }
    const std::string_view code = saslname.substr(i + 1, 2);
    if (code == "2C") {
      out += ',';
    } else if (code == "3D") {
      out += '=';
    } else {
      return std::nullopt;
    }
    i += 2;
  }
  return out;
}

ClientFirstMessage parse_client_first(std::string_view message) {
  const auto parts = split_attributes(message);
  if (parts.size() < 4) throw ScramError("client-first-message has too few attributes");
  ClientFirstMessage parsed;
  if (parts[0] == "p" || parts[0].starts_with("p=")) {
    throw ScramError("channel binding is not supported");
  }
  if (parts[0] != "n" && parts[0] != "y") {
    throw ScramError("expected gs2 flag n or y, got \"" + std::string(parts[0]) + "\"");
  }
  if (!parts[1].empty()) {
    auto authzid = scram_unescape_name(attribute(parts[1], 'a', "authzid"));
    if (!authzid) throw ScramError("malformed authzid");
    parsed.authzid = *authzid;
  }
  parsed.gs2_header = std::string(message.substr(0, parts[0].size() + parts[1].size() + 2));
  parsed.bare = std::string(message.substr(parsed.gs2_header.size()));
  if (parts[2].starts_with("m=")) throw ScramError("mandatory extensions are not supported");
  auto username = scram_unescape_name(attribute(parts[2], 'n', "username"));
  if (!username || username->empty()) throw ScramError("malformed username");
  parsed.username = *username;
  parsed.nonce = std::string(attribute(parts[3], 'r', "nonce"));
  if (!printable_nonce(parsed.nonce)) throw ScramError("malformed nonce");
  // Further attributes are extensions (Kafka's tokenauth=true); none changes the exchange here.
  return parsed;
}

ClientFinalMessage parse_client_final(std::string_view message) {
  const std::size_t proof_at = message.rfind(",p=");
  if (proof_at == std::string_view::npos) throw ScramError("client-final-message has no proof");
  const auto parts = split_attributes(message.substr(0, proof_at));
  if (parts.size() < 2) throw ScramError("client-final-message has too few attributes");
  ClientFinalMessage parsed;
  parsed.channel_binding =
      decode_base64_attribute(attribute(parts[0], 'c', "channel binding"), "channel binding");
  parsed.nonce = std::string(attribute(parts[1], 'r', "nonce"));
  parsed.proof = decode_base64_attribute(message.substr(proof_at + 3), "proof");
  parsed.without_proof = std::string(message.substr(0, proof_at));
  return parsed;
}

ServerFirstMessage parse_server_first(std::string_view message) {
  const auto parts = split_attributes(message);
  if (parts.size() < 3) throw ScramError("server-first-message has too few attributes");
  if (parts[0].starts_with("m=")) throw ScramError("mandatory extensions are not supported");
  ServerFirstMessage parsed;
  parsed.nonce = std::string(attribute(parts[0], 'r', "nonce"));
  parsed.salt = decode_base64_attribute(attribute(parts[1], 's', "salt"), "salt");
  const std::string_view count = attribute(parts[2], 'i', "iteration count");
  const auto result = std::from_chars(count.data(), count.data() + count.size(), parsed.iterations);
  if (result.ec != std::errc() || result.ptr != count.data() + count.size() ||
      parsed.iterations < 1) {
    throw ScramError("malformed iteration count");
  }
  return parsed;
}

std::string format_server_first(std::string_view nonce, std::string_view salt, int iterations) {
  return "r=" + std::string(nonce) + ",s=" + base64_encode(salt) +
         ",i=" + std::to_string(iterations);
}

std::string scram_client_proof(ScramHash hash, std::string_view salted_password,
                               std::string_view auth_message) {
  const std::string client_key = hmac(hash, salted_password, "Client Key");
  const std::string client_signature = hmac(hash, digest(hash, client_key), auth_message);
  return xor_bytes(client_key, client_signature);
}

bool scram_proof_matches(ScramHash hash, const ScramCredential& credential,
                         std::string_view auth_message, std::string_view proof) {
  const std::string client_signature = hmac(hash, credential.stored_key, auth_message);
  if (proof.size() != client_signature.size()) return false;
  const std::string client_key = xor_bytes(proof, client_signature);
  return equal_constant_time(digest(hash, client_key), credential.stored_key);
}

std::string scram_server_signature(ScramHash hash, std::string_view server_key,
                                   std::string_view auth_message) {
  return hmac(hash, server_key, auth_message);
}

ScramClient::ScramClient(ScramHash hash, std::string username, std::string password,
                         std::string nonce)
    : hash_(hash),
      username_(std::move(username)),
      password_(std::move(password)),
      nonce_(nonce.empty() ? base64_encode(random_bytes(24)) : std::move(nonce)) {}

std::string ScramClient::first_message() {
  client_first_bare_ = "n=" + scram_escape_name(username_) + ",r=" + nonce_;
  return "n,," + client_first_bare_;
}

std::string ScramClient::final_message(std::string_view server_first) {
  const ServerFirstMessage parsed = parse_server_first(server_first);
  if (!parsed.nonce.starts_with(nonce_) || parsed.nonce.size() == nonce_.size()) {
    throw ScramError("the server nonce does not extend the client nonce");
  }
  const std::string without_proof = "c=biws,r=" + parsed.nonce;
  const std::string auth_message =
      client_first_bare_ + "," + std::string(server_first) + "," + without_proof;
  const std::string salted = pbkdf2(hash_, password_, parsed.salt, parsed.iterations);
  expected_server_signature_ =
      scram_server_signature(hash_, hmac(hash_, salted, "Server Key"), auth_message);
  return without_proof + ",p=" + base64_encode(scram_client_proof(hash_, salted, auth_message));
}

void ScramClient::check_server_final(std::string_view server_final) const {
  if (server_final.starts_with("e=")) {
    throw ScramError("the server refused: " + std::string(server_final.substr(2)));
  }
  const auto parts = split_attributes(server_final);
  const std::string verifier =
      decode_base64_attribute(attribute(parts[0], 'v', "verifier"), "verifier");
  if (!equal_constant_time(verifier, expected_server_signature_)) {
    throw ScramError("the server signature does not match (the server does not know the password)");
  }
}

}  // namespace mockforge::sasl
