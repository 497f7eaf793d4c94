#include "cli/apply/apply.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>

#include "brokers/amqp/codec/neutral_message.h"
#include "brokers/kafka/codec/murmur2.h"
#include "brokers/kafka/codec/neutral_message.h"
#include "brokers/kafka/codec/record_batch.h"
#include "brokers/mqtt/codec/neutral_message.h"
#include "cli/amqp/client.h"
#include "cli/apply/wire.h"
#include "cli/kafka/client.h"
#include "cli/mqtt/client.h"
#include "mockforge/kafka/create_topics.h"
#include "mockforge/kafka/offset_commit.h"
#include "mockforge/kafka/produce.h"

namespace mockforge::cli::apply {
namespace {

using fixtures::Declaration;
using fixtures::Fixture;
using fixtures::FixtureError;
using fixtures::LoadedFixtures;
using traffic::Protocol;
using traffic::Resource;
namespace k = mockforge::kafka;

constexpr std::size_t kRecordsPerBatch = 1000;
constexpr int16_t kTopicAlreadyExists = 36;

// "file:line:column: field", where a fixture file wrote it.
std::string place(const std::string& file, int line, int column, const std::string& field) {
  auto text = FixtureError{file, line, column, field, ""}.to_string();
  while (!text.empty() && (text.back() == ' ' || text.back() == ':')) text.pop_back();
  return text;
}

std::string place(const Declaration& d) { return place(d.file, d.line, d.column, d.field); }

std::string place(const Fixture& f) { return place(f.file, f.line, f.column, f.identifier); }

uint64_t base_seed(uint64_t configured) {
  if (configured != 0) return configured;
  return (uint64_t{std::random_device{}()} << 32) ^ std::random_device{}();
}

// A fixture's seed messages, as mockforge's engine renders them: each
// stream (one per combination of the channel parameters' values) its seeds,
// seq 1..seed_count, from its own random source. Throws naming the fixture
// when a template cannot render.
std::vector<traffic::Message> seeds(const Fixture& fixture, uint64_t seed) {
  std::vector<traffic::Message> out;
  for (std::size_t stream = 0; stream < fixture.stream_count() && fixture.seed_count > 0;
       ++stream) {
    const auto params = fixture.stream(stream);
    auto random = fixtures::derive_random(seed, fixture.stream_identifier(stream), "seed");
    for (uint64_t sequence = 1; sequence <= fixture.seed_count; ++sequence) {
      fixtures::RenderContext context{random, sequence, nullptr, &params};
      try {
        out.push_back(fixture.render(context));
      } catch (const fixtures::RenderError& e) {
        throw std::runtime_error(fmt::format("{}: seed {}{}: {}", place(fixture), sequence,
                                             fixture.parameters.empty()
                                                 ? std::string()
                                                 : " of stream " + fixture.stream_label(stream),
                                             e.what()));
      }
    }
  }
  return out;
}

// "the topic" / "exchange 'x'", or for a fixture whose messages go to several
// (channel parameters, a rendered name): each of them, in order of first use.
std::string destinations(const std::vector<traffic::Message>& messages) {
  std::vector<std::string> names;
  for (const auto& m : messages) {
    if (std::find(names.begin(), names.end(), m.destination) == names.end())
      names.push_back(m.destination);
  }
  return fmt::format("{}", fmt::join(names, ", "));
}

bool uses(const LoadedFixtures& set, Protocol protocol) {
  for (const auto& d : set.declarations) {
    if (d.resource.protocol == protocol) return true;
  }
  for (const auto& f : set.fixtures) {
    if (f.protocol == protocol && f.seed_count > 0) return true;
  }
  return false;
}

// ---- Kafka ----------------------------------------------------------------------------------

struct KafkaTopic {
  std::string name;
  int32_t partitions = 0;  // 0: the broker's default
  std::vector<traffic::Header> configs;
  std::string where;
};

class KafkaApplier {
 public:
  KafkaApplier(const Targets& targets, std::ostream& log)
      : cluster_(kafka::parse_bootstrap(targets.kafka_bootstrap),
                 kafka::ClientOptions{"mockforge-fixtures-apply", targets.timeout, {}, {}}),
        timeout_(targets.timeout),
        log_(log) {}

  void create_topics(const std::vector<KafkaTopic>& topics) {
    const auto metadata = cluster_.metadata(std::nullopt, false);
    std::set<std::string> existing;
    for (const auto& topic : metadata.topics) {
      if (topic.name && topic.error_code == 0) existing.insert(*topic.name);
    }
    // CreateTopics goes to the controller; a cluster that names none it lists
    // (librdkafka's mock cluster) gets it on any broker.
    const auto ids = cluster_.broker_ids();
    kafka::BrokerConnection& controller =
        std::find(ids.begin(), ids.end(), metadata.controller_id) != ids.end()
            ? cluster_.broker(metadata.controller_id)
            : cluster_.any();
    for (const auto& topic : topics) {
      if (existing.contains(topic.name)) {
        log_ << "kafka: topic " << topic.name << " exists; left as it is\n";
        continue;
      }
      if (!controller.supports(k::CreateTopicsRequest::kApiKey)) {
        auto_create(topic);
        continue;
      }
      const int16_t version = controller.version_for<k::CreateTopicsRequest>(7);
      k::CreateTopicsRequest request;
      request.timeout_ms = static_cast<int32_t>(timeout_.count());
      auto& created = request.topics.emplace_back();
      created.name = topic.name;
      // -1: the broker's num.partitions and default.replication.factor (v4+).
      created.num_partitions = topic.partitions > 0 ? topic.partitions : -1;
      created.replication_factor = -1;
      if (version < 4) {
        if (topic.partitions == 0) created.num_partitions = 1;
        created.replication_factor = 1;
      }
      for (const auto& config : topic.configs) {
        created.configs.push_back({config.name, traffic::header_text(config.value)});
      }
      const auto response = controller.call<k::CreateTopicsResponse>(request, version);
      for (const auto& result : response.topics) {
        if (result.error_code == kTopicAlreadyExists) continue;
        std::string what = fmt::format("{}kafka: CreateTopics {}", topic.where, result.name);
        if (result.error_code != 0 && result.error_message && !result.error_message->empty())
          what += " (" + *result.error_message + ")";
        kafka::check_error(result.error_code, what);
      }
      log_ << "kafka: created topic " << topic.name << "\n";
    }
  }

  // Each topic's messages of the fixture (one topic, or a topic per stream
  // or per message), in the order rendered.
  void produce(const Fixture& fixture, const std::vector<traffic::Message>& messages) {
    std::vector<std::string> order;
    std::map<std::string, std::vector<traffic::Message>> by_topic;
    for (const auto& message : messages) {
      auto [it, inserted] = by_topic.try_emplace(message.destination);
      if (inserted) order.push_back(message.destination);
      it->second.push_back(message);
    }
    for (const auto& name : order) produce_to(fixture, name, by_topic[name]);
    log_ << "kafka: produced " << messages.size() << " record(s) of " << fixture.identifier
         << " to " << destinations(messages) << "\n";
  }

 private:
  void produce_to(const Fixture& fixture, const std::string& topic_name,
                  const std::vector<traffic::Message>& messages) {
    const auto topic = cluster_.topic_metadata(topic_name, true);
    const auto count = static_cast<int32_t>(topic.partitions.size());
    std::map<int32_t, int32_t> leaders;
    for (const auto& p : topic.partitions) leaders[p.partition_index] = p.leader_id;
    std::map<int32_t, std::vector<k::NewRecord>> by_partition;
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    for (const auto& message : messages) {
      k::NewRecord record = k::to_new_record(message, now);
      // As mockforge's broker places them: fixed, murmur2 of the key, or round robin by seq.
      int32_t partition;
      if (message.partition) {
        partition = *message.partition;
        if (partition >= count) {
          throw std::runtime_error(fmt::format("{}.partition: topic {} has {} partition(s) on {}",
                                               place(fixture), topic_name, count, "the cluster"));
        }
      } else if (record.key) {
        partition = k::murmur2_partition(*record.key, count);
      } else {
        partition = static_cast<int32_t>(message.round_robin_index.value_or(0) %
                                         static_cast<uint64_t>(count));
      }
      by_partition[partition].push_back(std::move(record));
    }
    for (auto& [partition, records] : by_partition) {
      for (std::size_t first = 0; first < records.size(); first += kRecordsPerBatch) {
        const auto size = std::min(kRecordsPerBatch, records.size() - first);
        k::ProduceRequest request;
        request.acks = -1;
        request.timeout_ms = static_cast<int32_t>(timeout_.count());
        auto& data = request.topic_data.emplace_back();
        data.name = topic_name;
        auto& partition_data = data.partition_data.emplace_back();
        partition_data.index = partition;
        partition_data.records =
            k::build_record_batch(std::span<const k::NewRecord>(records.data() + first, size));
        auto& broker = cluster_.broker(leaders.at(partition));
        const auto response =
            broker.call<k::ProduceResponse>(request, broker.version_for<k::ProduceRequest>());
        for (const auto& t : response.responses) {
          for (const auto& p : t.partition_responses) {
            std::string what =
                fmt::format("{}: kafka: produce to {}-{}", place(fixture), t.name, p.index);
            if (p.error_code != 0 && p.error_message && !p.error_message->empty())
              what += " (" + *p.error_message + ")";
            kafka::check_error(p.error_code, what);
          }
        }
      }
    }
  }

 public:
  void commit(const Declaration& group) {
    k::OffsetCommitRequest request;
    request.group_id = group.resource.name;
    request.generation_id_or_member_epoch = -1;  // a standalone commit: no member
    std::map<std::string, std::size_t> topic_index;
    for (const auto& offset : group.resource.offsets) {
      const auto topic = cluster_.topic_metadata(offset.topic, false);
      if (offset.partition >= static_cast<int32_t>(topic.partitions.size())) {
        throw std::runtime_error(fmt::format("{}: kafka: topic {} has no partition {} (it has {})",
                                             place(group), offset.topic, offset.partition,
                                             topic.partitions.size()));
      }
      auto [it, inserted] = topic_index.emplace(offset.topic, request.topics.size());
      if (inserted) request.topics.emplace_back().name = offset.topic;
      k::OffsetCommitRequest::OffsetCommitRequestPartition partition;
      partition.partition_index = offset.partition;
      partition.committed_offset = offset.offset;
      partition.committed_metadata = offset.metadata.value_or("");
      request.topics[it->second].partitions.push_back(partition);
    }
    auto& coordinator = cluster_.coordinator(group.resource.name);
    const int16_t version = coordinator.version_for<k::OffsetCommitRequest>(8);
    if (version < 2) {
      throw std::runtime_error(
          fmt::format("{}: kafka: the broker lacks OffsetCommit v2 or later", place(group)));
    }
    const auto response = coordinator.call<k::OffsetCommitResponse>(request, version);
    for (const auto& t : response.topics) {
      for (const auto& p : t.partitions) {
        kafka::check_error(
            p.error_code, fmt::format("{}: kafka: OffsetCommit of group {} for {}-{}", place(group),
                                      group.resource.name, t.name, p.partition_index));
      }
    }
    log_ << "kafka: committed " << group.resource.offsets.size() << " offset(s) for group "
         << group.resource.name << "\n";
  }

 private:
  // A cluster without CreateTopics (librdkafka's mock cluster) creates topics
  // on Metadata, with its own partition count and no configs.
  void auto_create(const KafkaTopic& topic) {
    if (!topic.configs.empty()) {
      throw std::runtime_error(fmt::format(
          "{}kafka: the cluster has no CreateTopics, so topic {} cannot get its configs",
          topic.where, topic.name));
    }
    const auto created = cluster_.topic_metadata(topic.name, true);
    const auto count = static_cast<int32_t>(created.partitions.size());
    if (topic.partitions > 0 && count != topic.partitions) {
      throw std::runtime_error(
          fmt::format("{}kafka: the cluster has no CreateTopics and auto-created topic {} with {} "
                      "partition(s), not {}",
                      topic.where, topic.name, count, topic.partitions));
    }
    log_ << "kafka: topic " << topic.name << " auto-created (" << count
         << " partitions; the cluster has no CreateTopics)\n";
  }

  kafka::Cluster cluster_;
  std::chrono::milliseconds timeout_;
  std::ostream& log_;
};

void apply_kafka(const LoadedFixtures& set, const Targets& targets, uint64_t seed,
                 std::ostream& log) {
  KafkaApplier kafka(targets, log);
  std::vector<KafkaTopic> topics;
  std::set<std::string> named;
  for (const auto& d : set.declarations) {
    if (d.resource.protocol != Protocol::kKafka || d.resource.kind != Resource::Kind::kTopic)
      continue;
    if (named.insert(d.resource.name).second)
      topics.push_back(
          {d.resource.name, d.resource.partitions, d.resource.arguments, place(d) + ": "});
  }
  // As serve declares them: a fixture's topic, each stream's with channel
  // parameters, and a topic rendered per message when its seed names it.
  std::vector<std::pair<const Fixture*, std::vector<traffic::Message>>> seeded;
  for (const auto& f : set.fixtures) {
    if (f.protocol != Protocol::kKafka) continue;
    for (const auto& topic : f.kafka_topics()) {
      if (named.insert(topic.name).second)
        topics.push_back({topic.name, f.partitions, {}, place(f) + ".topic: "});
    }
    if (f.seed_count == 0) continue;
    auto messages = seeds(f, seed);
    if (f.kafka_topic_rendered()) {
      for (const auto& m : messages) {
        if (named.insert(m.destination).second)
          topics.push_back({m.destination, f.partitions, {}, place(f) + ".topic: "});
      }
    }
    seeded.emplace_back(&f, std::move(messages));
  }
  kafka.create_topics(topics);
  for (const auto& [f, messages] : seeded) kafka.produce(*f, messages);
  for (const auto& d : set.declarations) {
    if (d.resource.kind == Resource::Kind::kConsumerGroup) kafka.commit(d);
  }
}

// ---- AMQP -----------------------------------------------------------------------------------

namespace amqp_codec = ::mockforge::amqp;

// One connection per vhost: "" is the URL's own vhost.
void apply_amqp_vhost(const LoadedFixtures& set, const Targets& targets, const std::string& vhost,
                      uint64_t seed, std::ostream& log) {
  auto url = amqp::parse_url(targets.amqp_url);
  if (!vhost.empty()) url.vhost = vhost;
  const std::string shown = url.vhost;
  const Declaration* declared_vhost = nullptr;
  for (const auto& d : set.declarations) {
    if (d.resource.kind == Resource::Kind::kVhost && d.resource.name == vhost) declared_vhost = &d;
  }
  std::optional<amqp::Client> connection;
  try {
    connection.emplace(amqp::Client::connect(url, targets.timeout));
  } catch (const amqp::AmqpError& e) {
    throw std::runtime_error(fmt::format(
        "{}amqp: cannot open vhost '{}': {}{}", declared_vhost ? place(*declared_vhost) + ": " : "",
        shown, e.what(),
        e.reply_code() == 530 ? " (a real broker's vhosts are made by its operator: "
                                "rabbitmqctl add_vhost, and set_permissions for the URL's user)"
                              : ""));
  }
  auto& client = *connection;
  auto in_this_vhost = [&](const std::string& v) { return v == vhost; };
  auto failed = [&](const std::string& where, const std::exception& e) {
    return std::runtime_error(fmt::format("{}: amqp (vhost '{}'): {}", where, shown, e.what()));
  };
  for (const auto& d : set.declarations) {
    const auto& r = d.resource;
    if (r.protocol != Protocol::kAmqp || !in_this_vhost(r.vhost)) continue;
    try {
      switch (r.kind) {
        case Resource::Kind::kExchange: {
          amqp_codec::ExchangeDeclare method;
          method.exchange = r.name;
          method.type = r.type;
          method.durable = r.durable;
          method.auto_delete = r.auto_delete;
          method.internal = r.internal;
          method.arguments = amqp_codec::to_field_table(r.arguments);
          client.call<amqp_codec::ExchangeDeclareOk>(method);
          log << "amqp: declared exchange " << r.name << " in vhost " << shown << "\n";
          break;
        }
        case Resource::Kind::kQueue: {
          amqp_codec::QueueDeclare method;
          method.queue = r.name;
          method.durable = r.durable;
          method.auto_delete = r.auto_delete;
          method.arguments = amqp_codec::to_field_table(r.arguments);
          client.call<amqp_codec::QueueDeclareOk>(method);
          log << "amqp: declared queue " << r.name << " in vhost " << shown << "\n";
          break;
        }
        case Resource::Kind::kBinding: {
          if (r.to_exchange) {
            amqp_codec::ExchangeBind method;
            method.destination = r.destination;
            method.source = r.name;
            method.routing_key = r.routing_key;
            method.arguments = amqp_codec::to_field_table(r.arguments);
            client.call<amqp_codec::ExchangeBindOk>(method);
          } else {
            amqp_codec::QueueBind method;
            method.queue = r.destination;
            method.exchange = r.name;
            method.routing_key = r.routing_key;
            method.arguments = amqp_codec::to_field_table(r.arguments);
            client.call<amqp_codec::QueueBindOk>(method);
          }
          log << "amqp: bound " << r.destination << " to " << r.name << " ('" << r.routing_key
              << "') in vhost " << shown << "\n";
          break;
        }
        default:
          break;
      }
    } catch (const std::exception& e) {
      throw failed(place(d), e);
    }
  }
  // Seeds, with publisher confirms: each is routed and stored before the next step.
  bool confirming = false;
  uint64_t next_tag = 1;
  std::set<uint64_t> unconfirmed;
  for (const auto& f : set.fixtures) {
    if (f.protocol != Protocol::kAmqp || f.seed_count == 0 || !in_this_vhost(f.vhost)) continue;
    try {
      if (!confirming) {
        client.call<amqp_codec::ConfirmSelectOk>(amqp_codec::ConfirmSelect{});
        confirming = true;
      }
      const auto messages = seeds(f, seed);
      for (const auto& message : messages) {
        amqp_codec::BasicPublish publish;
        publish.exchange = message.destination;
        publish.routing_key = message.routing_key;
        client.publish(publish, amqp_codec::to_basic_properties(message), message.payload);
        unconfirmed.insert(next_tag++);
      }
      const auto deadline = std::chrono::steady_clock::now() + targets.timeout;
      while (!unconfirmed.empty()) {
        auto command = client.next_command(deadline);
        if (!command) throw std::runtime_error("publisher confirms did not come in time");
        if (const auto* nack = std::get_if<amqp_codec::BasicNack>(&command->method)) {
          throw std::runtime_error(fmt::format("the broker nacked message {}", nack->delivery_tag));
        }
        if (const auto* ack = std::get_if<amqp_codec::BasicAck>(&command->method)) {
          if (ack->multiple) {
            unconfirmed.erase(unconfirmed.begin(), unconfirmed.upper_bound(ack->delivery_tag));
          } else {
            unconfirmed.erase(ack->delivery_tag);
          }
        }
      }
      std::vector<std::string> exchanges;
      for (const auto& m : messages) {
        auto quoted = "'" + m.destination + "'";
        if (std::find(exchanges.begin(), exchanges.end(), quoted) == exchanges.end())
          exchanges.push_back(std::move(quoted));
      }
      log << "amqp: published " << messages.size() << " message(s) of " << f.identifier
          << " to exchange " << fmt::format("{}", fmt::join(exchanges, ", ")) << " in vhost "
          << shown << "\n";
    } catch (const std::exception& e) {
      throw failed(place(f), e);
    }
  }
  client.close();
}

void apply_amqp(const LoadedFixtures& set, const Targets& targets, uint64_t seed,
                std::ostream& log) {
  std::vector<std::string> vhosts;
  auto add = [&](const std::string& vhost) {
    if (std::find(vhosts.begin(), vhosts.end(), vhost) == vhosts.end()) vhosts.push_back(vhost);
  };
  for (const auto& d : set.declarations) {
    if (d.resource.protocol != Protocol::kAmqp) continue;
    add(d.resource.kind == Resource::Kind::kVhost ? d.resource.name : d.resource.vhost);
  }
  for (const auto& f : set.fixtures) {
    if (f.protocol == Protocol::kAmqp && f.seed_count > 0) add(f.vhost);
  }
  for (const auto& vhost : vhosts) apply_amqp_vhost(set, targets, vhost, seed, log);
}

// ---- MQTT -----------------------------------------------------------------------------------

namespace mqtt_codec = ::mockforge::mqtt;

void apply_mqtt(const LoadedFixtures& set, const Targets& targets, uint64_t seed,
                std::ostream& log) {
  auto client = mqtt::Client::connect(mqtt_options(targets));
  for (const auto& f : set.fixtures) {
    if (f.protocol != Protocol::kMqtt || f.seed_count == 0) continue;
    const auto messages = seeds(f, seed);
    for (const auto& message : messages) {
      const auto code = client.publish(mqtt_publish(message));
      if (mqtt_codec::is_error(code)) {
        throw std::runtime_error(fmt::format("{}: mqtt: publishing to {} was refused: {}", place(f),
                                             message.destination, mqtt::describe(code)));
      }
    }
    log << "mqtt: published " << messages.size() << " retained message(s) of " << f.identifier
        << "\n";
  }
  client.disconnect();
}

}  // namespace

std::vector<FixtureError> refusals(const LoadedFixtures& set, const Targets& targets) {
  std::vector<FixtureError> out;
  auto refuse = [&](const Declaration& d, std::string message) {
    out.push_back({d.file, d.line, d.column, d.field, std::move(message)});
  };
  for (const auto& d : set.declarations) {
    switch (d.resource.kind) {
      case Resource::Kind::kSession:
        refuse(d,
               "a real broker's persistent session is made by its own client connecting with "
               "clean start 0; apply cannot create it (mockforge serve can)");
        break;
      case Resource::Kind::kUser:
        refuse(d, d.resource.protocol == Protocol::kKafka
                      ? "Kafka users are made on the broker (kafka-configs.sh --alter "
                        "--add-config SCRAM-SHA-256=..., or its JAAS file); apply cannot create "
                        "them (mockforge serve can)"
                      : "AMQP has no method to create users: make them on the broker (rabbitmqctl "
                        "add_user, set_user_tags, or a definitions file); mockforge serve can");
        break;
      case Resource::Kind::kAcl:
        refuse(d,
               "apply does not create Kafka ACLs: add them on the broker (kafka-acls.sh --add, "
               "or the Admin API's createAcls); mockforge serve can");
        break;
      case Resource::Kind::kPermission:
        refuse(d,
               "AMQP has no method to set permissions: set them on the broker (rabbitmqctl "
               "set_permissions); mockforge serve can");
        break;
      default:
        break;
    }
  }
  const std::pair<Protocol, const std::string*> needed[] = {
      {Protocol::kKafka, &targets.kafka_bootstrap},
      {Protocol::kAmqp, &targets.amqp_url},
      {Protocol::kMqtt, &targets.mqtt_url}};
  for (const auto& [protocol, target] : needed) {
    if (!target->empty() || !uses(set, protocol)) continue;
    const char* option = protocol == Protocol::kKafka  ? "--kafka-bootstrap"
                         : protocol == Protocol::kAmqp ? "--amqp-url"
                                                       : "--mqtt-url";
    out.push_back({"fixtures apply", 0, 0, std::string(traffic::to_string(protocol)),
                   fmt::format("the files seed {} but no {} was given",
                               traffic::to_string(protocol), option)});
  }
  return out;
}

std::vector<std::string> not_applied(const LoadedFixtures& set) {
  std::vector<std::string> out;
  for (const auto& f : set.fixtures) {
    if (f.auto_produce.enabled) {
      out.push_back(fmt::format("{}.auto_produce: a schedule, not data: not applied", place(f)));
    }
  }
  for (const auto& r : set.responders) {
    out.push_back(fmt::format("{}: a responder, not data: not applied",
                              place(r.file, r.line, r.column, r.identifier)));
  }
  return out;
}

void apply(const LoadedFixtures& set, const Targets& targets, std::ostream& log) {
  const uint64_t seed = base_seed(targets.random_seed);
  if (!targets.kafka_bootstrap.empty() && uses(set, Protocol::kKafka))
    apply_kafka(set, targets, seed, log);
  if (!targets.amqp_url.empty() && uses(set, Protocol::kAmqp)) apply_amqp(set, targets, seed, log);
  if (!targets.mqtt_url.empty() && uses(set, Protocol::kMqtt)) apply_mqtt(set, targets, seed, log);
}

// ---- Shared with cli/scenario (wire.h) ------------------------------------------------------

mqtt::ConnectOptions mqtt_options(const Targets& targets) {
  mqtt::ConnectOptions options;
  std::string_view rest = targets.mqtt_url;
  for (std::string_view scheme : {"mqtt://", "tcp://"}) {
    if (rest.starts_with(scheme)) rest.remove_prefix(scheme.size());
  }
  if (rest.find("://") != std::string_view::npos) {
    throw std::runtime_error("--mqtt-url: expected mqtt://[user[:password]@]host[:port], got '" +
                             targets.mqtt_url + "'");
  }
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    const auto credentials = rest.substr(0, at);
    const auto colon = credentials.find(':');
    options.username = std::string(credentials.substr(0, colon));
    if (colon != std::string_view::npos)
      options.password = std::string(credentials.substr(colon + 1));
    rest.remove_prefix(at + 1);
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  // host, host:port, [v6] or [v6]:port.
  std::string_view host = rest;
  std::string_view port;
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) throw std::runtime_error("--mqtt-url: unclosed [");
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size() && rest[close + 1] == ':') port = rest.substr(close + 2);
  } else if (const auto colon = rest.find(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (!port.empty()) {
    int number = 0;
    const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (error != std::errc() || end != port.data() + port.size() || number < 1 || number > 65535)
      throw std::runtime_error("--mqtt-url: bad port in '" + targets.mqtt_url + "'");
    options.port = static_cast<uint16_t>(number);
  }
  if (host.empty()) throw std::runtime_error("--mqtt-url: no host in '" + targets.mqtt_url + "'");
  options.host = std::string(host);
  options.version = mqtt_codec::ProtocolVersion::v5;
  options.client_id = "mockforge-fixtures-apply";
  options.timeout = targets.timeout;
  return options;
}

mqtt_codec::Publish mqtt_publish(const traffic::Message& message) {
  mqtt_codec::Publish publish;
  publish.topic_name = message.destination;
  publish.qos = static_cast<mqtt_codec::QoS>(message.qos);
  publish.retain = message.retain;
  publish.payload.assign(message.payload.begin(), message.payload.end());
  publish.properties = mqtt_codec::to_publish_properties(message, mqtt_codec::Expiry::kInclude);
  return publish;
}

}  // namespace mockforge::cli::apply
