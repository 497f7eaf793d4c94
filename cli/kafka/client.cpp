#include "cli/kafka/client.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include "brokers/kafka/codec/errors.h"
#include "core/sasl/oauthbearer.h"
#include "core/sasl/plain.h"
#include "core/sasl/scram.h"
#include "mockforge/kafka/find_coordinator.h"
#include "mockforge/kafka/sasl_authenticate.h"
#include "mockforge/kafka/sasl_handshake.h"

namespace mockforge::cli::kafka {
namespace k = mockforge::kafka;

namespace {

// Kafka's error codes 0..89 in order (org.apache.kafka.common.protocol.Errors).
constexpr std::array<std::string_view, 90> kErrorNames = {
    "NONE",
    "OFFSET_OUT_OF_RANGE",
    "CORRUPT_MESSAGE",
    "UNKNOWN_TOPIC_OR_PARTITION",
    "INVALID_FETCH_SIZE",
    "LEADER_NOT_AVAILABLE",
    "NOT_LEADER_OR_FOLLOWER",
    "REQUEST_TIMED_OUT",
    "BROKER_NOT_AVAILABLE",
    "REPLICA_NOT_AVAILABLE",
    "MESSAGE_TOO_LARGE",
    "STALE_CONTROLLER_EPOCH",
    "OFFSET_METADATA_TOO_LARGE",
    "NETWORK_EXCEPTION",
    "COORDINATOR_LOAD_IN_PROGRESS",
    "COORDINATOR_NOT_AVAILABLE",
    "NOT_COORDINATOR",
    "INVALID_TOPIC_EXCEPTION",
    "RECORD_LIST_TOO_LARGE",
    "NOT_ENOUGH_REPLICAS",
    "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
    "INVALID_REQUIRED_ACKS",
    "ILLEGAL_GENERATION",
    "INCONSISTENT_GROUP_PROTOCOL",
    "INVALID_GROUP_ID",
    "UNKNOWN_MEMBER_ID",
    "INVALID_SESSION_TIMEOUT",
    "REBALANCE_IN_PROGRESS",
    "INVALID_COMMIT_OFFSET_SIZE",
    "TOPIC_AUTHORIZATION_FAILED",
    "GROUP_AUTHORIZATION_FAILED",
    "CLUSTER_AUTHORIZATION_FAILED",
    "INVALID_TIMESTAMP",
    "UNSUPPORTED_SASL_MECHANISM",
    "ILLEGAL_SASL_STATE",
    "UNSUPPORTED_VERSION",
    "TOPIC_ALREADY_EXISTS",
    "INVALID_PARTITIONS",
    "INVALID_REPLICATION_FACTOR",
    "INVALID_REPLICA_ASSIGNMENT",
    "INVALID_CONFIG",
    "NOT_CONTROLLER",
    "INVALID_REQUEST",
    "UNSUPPORTED_FOR_MESSAGE_FORMAT",
    "POLICY_VIOLATION",
    "OUT_OF_ORDER_SEQUENCE_NUMBER",
    "DUPLICATE_SEQUENCE_NUMBER",
    "INVALID_PRODUCER_EPOCH",
    "INVALID_TXN_STATE",
    "INVALID_PRODUCER_ID_MAPPING",
    "INVALID_TRANSACTION_TIMEOUT",
    "CONCURRENT_TRANSACTIONS",
    "TRANSACTION_COORDINATOR_FENCED",
    "TRANSACTIONAL_ID_AUTHORIZATION_FAILED",
    "SECURITY_DISABLED",
    "OPERATION_NOT_ATTEMPTED",
    "KAFKA_STORAGE_ERROR",
    "LOG_DIR_NOT_FOUND",
    "SASL_AUTHENTICATION_FAILED",
    "UNKNOWN_PRODUCER_ID",
    "REASSIGNMENT_IN_PROGRESS",
    "DELEGATION_TOKEN_AUTH_DISABLED",
    "DELEGATION_TOKEN_NOT_FOUND",
    "DELEGATION_TOKEN_OWNER_MISMATCH",
    "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED",
    "DELEGATION_TOKEN_AUTHORIZATION_FAILED",
    "DELEGATION_TOKEN_EXPIRED",
    "INVALID_PRINCIPAL_TYPE",
    "NON_EMPTY_GROUP",
    "GROUP_ID_NOT_FOUND",
    "FETCH_SESSION_ID_NOT_FOUND",
    "INVALID_FETCH_SESSION_EPOCH",
    "LISTENER_NOT_FOUND",
    "TOPIC_DELETION_DISABLED",
    "FENCED_LEADER_EPOCH",
    "UNKNOWN_LEADER_EPOCH",
    "UNSUPPORTED_COMPRESSION_TYPE",
    "STALE_BROKER_EPOCH",
    "OFFSET_NOT_AVAILABLE",
    "MEMBER_ID_REQUIRED",
    "PREFERRED_LEADER_NOT_AVAILABLE",
    "GROUP_MAX_SIZE_REACHED",
    "FENCED_INSTANCE_ID",
    "ELIGIBLE_LEADERS_NOT_AVAILABLE",
    "ELECTION_NOT_NEEDED",
    "NO_REASSIGNMENT_IN_PROGRESS",
    "GROUP_SUBSCRIBED_TO_TOPIC",
    "INVALID_RECORD",
    "UNSTABLE_OFFSET_COMMIT",
    "THROTTLING_QUOTA_EXCEEDED",
};

constexpr int16_t kUnsupportedVersion = 35;
constexpr int16_t kLeaderNotAvailable = 5;
constexpr int16_t kCoordinatorNotAvailable = 15;
constexpr int16_t kCoordinatorLoadInProgress = 14;
constexpr int32_t kMaxFrame = 256 << 20;

}  // namespace

std::string error_name(int16_t code) {
  if (code == -1) return "UNKNOWN_SERVER_ERROR";
  if (code >= 0 && static_cast<size_t>(code) < kErrorNames.size()) {
    return std::string(kErrorNames[static_cast<size_t>(code)]);
  }
  return "UNKNOWN_ERROR_CODE_" + std::to_string(code);
}

void check_error(int16_t code, const std::string& what) {
  if (code != 0) {
    throw KafkaError(what + ": " + error_name(code) + " (" + std::to_string(code) + ")", code);
  }
}

// ---- BrokerConnection ----------------------------------------------------------------------

std::string Endpoint::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::vector<Endpoint> parse_bootstrap(std::string_view text) {
  std::vector<Endpoint> endpoints;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    const std::string item(text.substr(start, comma - start));
    start = comma + 1;
    if (item.empty()) continue;
    Endpoint endpoint{item, 9092};
    std::string port;
    if (item.front() == '[') {
      const size_t close = item.find(']');
      if (close == std::string::npos || (close + 1 < item.size() && item[close + 1] != ':')) {
        throw std::invalid_argument("invalid bootstrap server '" + item + "'");
      }
      endpoint.host = item.substr(1, close - 1);
      if (close + 1 < item.size()) port = item.substr(close + 2);
    } else if (const size_t colon = item.rfind(':'); colon != std::string::npos) {
      if (item.find(':') != colon)
        throw std::invalid_argument("invalid bootstrap server '" + item + "' (use [v6]:port)");
      endpoint.host = item.substr(0, colon);
      port = item.substr(colon + 1);
      if (port.empty())
        throw std::invalid_argument("invalid port in bootstrap server '" + item + "'");
    }
    if (!port.empty()) {
      unsigned value = 0;
      const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
      if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
        throw std::invalid_argument("invalid port in bootstrap server '" + item + "'");
      }
      endpoint.port = static_cast<uint16_t>(value);
    }
    if (endpoint.host.empty())
      throw std::invalid_argument("invalid bootstrap server '" + item + "'");
    endpoints.push_back(std::move(endpoint));
  }
  if (endpoints.empty()) throw std::invalid_argument("no bootstrap server given");
  return endpoints;
}

BrokerConnection::BrokerConnection(const Endpoint& endpoint, const ClientOptions& options)
    : endpoint_(endpoint),
      options_(options),
      connection_(
          net::TcpConnection::connect(endpoint.host, endpoint.port, options.timeout, options.tls)) {
  negotiate();
  if (!options_.sasl.mechanism.empty()) authenticate();
}

std::string oauthbearer_initial_response(const SaslCredentials& credentials) {
  std::string token = credentials.token;
  std::vector<std::pair<std::string, std::string>> extensions;
  if (token.empty()) {
    std::string principal;
    std::string principal_claim = "sub";
    std::string scope_claim = "scope";
    std::vector<std::string> scope;
    int64_t life_seconds = 3600;
    std::istringstream fields(credentials.oauthbearer_config);
    for (std::string field; fields >> field;) {
      const auto equals = field.find('=');
      if (equals == std::string::npos || equals == 0)
        throw std::invalid_argument("sasl.oauthbearer.config: expected key=value, got '" + field +
                                    "'");
      const std::string key = field.substr(0, equals);
      const std::string value = field.substr(equals + 1);
      if (key == "principal") {
        principal = value;
      } else if (key == "principalClaimName") {
        principal_claim = value;
      } else if (key == "scopeClaimName") {
        scope_claim = value;
      } else if (key == "scope") {
        std::istringstream items(value);
        for (std::string item; std::getline(items, item, ',');)
          if (!item.empty()) scope.push_back(item);
      } else if (key == "lifeSeconds") {
        try {
          std::size_t used = 0;
          life_seconds = std::stoll(value, &used);
          if (used != value.size() || life_seconds <= 0) throw std::invalid_argument(value);
        } catch (const std::exception&) {
          throw std::invalid_argument(
              "sasl.oauthbearer.config: lifeSeconds is a positive "
              "number of seconds, got '" +
              value + "'");
        }
      } else if (key.starts_with("extension_") && key.size() > 10) {
        extensions.emplace_back(key.substr(10), value);
      } else {
        throw std::invalid_argument("sasl.oauthbearer.config: unknown key '" + key +
                                    "' (principal, scope, lifeSeconds, principalClaimName, "
                                    "scopeClaimName, extension_NAME)");
      }
    }
    if (principal.empty())
      throw std::invalid_argument(
          "OAUTHBEARER needs a token (--sasl-token) or sasl.oauthbearer.config with "
          "principal=NAME");
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    nlohmann::json claims{{principal_claim, principal}, {"iat", now}, {"exp", now + life_seconds}};
    if (!scope.empty()) claims[scope_claim] = scope;
    token = sasl::make_unsecured_jws(claims.dump());
  }
  std::string message =
      "n,,\x01"
      "auth=Bearer " +
      token + "\x01";
  for (const auto& [key, value] : extensions) message += key + "=" + value + "\x01";
  return message + "\x01";
}

void BrokerConnection::authenticate() {
  const SaslCredentials& credentials = options_.sasl;
  const std::string where = " to " + endpoint().to_string();
  k::SaslHandshakeRequest handshake;
  handshake.mechanism = credentials.mechanism;
  const auto handshake_response = call<k::SaslHandshakeResponse>(
      handshake, pick_version(handshake.kApiKey, "SaslHandshake", 1, 1));
  if (handshake_response.error_code != 0) {
    std::string enabled;
    for (const auto& name : handshake_response.mechanisms) {
      enabled += (enabled.empty() ? "" : ", ") + name;
    }
    throw KafkaError("SaslHandshake" + where + ": " + error_name(handshake_response.error_code) +
                         " (" + std::to_string(handshake_response.error_code) +
                         "); the broker enables: " + (enabled.empty() ? "none" : enabled),
                     handshake_response.error_code);
  }
  const int16_t version = version_for<k::SaslAuthenticateRequest>();
  auto step = [&](const std::string& token) {
    k::SaslAuthenticateRequest request;
    request.auth_bytes = Bytes(token.begin(), token.end());
    const auto response = call<k::SaslAuthenticateResponse>(request, version);
    if (response.error_code != 0) {
      throw KafkaError("SaslAuthenticate" + where + ": " + error_name(response.error_code) + " (" +
                           std::to_string(response.error_code) +
                           "): " + response.error_message.value_or(""),
                       response.error_code);
    }
    const Bytes& bytes = response.auth_bytes;
    return std::string(bytes.begin(), bytes.end());
  };
  if (credentials.mechanism == "PLAIN") {
    step(sasl::format_plain(credentials.username, credentials.password));
    return;
  }
  if (credentials.mechanism == "OAUTHBEARER") {
    // A refused token gets an error challenge ({"status": ...}); the client
    // answers it with a lone %x01, and the broker then fails the exchange
    // with its message (RFC 7628 3.2.3).
    const std::string challenge = step(oauthbearer_initial_response(credentials));
    if (!challenge.empty()) {
      const std::string refused =
          "SASL OAUTHBEARER" + where + ": the broker refused the token " + challenge;
      try {
        step("\x01");
      } catch (const KafkaError& e) {
        throw KafkaError(refused + "; " + e.what(), e.code());
      }
      throw KafkaError(refused);
    }
    return;
  }
  const auto hash = sasl::scram_hash_for(credentials.mechanism);
  if (!hash) throw std::invalid_argument("unsupported SASL mechanism " + credentials.mechanism);
  sasl::ScramClient client(*hash, credentials.username, credentials.password);
  const std::string server_first = step(client.first_message());
  try {
    const std::string server_final = step(client.final_message(server_first));
    client.check_server_final(server_final);
  } catch (const sasl::ScramError& e) {
    throw KafkaError("SASL " + credentials.mechanism + where + ": " + e.what());
  }
}

void BrokerConnection::negotiate() {
  int16_t version = k::ApiVersionsRequest::kMaxVersion;
  k::ApiVersionsRequest request;
  request.client_software_name = "mockforge-cli";
  request.client_software_version = "1";
  for (int attempt = 0; attempt < 6; ++attempt) {
    const int32_t correlation = send(request, version);
    Bytes body = receive(correlation, request.kApiKey, version, std::nullopt);
    k::ApiVersionsResponse response;
    // A broker that does not support our version answers in v0 with its own range.
    k::Reader peek(body);
    const int16_t error = peek.read_int16();
    k::Reader reader(body);
    if (error == kUnsupportedVersion) {
      // The broker's range for ApiVersions, from a v0 body. Some brokers (librdkafka's mock)
      // encode that body in their own flexible style; then step down to the newest
      // non-flexible version and below.
      int16_t next = version > 2 ? 2 : static_cast<int16_t>(version - 1);
      try {
        response.decode(reader, 0);
        for (const auto& key : response.api_keys) {
          if (key.api_key == request.kApiKey && key.max_version < version) next = key.max_version;
        }
      } catch (const k::DecodeError&) {
      }
      if (next < 0) break;
      version = next;
      continue;
    }
    response.decode(reader, version);
    check_error(response.error_code, "ApiVersions to " + endpoint().to_string());
    for (const auto& key : response.api_keys) {
      broker_versions_[key.api_key] = {key.min_version, key.max_version};
    }
    return;
  }
  throw KafkaError("ApiVersions to " + endpoint().to_string() + ": no common version");
}

int16_t BrokerConnection::pick_version(int16_t key, const std::string& name, int16_t min,
                                       int16_t max) const {
  const auto it = broker_versions_.find(key);
  if (it == broker_versions_.end()) {
    throw KafkaError("broker " + endpoint().to_string() + " does not support " + name +
                     " (API key " + std::to_string(key) + ")");
  }
  const int16_t version = std::min(max, it->second.second);
  if (version < std::max(min, it->second.first)) {
    throw KafkaError("broker " + endpoint().to_string() + " supports " + name + " versions " +
                     std::to_string(it->second.first) + "-" + std::to_string(it->second.second) +
                     ", this client " + std::to_string(min) + "-" + std::to_string(max));
  }
  return version;
}

void BrokerConnection::trailing_bytes(std::string_view api, int16_t version, size_t count) const {
  throw k::DecodeError(std::string(api) + " v" + std::to_string(version) + " response from " +
                       endpoint_.to_string() + " has " + std::to_string(count) +
                       " unexpected trailing bytes");
}

void BrokerConnection::trace(std::string_view api, int16_t version, const Bytes& body) const {
  static const bool enabled = std::getenv("MOCKFORGE_KAFKA_TRACE") != nullptr;
  if (!enabled) return;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (const uint8_t byte : body) {
    hex += kHex[byte >> 4];
    hex += kHex[byte & 15];
  }
  std::fprintf(stderr, "[kafka] %s %s v%d: %s\n", endpoint_.to_string().c_str(),
               std::string(api).c_str(), version, hex.c_str());
}

void BrokerConnection::send_frame(const Bytes& frame) {
  connection_.send_all(frame, options_.timeout);
}

Bytes BrokerConnection::receive(int32_t correlation, int16_t api_key, int16_t version,
                                std::optional<std::chrono::milliseconds> timeout) {
  const auto wait = timeout.value_or(options_.timeout);
  while (true) {
    uint8_t size_bytes[4];
    read_exact(size_bytes, 4, wait);
    const int32_t size =
        static_cast<int32_t>((uint32_t{size_bytes[0]} << 24) | (uint32_t{size_bytes[1]} << 16) |
                             (uint32_t{size_bytes[2]} << 8) | size_bytes[3]);
    if (size < 4 || size > kMaxFrame) {
      throw KafkaError("invalid response frame size " + std::to_string(size) + " from " +
                       endpoint().to_string());
    }
    Bytes frame(static_cast<size_t>(size));
    read_exact(frame.data(), frame.size(), wait);
    k::Reader reader(frame);
    k::ResponseHeader header;
    header.decode(reader, k::response_header_version(api_key, version));
    if (header.correlation_id < correlation) continue;  // reply to an earlier acks=0 send
    if (header.correlation_id != correlation) {
      throw KafkaError("response from " + endpoint().to_string() + " has correlation id " +
                       std::to_string(header.correlation_id) + ", expected " +
                       std::to_string(correlation));
    }
    return Bytes(frame.begin() + static_cast<std::ptrdiff_t>(reader.position()), frame.end());
  }
}

void BrokerConnection::read_exact(uint8_t* out, size_t size, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (buffer_.size() < size) {
    switch (connection_.recv_some(buffer_, net::remaining(deadline))) {
      case net::TcpConnection::RecvStatus::data:
        break;
      case net::TcpConnection::RecvStatus::timeout:
        throw net::NetError("timed out waiting for a response from " + endpoint_.to_string() +
                            " after " + std::to_string(timeout.count()) + " ms");
      case net::TcpConnection::RecvStatus::closed:
        throw net::NetError("connection closed by " + endpoint_.to_string());
    }
  }
  std::copy(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(size), out);
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(size));
}

// ---- Cluster -------------------------------------------------------------------------------

Cluster::Cluster(std::vector<Endpoint> bootstrap, ClientOptions options)
    : options_(std::move(options)), bootstrap_(std::move(bootstrap)) {}

BrokerConnection& Cluster::any() {
  if (bootstrap_connection_) return *bootstrap_connection_;
  std::string errors;
  for (const auto& endpoint : bootstrap_) {
    try {
      bootstrap_connection_ = std::make_unique<BrokerConnection>(endpoint, options_);
      return *bootstrap_connection_;
    } catch (const net::NetError& e) {
      if (bootstrap_.size() == 1) throw;
      errors += std::string(errors.empty() ? "" : "; ") + e.what();
    }
  }
  throw net::NetError("no bootstrap server reachable: " + errors);
}

BrokerConnection& Cluster::broker(int32_t node_id) {
  auto it = connections_.find(node_id);
  if (it != connections_.end()) return *it->second;
  const auto endpoint = broker_endpoints_.find(node_id);
  if (endpoint == broker_endpoints_.end()) {
    throw KafkaError("broker " + std::to_string(node_id) + " is not in the cluster metadata");
  }
  auto connection = std::make_unique<BrokerConnection>(endpoint->second, options_);
  return *connections_.emplace(node_id, std::move(connection)).first->second;
}

std::vector<int32_t> Cluster::broker_ids() const {
  std::vector<int32_t> ids;
  for (const auto& [id, endpoint] : broker_endpoints_) ids.push_back(id);
  return ids;
}

MetadataResponse Cluster::metadata(const std::optional<std::vector<std::string>>& topics,
                                   bool allow_auto_create) {
  BrokerConnection& connection = any();
  const int16_t version = connection.version_for<k::MetadataRequest>();
  k::MetadataRequest request;
  request.allow_auto_topic_creation = allow_auto_create;
  if (topics) {
    request.topics.emplace();
    for (const auto& name : *topics) {
      k::MetadataRequest::MetadataRequestTopic topic;
      topic.name = name;
      request.topics->push_back(topic);
    }
  } else {
    request.topics = std::nullopt;
  }
  auto response = connection.call<MetadataResponse>(request, version);
  for (const auto& broker : response.brokers) {
    Endpoint endpoint{broker.host, static_cast<uint16_t>(broker.port)};
    auto& slot = broker_endpoints_[broker.node_id];
    if (slot.host != endpoint.host || slot.port != endpoint.port) {
      connections_.erase(broker.node_id);
      slot = endpoint;
    }
  }
  return response;
}

MetadataResponse::MetadataResponseTopic Cluster::topic_metadata(const std::string& topic,
                                                                bool allow_auto_create) {
  const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
  while (true) {
    auto response = metadata(std::vector<std::string>{topic}, allow_auto_create);
    for (auto& entry : response.topics) {
      if (entry.name != topic) continue;
      bool leaderless = entry.error_code == kLeaderNotAvailable;
      for (const auto& partition : entry.partitions) {
        if (partition.error_code == kLeaderNotAvailable || partition.leader_id < 0) {
          leaderless = true;
        }
      }
      if (leaderless && std::chrono::steady_clock::now() < deadline) break;
      check_error(entry.error_code, "topic '" + topic + "'");
      if (entry.partitions.empty()) throw KafkaError("topic '" + topic + "' has no partitions");
      std::sort(entry.partitions.begin(), entry.partitions.end(),
                [](const auto& a, const auto& b) { return a.partition_index < b.partition_index; });
      return std::move(entry);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      throw KafkaError("topic '" + topic + "': not in the metadata response");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

BrokerConnection& Cluster::coordinator(const std::string& group) {
  if (auto it = coordinators_.find(group); it != coordinators_.end()) return *it->second;
  const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
  while (true) {
    BrokerConnection& connection = any();
    // v4+ batches coordinator keys; one key needs no more than v3.
    const int16_t version = connection.version_for<k::FindCoordinatorRequest>(3);
    k::FindCoordinatorRequest request;
    request.key = group;
    request.key_type = 0;
    auto response = connection.call<k::FindCoordinatorResponse>(request, version);
    const bool retriable = response.error_code == kCoordinatorNotAvailable ||
                           response.error_code == kCoordinatorLoadInProgress;
    if (retriable && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    check_error(response.error_code, "FindCoordinator for group '" + group + "'");
    Endpoint endpoint{response.host, static_cast<uint16_t>(response.port)};
    auto conn = std::make_unique<BrokerConnection>(endpoint, options_);
    return *coordinators_.emplace(group, std::move(conn)).first->second;
  }
}

}  // namespace mockforge::cli::kafka
