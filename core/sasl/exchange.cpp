#include "core/sasl/exchange.h"

#include "core/sasl/plain.h"
#include "core/sasl/scram.h"

namespace mockforge::sasl {
namespace {

Step failure(std::string error, std::string detail) {
  Step step;
  step.outcome = Step::Outcome::kFailure;
  step.error = std::move(error);
  step.detail = std::move(detail);
  return step;
}

class PlainExchange : public ServerExchange {
 public:
  explicit PlainExchange(const UserStore& users) : users_(users) {}
  std::string_view mechanism() const override { return "PLAIN"; }

  Step step(std::string_view token) override {
    if (done_) return failure("Authentication failed: PLAIN takes one message", "second token");
    done_ = true;
    // The messages are Kafka's (PlainSaslServer).
    const auto message = parse_plain(token);
    if (!message) {
      return failure("Authentication failed: invalid SASL/PLAIN response",
                     "malformed PLAIN message");
    }
    if (!message->authzid.empty() && message->authzid != message->username) {
      return failure(
          "Authentication failed: Client requested an authorization id that is different from "
          "username",
          "authzid differs from user " + message->username);
    }
    if (!users_.check_password(message->username, message->password)) {
      return failure("Authentication failed: Invalid username or password",
                     "wrong password or unknown user " + message->username);
    }
    Step step;
    step.outcome = Step::Outcome::kSuccess;
    step.principal = message->username;
    return step;
  }

 private:
  const UserStore& users_;
  bool done_ = false;
};

class ScramExchange : public ServerExchange {
 public:
  ScramExchange(ScramHash hash, const UserStore& users, std::string server_nonce)
      : hash_(hash),
        users_(users),
        server_nonce_(server_nonce.empty() ? base64_encode(random_bytes(18))
                                           : std::move(server_nonce)) {}
  std::string_view mechanism() const override { return scram_mechanism_name(hash_); }

  Step step(std::string_view token) override {
    try {
      switch (stage_) {
        case Stage::kClientFirst:
          return client_first(token);
        case Stage::kClientFinal:
          return client_final(token);
        case Stage::kDone:
          break;
      }
      return failure(invalid_credentials(), "token after the exchange ended");
    } catch (const ScramError& e) {
      stage_ = Stage::kDone;
      return failure(invalid_credentials(), std::string("malformed SCRAM message: ") + e.what());
    }
  }

 private:
  enum class Stage { kClientFirst, kClientFinal, kDone };

  // Kafka's message: it names neither the user nor what was wrong.
  std::string invalid_credentials() const {
    return "Authentication failed during authentication due to invalid credentials with SASL "
           "mechanism " +
           std::string(mechanism());
  }

  Step client_first(std::string_view token) {
    stage_ = Stage::kDone;
    ClientFirstMessage first = parse_client_first(token);
    if (!first.authzid.empty() && first.authzid != first.username) {
      return failure(
          "Authentication failed: Client requested an authorization id that is different from "
          "username",
          "authzid differs from user " + first.username);
    }
    credential_ = users_.scram_credential(hash_, first.username);
    if (!credential_) {
      return failure(invalid_credentials(), "unknown user " + first.username);
    }
    username_ = first.username;
    gs2_header_ = first.gs2_header;
    nonce_ = first.nonce + server_nonce_;
    server_first_ = format_server_first(nonce_, credential_->salt, credential_->iterations);
    client_first_bare_ = first.bare;
    stage_ = Stage::kClientFinal;
    Step step;
    step.outcome = Step::Outcome::kContinue;
    step.response = server_first_;
    return step;
  }

  Step client_final(std::string_view token) {
    stage_ = Stage::kDone;
    const ClientFinalMessage final_message = parse_client_final(token);
    if (final_message.channel_binding != gs2_header_) {
      return failure(invalid_credentials(), "channel binding does not repeat the gs2 header");
    }
    // Kafka checks that the nonce ends with the combined nonce, not equality: librdkafka (2.0.2
    // at least) sends the client nonce twice, before the combined one.
    if (!final_message.nonce.ends_with(nonce_)) {
      return failure(invalid_credentials(), "nonce does not match");
    }
    const std::string auth_message =
        client_first_bare_ + "," + server_first_ + "," + final_message.without_proof;
    if (!scram_proof_matches(hash_, *credential_, auth_message, final_message.proof)) {
      return failure(invalid_credentials(), "wrong password for user " + username_);
    }
    Step step;
    step.outcome = Step::Outcome::kSuccess;
    step.principal = username_;
    step.response =
        "v=" + base64_encode(scram_server_signature(hash_, credential_->server_key, auth_message));
    return step;
  }

  ScramHash hash_;
  const UserStore& users_;
  std::string server_nonce_;
  Stage stage_ = Stage::kClientFirst;
  std::optional<ScramCredential> credential_;
  std::string username_;
  std::string gs2_header_;
  std::string nonce_;
  std::string server_first_;
  std::string client_first_bare_;
};

}  // namespace

std::unique_ptr<ServerExchange> make_server_exchange(std::string_view mechanism,
                                                     const UserStore& users,
                                                     std::string server_nonce) {
  if (mechanism == "PLAIN") return std::make_unique<PlainExchange>(users);
  if (auto hash = scram_hash_for(mechanism)) {
    return std::make_unique<ScramExchange>(*hash, users, std::move(server_nonce));
  }
  return nullptr;
}

}  // namespace mockforge::sasl
