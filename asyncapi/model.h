#pragma once

// What an AsyncAPI 2.6 or 3.0 document means for mockforge: per channel the
// brokers that serve it (from its servers' protocols), what to create there
// (from the protocol bindings), the pattern its address stands for (channel
// parameters become wildcards), and its messages with their payload and
// header schemas (all `$ref`s inlined) and examples. docs/asyncapi.md.
//
// Protocols: kafka and kafka-secure are the Kafka broker; mqtt, mqtt5 and ws
// (mockforge's WebSocket listener is MQTT over WebSocket) the MQTT broker;
// amqp the AMQP broker. Servers of other protocols are listed and skipped; a
// channel none of whose servers is served is an error.

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "asyncapi/document.h"
#include "asyncapi/schema_validator.h"
#include "core/traffic/message.h"

namespace mockforge::asyncapi {

struct Server {
  std::string name;
  std::string protocol;  // as written: kafka, mqtt5, http, ...
  std::string protocol_version;
  std::string host;                         // 3.0 host, 2.6 url
  std::optional<traffic::Protocol> broker;  // nullopt: not served by mockforge
};

struct Parameter {
  std::string name;
  std::string description;
  std::vector<std::string> values;  // its enum; empty: any value
};

struct KafkaBinding {
  std::string topic;  // "": the channel address
  int32_t partitions = 0;
  int32_t replicas = 0;
  std::vector<std::pair<std::string, std::string>> configs;  // topicConfiguration, as Kafka text
};

struct MqttBinding {
  std::optional<int> qos;
  std::optional<bool> retain;
};

struct AmqpExchange {
  std::string name;
  std::string type = "topic";
  std::string vhost = "/";
  bool durable = true;
  bool auto_delete = false;
};

struct AmqpQueue {
  std::string name;
  std::string vhost = "/";
  bool durable = true;
  bool exclusive = false;
  bool auto_delete = false;
};

struct AmqpBinding {
  enum class Is { kRoutingKey, kQueue };
  Is is = Is::kRoutingKey;
  std::optional<AmqpExchange> exchange;
  std::optional<AmqpQueue> queue;
};

struct Example {
  std::string name;
  Json payload;
  Json headers;  // null: none
};

struct Message {
  std::string id;       // its key in the channel (3.0) or its messageId/name/component name
  std::string pointer;  // where it is defined, "file#/pointer"
  std::string content_type;
  Json payload;  // JSON Schema (draft 7 with AsyncAPI extensions), refs inlined
  Json headers;  // JSON Schema, or null when the message has none
  // Draft 4 when the schemaFormat says application/schema+json;version=draft-04.
  Draft draft = Draft::kDraft7;
  std::vector<Example> examples;
  // correlationId.location, e.g. "$message.header#/correlationId"; "" if none.
  std::string correlation_location;
};

// The concrete names a channel covers on one protocol (what name_regex()
// says), matched without a regular expression, since every publish on a
// validated broker asks: literal text and parameters in order, a parameter
// matching one of its enum values, else one or more characters other than
// the level separator.
struct NamePattern {
  struct Piece {
    bool parameter = false;
    std::string text;                 // a literal piece's text
    std::vector<std::string> values;  // a parameter's enum values; empty: any level text
  };
  std::vector<Piece> pieces;
  char separator = '/';

  bool matches(std::string_view name) const { return matches_from(0, name, 0); }

 private:
  bool matches_from(std::size_t piece, std::string_view name, std::size_t at) const;
};

struct Channel {
  std::string id;       // 3.0 channel key; 2.6 the address
  std::string address;  // with {parameter} placeholders
  std::string pointer;
  std::string description;
  // The channel's own validation mode, `x-mockforge-validate: off|warn|reject`
  // ("" when the channel has none): it overrides the document's mode.
  std::string validate;
  std::vector<std::string> servers;          // served ones only
  std::vector<traffic::Protocol> protocols;  // distinct, in kafka, mqtt, amqp order
  std::vector<Parameter> parameters;
  std::optional<KafkaBinding> kafka;
  MqttBinding mqtt;
  std::optional<AmqpBinding> amqp;
  std::vector<Message> messages;

  bool parameterised() const { return !parameters.empty(); }
  // The MQTT topic filter the address stands for: a level holding a
  // parameter becomes '+'.
  std::string mqtt_filter() const;
  // The Kafka topic: the binding's topic, else the address.
  std::string kafka_topic() const;
  // An AMQP topic-exchange binding key: a '.'-separated word holding a
  // parameter becomes '*'.
  std::string amqp_binding_key() const;
  // A regular expression (ECMAScript, whole name) for the concrete names the
  // channel covers on `protocol`: a parameter matches its enum values, else
  // one or more characters other than the protocol's level separator ('/'
  // for MQTT, '.' for Kafka and AMQP).
  std::string name_regex(traffic::Protocol protocol) const;
  // Whether a message `destination` (MQTT topic, Kafka topic, AMQP routing
  // key; for an `is: queue` channel the queue name) belongs to the channel.
  bool covers(traffic::Protocol protocol, const std::string& name) const;

  // What covers() matches: name_pattern() per protocol, by protocol index.
  NamePattern name_pattern(traffic::Protocol protocol) const;
  std::vector<NamePattern> compiled;
};

struct Operation {
  std::string id;
  std::string action;   // 3.0 send|receive; 2.6 publish|subscribe
  std::string channel;  // Channel::id
  std::vector<std::string> messages;
  bool has_reply = false;     // 3.0 reply
  std::string reply_channel;  // 3.0 reply.channel, "" if none
  // 3.0 reply.address.location, e.g. "$message.header#/replyTo"; "" if none.
  std::string reply_location;
  std::vector<std::string> reply_messages;  // 3.0 reply.messages; empty: the reply channel's
};

struct Model {
  std::string asyncapi_version;  // "2.6.0", "3.0.0"
  std::string title;
  std::string version;
  std::vector<Server> servers;
  std::vector<Channel> channels;
  std::vector<Operation> operations;
  std::vector<std::string> files;  // every file read
};

struct LoadResult {
  Model model;
  std::vector<Error> errors;
  bool ok() const { return errors.empty(); }
};

// Reads and interprets a document. A file that cannot be read is one error;
// otherwise every problem found is listed (the model then holds what was
// understood).
LoadResult load(const std::filesystem::path& path);

// What mockforge creates for the model on the brokers, in order: Kafka
// topics of unparameterised channels (partitions, topic configs), AMQP
// exchanges and queues from the bindings. MQTT needs nothing declared.
std::vector<traffic::Resource> declarations(const Model& model);

}  // namespace mockforge::asyncapi
