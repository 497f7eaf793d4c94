#pragma once

// A blocking Kafka client over the codec: one connection per broker, ApiVersions negotiation,
// metadata, coordinator lookup. Reusable outside the CLI commands; no output of its own.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "brokers/kafka/codec/header.h"
#include "brokers/kafka/codec/reader.h"
#include "cli/net/tcp.h"
#include "mockforge/kafka/api_versions.h"
#include "mockforge/kafka/metadata.h"

namespace mockforge::cli::kafka {

using mockforge::kafka::Bytes;

struct Endpoint {
  std::string host;
  uint16_t port = 0;
  // host:port, with brackets around an IPv6 literal.
  std::string to_string() const;
};

// "host:port[,host:port...]" ("[v6]:port" and a bare host with port 9092 too). Throws
// std::invalid_argument naming the bad entry.
std::vector<Endpoint> parse_bootstrap(std::string_view text);

// "UNKNOWN_TOPIC_OR_PARTITION" for 3, "UNKNOWN_ERROR_CODE_<n>" for codes it does not know.
std::string error_name(int16_t code);

// A Kafka error code from a broker, or a protocol-level failure (unsupported API, bad reply).
class KafkaError : public std::runtime_error {
 public:
  KafkaError(const std::string& message, int16_t code = -1)
      : std::runtime_error(message), code_(code) {}
  int16_t code() const { return code_; }

 private:
  int16_t code_;
};

// "<what>: <NAME> (<code>)"; throws KafkaError when `code` is not 0.
void check_error(int16_t code, const std::string& what);

// SASL on every connection (security.protocol=SASL_PLAINTEXT): empty mechanism means none.
struct SaslCredentials {
  std::string mechanism;  // PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER
  std::string username;
  std::string password;
  // OAUTHBEARER: a token to send as is, else an unsecured JWS built from
  // librdkafka's sasl.oauthbearer.config ("principal=NAME [scope=A,B]
  // [lifeSeconds=N] [principalClaimName=C] [scopeClaimName=C] [extension_K=V]").
  std::string token;
  std::string oauthbearer_config;
};

// The OAUTHBEARER client's first message (RFC 7628): the token, else one built
// from `oauthbearer_config`, with its extensions. Throws std::invalid_argument
// for a malformed config.
std::string oauthbearer_initial_response(const SaslCredentials& credentials);

struct ClientOptions {
  std::string client_id = "mockforge-cli";
  std::chrono::milliseconds timeout{10000};
  SaslCredentials sasl;
  net::TlsOptions tls;  // security.protocol=SSL: every broker connection
};

// One connection to one broker, with the broker's API version ranges.
class BrokerConnection {
 public:
  // Connects and negotiates versions with ApiVersions (retrying with the broker's own range
  // when it answers UNSUPPORTED_VERSION), then authenticates when options.sasl names a
  // mechanism (SaslHandshake v1 + SaslAuthenticate; KafkaError with the broker's message).
  BrokerConnection(const Endpoint& endpoint, const ClientOptions& options);

  const Endpoint& endpoint() const { return endpoint_; }

  // The highest version both sides support for `Request`, capped at `cap`. Throws KafkaError
  // naming the API when the broker lacks it or the ranges do not overlap.
  template <typename Request>
  int16_t version_for(int16_t cap = Request::kMaxVersion) const {
    return pick_version(Request::kApiKey, std::string(Request::kApiName), Request::kMinVersion,
                        std::min<int16_t>(cap, Request::kMaxVersion));
  }
  bool supports(int16_t api_key) const { return broker_versions_.count(api_key) != 0; }

  // Sends a request at `version` and decodes the response.
  template <typename Response, typename Request>
  Response call(const Request& request, int16_t version,
                std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
    const int32_t correlation = send(request, version);
    Bytes body = receive(correlation, Request::kApiKey, version, timeout);
    trace(Request::kApiName, version, body);
    mockforge::kafka::Reader reader(body);
    Response response;
    response.decode(reader, version);
    if (!reader.at_end()) trailing_bytes(Request::kApiName, version, reader.remaining());
    return response;
  }
  // Sends a request and returns the response body (after the header) undecoded.
  template <typename Request>
  Bytes call_raw(const Request& request, int16_t version,
                 std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
    const int32_t correlation = send(request, version);
    Bytes body = receive(correlation, Request::kApiKey, version, timeout);
    trace(Request::kApiName, version, body);
    return body;
  }

  // As call(), at the negotiated version.
  template <typename Response, typename Request>
  Response call(const Request& request) {
    return call<Response>(request, version_for<Request>());
  }

  // Sends without waiting for a response (Produce with acks=0).
  template <typename Request>
  int32_t send(const Request& request, int16_t version) {
    mockforge::kafka::RequestHeader header;
    header.api_key = Request::kApiKey;
    header.api_version = version;
    header.correlation_id = next_correlation_++;
    header.client_id = options_.client_id;
    send_frame(mockforge::kafka::encode_request_frame(header, request));
    return header.correlation_id;
  }

 private:
  int16_t pick_version(int16_t key, const std::string& name, int16_t min, int16_t max) const;
  void negotiate();
  void authenticate();
  // With MOCKFORGE_KAFKA_TRACE set: one line per response on stderr (API, version, body hex).
  void trace(std::string_view api, int16_t version, const Bytes& body) const;
  [[noreturn]] void trailing_bytes(std::string_view api, int16_t version, size_t count) const;
  void send_frame(const Bytes& frame);
  // Reads one response frame, checks its correlation id, returns the body after the header.
  Bytes receive(int32_t correlation, int16_t api_key, int16_t version,
                std::optional<std::chrono::milliseconds> timeout);

  // Fills `out` from the receive buffer and the socket, or throws NetError.
  void read_exact(uint8_t* out, size_t size, std::chrono::milliseconds timeout);

  Endpoint endpoint_;
  ClientOptions options_;
  net::TcpConnection connection_;
  Bytes buffer_;  // received, not yet consumed
  int32_t next_correlation_ = 1;
  std::map<int16_t, std::pair<int16_t, int16_t>> broker_versions_;
};

using mockforge::kafka::MetadataResponse;

// A cluster reached through its bootstrap servers: metadata and connections by node id.
class Cluster {
 public:
  Cluster(std::vector<Endpoint> bootstrap, ClientOptions options);

  const ClientOptions& options() const { return options_; }

  // Any connected broker (the first bootstrap server that answers).
  BrokerConnection& any();
  // The broker with `node_id`, from the last metadata.
  BrokerConnection& broker(int32_t node_id);
  // Every broker in the last metadata.
  std::vector<int32_t> broker_ids() const;

  // Metadata for `topics` (all topics when nullopt); refreshes the broker list.
  MetadataResponse metadata(const std::optional<std::vector<std::string>>& topics,
                            bool allow_auto_create);
  // Metadata of one topic; throws KafkaError with the topic's error (retrying
  // LEADER_NOT_AVAILABLE while a topic is being auto-created).
  MetadataResponse::MetadataResponseTopic topic_metadata(const std::string& topic,
                                                         bool allow_auto_create);

  // The group coordinator's connection (FindCoordinator, retried while it is not available).
  BrokerConnection& coordinator(const std::string& group);

 private:
  ClientOptions options_;
  std::vector<Endpoint> bootstrap_;
  std::unique_ptr<BrokerConnection> bootstrap_connection_;
  std::map<int32_t, Endpoint> broker_endpoints_;
  std::map<int32_t, std::unique_ptr<BrokerConnection>> connections_;
  std::map<std::string, std::unique_ptr<BrokerConnection>> coordinators_;
};

}  // namespace mockforge::cli::kafka
