// The protocol-neutral form of one published message and of one resource
// (topic, exchange, queue, binding) to declare. Brokers translate to and from
// it at their edge (core/traffic/hub.h); nothing here knows a wire format.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace mockforge::traffic {

enum class Protocol : uint8_t { kKafka, kMqtt, kAmqp };
inline constexpr std::size_t kProtocolCount = 3;

std::string_view to_string(Protocol protocol);
std::optional<Protocol> parse_protocol(std::string_view name);

// A header value keeps its type where the protocol has types (AMQP field
// tables); Kafka headers and MQTT user properties carry its text.
using HeaderValue = std::variant<std::string, int64_t, double, bool>;
std::string header_text(const HeaderValue& value);

struct Header {
  std::string name;
  HeaderValue value;
  bool operator==(const Header&) const = default;
};

// Message properties. Each protocol uses those it has and ignores the rest:
// AMQP basic properties; MQTT v5 content type, response topic (reply_to),
// correlation data, message expiry and payload format; Kafka none.
struct Properties {
  std::optional<std::string> content_type;
  std::optional<std::string> content_encoding;     // AMQP
  std::optional<std::string> correlation_id;       // AMQP; MQTT correlation data
  std::optional<std::string> reply_to;             // AMQP; MQTT response topic
  std::optional<std::string> message_id;           // AMQP
  std::optional<std::string> type;                 // AMQP
  std::optional<std::string> app_id;               // AMQP
  std::optional<std::string> user_id;              // AMQP
  std::optional<std::string> expiration;           // AMQP, milliseconds as text
  std::optional<uint8_t> priority;                 // AMQP, 0-255
  std::optional<uint8_t> delivery_mode;            // AMQP, 1 transient, 2 persistent
  std::optional<uint32_t> message_expiry_seconds;  // MQTT v5
  std::optional<bool> payload_utf8;                // MQTT v5 payload format indicator
  bool operator==(const Properties&) const = default;
};

struct Message {
  Protocol protocol = Protocol::kKafka;
  // Kafka topic, MQTT topic or AMQP exchange ("" is AMQP's default exchange).
  std::string destination;
  std::string routing_key;           // AMQP
  std::string vhost;                 // AMQP; empty: the default vhost "/"
  std::optional<std::string> key;    // Kafka; nullopt: no key
  std::optional<int32_t> partition;  // Kafka; nullopt: by key (murmur2), else round robin
  // Kafka, with neither key nor partition: partition = index % partitions
  // (a generator's own round robin, repeatable); nullopt: the broker's.
  std::optional<uint64_t> round_robin_index;
  std::string payload;
  // Kafka record headers, AMQP headers table, MQTT v5 user properties; in order.
  std::vector<Header> headers;
  Properties properties;
  uint8_t qos = 0;      // MQTT 0-2
  bool retain = false;  // MQTT
  // Who sent it: the client id (Kafka client.id, MQTT client identifier,
  // AMQP connection name or "user@peer"), or "mockforge:<source>" for
  // messages the process injected itself (fixtures, responders).
  std::string client_id;
  int64_t timestamp_ms = 0;  // 0: the broker stamps it when it accepts it
  bool operator==(const Message&) const = default;
};

// Something a broker holds that messages need before they flow, or state a
// client finds when it connects: a Kafka topic or consumer group's committed
// offsets, an AMQP vhost, user, permission, exchange, queue or binding, an
// MQTT persistent session. Arguments are typed like headers (AMQP
// x-arguments, Kafka topic configs as text).
struct Resource {
  enum class Kind : uint8_t {
    kTopic,
    kExchange,
    kQueue,
    kBinding,
    kConsumerGroup,  // Kafka; name: the group id
    kSession,        // MQTT; name: the client id
    kVhost,          // AMQP; name
    kUser,           // AMQP; name
    kPermission,     // AMQP; name: the user, vhost: where
    kAcl,            // Kafka; name: the resource's, acl: the rest
  };
  Protocol protocol = Protocol::kKafka;
  Kind kind = Kind::kTopic;
  std::string vhost;  // AMQP; empty: "/"
  // Topic, exchange or queue name; for a binding, the source exchange.
  std::string name;
  std::string type;          // exchange type: direct, fanout, topic, headers
  int32_t partitions = 0;    // topic; 0: the broker's default
  bool durable = true;       // exchange, queue
  bool auto_delete = false;  // exchange, queue
  bool internal = false;     // exchange
  std::vector<Header> arguments;
  // Binding: the destination queue (or exchange, with to_exchange) and key.
  std::string destination;
  bool to_exchange = false;
  std::string routing_key;

  // Consumer group: offsets committed as a standalone OffsetCommit would.
  struct CommittedOffset {
    std::string topic;
    int32_t partition = 0;
    int64_t offset = 0;
    std::optional<std::string> metadata;
    bool operator==(const CommittedOffset&) const = default;
  };
  std::vector<CommittedOffset> offsets;

  // Session: found by a client that connects with clean start 0 (clean
  // session 0), as if it had subscribed and gone away, with messages queued.
  struct Subscription {
    std::string filter;
    uint8_t qos = 0;
    bool no_local = false;
    bool retain_as_published = false;
    uint8_t retain_handling = 0;
    std::optional<uint32_t> subscription_identifier;
    bool operator==(const Subscription&) const = default;
  };
  std::vector<Subscription> subscriptions;
  uint32_t session_expiry_seconds = 0;  // 0xFFFFFFFF: never
  std::vector<Message> queued;          // oldest first

  // User: password and tags (AMQP), or password and the SASL mechanisms it may use (Kafka;
  // empty: all). Permission: the three regular expressions.
  std::string password;
  std::vector<std::string> tags;
  std::string configure;
  std::string write;
  std::string read;

  // ACL (Kafka): Kafka's names, checked by the fixture loader (core/config/kafka_acl.h).
  struct Acl {
    std::string principal;
    std::string host = "*";
    std::string operation;
    std::string permission = "ALLOW";
    std::string resource_type;
    std::string pattern_type = "LITERAL";
    bool operator==(const Acl&) const = default;
  };
  Acl acl;

  bool operator==(const Resource&) const = default;
};

std::string_view to_string(Resource::Kind kind);

}  // namespace mockforge::traffic
