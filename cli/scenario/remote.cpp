#include "cli/scenario/remote.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>

#include "brokers/amqp/codec/neutral_message.h"
#include "brokers/kafka/codec/murmur2.h"
#include "brokers/kafka/codec/neutral_message.h"
#include "brokers/kafka/codec/record_batch.h"
#include "brokers/mqtt/codec/neutral_message.h"
#include "cli/amqp/client.h"
#include "cli/apply/wire.h"
#include "cli/kafka/client.h"
#include "cli/kafka/group_member.h"
#include "cli/mqtt/client.h"
#include "cli/net/tcp.h"
#include "mockforge/kafka/create_topics.h"
#include "mockforge/kafka/fetch.h"
#include "mockforge/kafka/list_offsets.h"
#include "mockforge/kafka/produce.h"

namespace mockforge::cli::scenario {
namespace {

namespace k = ::mockforge::kafka;
namespace amqp_codec = ::mockforge::amqp;
namespace mqtt_codec = ::mockforge::mqtt;
using Clock = std::chrono::steady_clock;
using traffic::Protocol;

// How long a listener waits for traffic before it checks whether to stop.
constexpr std::chrono::milliseconds kPoll{200};

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string refuse_declare(const traffic::Resource& resource) {
  return fmt::format(
      "scenario run declares no {} {} on a real broker: `fixtures apply` did that before the run",
      traffic::to_string(resource.protocol), traffic::to_string(resource.kind));
}

bool legal_topic(const std::string& name) {
  if (name.empty() || name.size() > 249 || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

// ---- Kafka ----------------------------------------------------------------------------------

k::Bytes to_bytes(const std::string& text) { return k::Bytes(text.begin(), text.end()); }

struct TopicLayout {
  int32_t partitions = 0;
  std::map<int32_t, int32_t> leaders;
};

TopicLayout layout(kafka::Cluster& cluster, const std::string& topic) {
  const auto metadata = cluster.topic_metadata(topic, true);
  TopicLayout out;
  out.partitions = static_cast<int32_t>(metadata.partitions.size());
  for (const auto& p : metadata.partitions) out.leaders[p.partition_index] = p.leader_id;
  return out;
}

class KafkaEndpoint : public traffic::Endpoint {
 public:
  KafkaEndpoint(const apply::Targets& targets, std::string run_id)
      : targets_(targets), run_id_(std::move(run_id)) {}

  traffic::PublishResult publish(std::span<const traffic::Message> messages) override {
    std::lock_guard lock(mutex_);
    traffic::PublishResult result;
    for (int attempt = 0;; ++attempt) {
      try {
        produce_all(messages.subspan(result.accepted), result);
        return result;
      } catch (const std::exception& e) {
        cluster_.reset();  // a fresh connection next time
        topics_.clear();
        // A connection the broker closed (idle too long): once more on a new one.
        if (attempt == 0 && dynamic_cast<const net::NetError*>(&e) != nullptr) continue;
        result.error = e.what();
        return result;
      }
    }
  }

  std::string declare(const traffic::Resource& resource) override {
    if (auto error = check(resource); !error.empty()) return error;
    std::lock_guard lock(mutex_);
    try {
      auto& cluster = connected();
      const auto metadata = cluster.metadata(std::vector<std::string>{resource.name}, false);
      for (const auto& topic : metadata.topics) {
        if (topic.name == resource.name && topic.error_code == 0) return {};
      }
      create(cluster, resource, metadata.controller_id);
      return {};
    } catch (const std::exception& e) {
      cluster_.reset();
      return e.what();
    }
  }

  std::string check(const traffic::Resource& resource) override {
    if (resource.kind != traffic::Resource::Kind::kTopic) return refuse_declare(resource);
    if (!legal_topic(resource.name))
      return fmt::format("'{}' is not a legal Kafka topic name", resource.name);
    return {};
  }

 private:
  // Produces in order, counting what the brokers took in `result`. Throws.
  void produce_all(std::span<const traffic::Message> messages, traffic::PublishResult& result) {
    auto& cluster = connected();
    std::vector<int32_t> partitions;
    for (const auto& message : messages)
      partitions.push_back(partition_of(message, topic(cluster, message.destination)));
    std::size_t begin = 0;
    while (begin < messages.size()) {
      // One Produce per run of messages for the same partition, in order.
      const auto& name = messages[begin].destination;
      std::size_t end = begin;
      std::vector<k::NewRecord> records;
      while (end < messages.size() && messages[end].destination == name &&
             partitions[end] == partitions[begin]) {
        records.push_back(record(marked(messages[end], run_id_)));
        ++end;
      }
      produce(cluster, name, partitions[begin], topic(cluster, name).leaders.at(partitions[begin]),
              records);
      result.accepted += end - begin;
      begin = end;
    }
  }

  kafka::Cluster& connected() {
    if (!cluster_) {
      cluster_ = std::make_unique<kafka::Cluster>(
          kafka::parse_bootstrap(targets_.kafka_bootstrap),
          kafka::ClientOptions{"mockforge-scenario", targets_.timeout, {}, {}});
    }
    return *cluster_;
  }

  const TopicLayout& topic(kafka::Cluster& cluster, const std::string& name) {
    auto it = topics_.find(name);
    if (it == topics_.end()) it = topics_.emplace(name, layout(cluster, name)).first;
    return it->second;
  }

  // As mockforge's broker places messages: fixed, murmur2 of the key, the
  // generator's round robin, or a round robin of this endpoint's own.
  int32_t partition_of(const traffic::Message& message, const TopicLayout& topic) {
    if (message.partition) {
      if (*message.partition < 0 || *message.partition >= topic.partitions) {
        throw std::runtime_error(fmt::format("topic {} has {} partition(s), no partition {}",
                                             message.destination, topic.partitions,
                                             *message.partition));
      }
      return *message.partition;
    }
    if (message.key) return k::murmur2_partition(to_bytes(*message.key), topic.partitions);
    if (message.round_robin_index)
      return static_cast<int32_t>(*message.round_robin_index %
                                  static_cast<uint64_t>(topic.partitions));
    return static_cast<int32_t>(round_robin_++ % static_cast<uint64_t>(topic.partitions));
  }

  static k::NewRecord record(const traffic::Message& message) {
    return k::to_new_record(message, now_ms());
  }

  void produce(kafka::Cluster& cluster, const std::string& topic, int32_t partition, int32_t leader,
               const std::vector<k::NewRecord>& records) {
    k::ProduceRequest request;
    request.acks = -1;
    request.timeout_ms = static_cast<int32_t>(targets_.timeout.count());
    auto& data = request.topic_data.emplace_back();
    data.name = topic;
    auto& partition_data = data.partition_data.emplace_back();
    partition_data.index = partition;
    partition_data.records = k::build_record_batch(records);
    auto& broker = cluster.broker(leader);
    const auto response =
        broker.call<k::ProduceResponse>(request, broker.version_for<k::ProduceRequest>());
    for (const auto& t : response.responses) {
      for (const auto& p : t.partition_responses) {
        std::string what = fmt::format("kafka: produce to {}-{}", t.name, p.index);
        if (p.error_code != 0 && p.error_message && !p.error_message->empty())
          what += " (" + *p.error_message + ")";
        kafka::check_error(p.error_code, what);
      }
    }
  }

  // CreateTopics on the controller; a cluster without it (librdkafka's mock
  // cluster) creates the topic on Metadata.
  void create(kafka::Cluster& cluster, const traffic::Resource& resource, int32_t controller_id) {
    const auto ids = cluster.broker_ids();
    kafka::BrokerConnection& controller =
        std::find(ids.begin(), ids.end(), controller_id) != ids.end()
            ? cluster.broker(controller_id)
            : cluster.any();
    if (!controller.supports(k::CreateTopicsRequest::kApiKey)) {
      cluster.topic_metadata(resource.name, true);
      return;
    }
    const int16_t version = controller.version_for<k::CreateTopicsRequest>(7);
    k::CreateTopicsRequest request;
    request.timeout_ms = static_cast<int32_t>(targets_.timeout.count());
    auto& created = request.topics.emplace_back();
    created.name = resource.name;
    created.num_partitions = resource.partitions > 0 ? resource.partitions : -1;
    created.replication_factor = -1;
    if (version < 4) {
      if (resource.partitions == 0) created.num_partitions = 1;
      created.replication_factor = 1;
    }
    for (const auto& config : resource.arguments)
      created.configs.push_back({config.name, traffic::header_text(config.value)});
    const auto response = controller.call<k::CreateTopicsResponse>(request, version);
    for (const auto& result : response.topics) {
      if (result.error_code == 36) continue;  // TOPIC_ALREADY_EXISTS: made meanwhile
      std::string what = fmt::format("kafka: CreateTopics {}", result.name);
      if (result.error_code != 0 && result.error_message && !result.error_message->empty())
        what += " (" + *result.error_message + ")";
      kafka::check_error(result.error_code, what);
    }
  }

  apply::Targets targets_;
  std::string run_id_;
  std::mutex mutex_;
  std::unique_ptr<kafka::Cluster> cluster_;
  std::map<std::string, TopicLayout> topics_;
  uint64_t round_robin_ = 0;
};

// The listeners' common part: a thread that runs `step` until stopped or it throws.
class ThreadListener : public Listener {
 public:
  std::string failure() const override {
    std::lock_guard lock(mutex_);
    return failure_;
  }
  std::string describe() const override { return description_; }
  std::vector<std::string> news() override {
    std::lock_guard lock(mutex_);
    return std::exchange(news_, {});
  }

 protected:
  void start(std::string description) {
    description_ = std::move(description);
    thread_ = std::thread([this] {
      try {
        while (!stopping_.load()) step();
      } catch (const std::exception& e) {
        std::lock_guard lock(mutex_);
        failure_ = fmt::format("{}: {}", description_, e.what());
      }
      stopped();
    });
  }
  // Call first in the derived destructor.
  void join() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
  }
  void report(std::string line) {
    std::lock_guard lock(mutex_);
    news_.push_back(std::move(line));
  }
  virtual void step() = 0;
  virtual void stopped() {}

 private:
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::string failure_;
  std::vector<std::string> news_;
  std::string description_;
  std::thread thread_;
};

class KafkaListener : public ThreadListener {
 public:
  KafkaListener(const apply::Targets& targets, const std::vector<std::string>& topics,
                traffic::Hub& hub, std::string run_id, const std::string& group)
      : cluster_(kafka::parse_bootstrap(targets.kafka_bootstrap),
                 kafka::ClientOptions{"mockforge-scenario-listener", targets.timeout, {}, {}}),
        hub_(hub),
        run_id_(std::move(run_id)) {
    if (group.empty()) {
      for (const auto& name : topics) {
        const auto topic = layout(cluster_, name);
        std::vector<int32_t> partitions;
        for (const auto& [partition, leader] : topic.leaders) partitions.push_back(partition);
        from_end(name, topic, partitions);
      }
      start(fmt::format("kafka topics {}", fmt::join(topics, ", ")));
      return;
    }
    // Joined before the factory returns, so nothing produced later is missed.
    member_.emplace(cluster_, group, topics);
    assign();
    start(fmt::format("kafka topics {} in consumer group {}", fmt::join(topics, ", "), group));
  }
  ~KafkaListener() override { join(); }

 private:
  // Positions of `partitions` of `name` at their ends (ListOffsets -1 on each leader).
  void from_end(const std::string& name, const TopicLayout& topic,
                const std::vector<int32_t>& partitions) {
    std::map<int32_t, std::vector<int32_t>> by_leader;
    for (const int32_t p : partitions) by_leader[topic.leaders.at(p)].push_back(p);
    for (const auto& [leader, list] : by_leader) {
      auto& broker = cluster_.broker(leader);
      const int16_t version = broker.version_for<k::ListOffsetsRequest>(3);
      if (version == 0) throw kafka::KafkaError("the broker only supports ListOffsets v0");
      k::ListOffsetsRequest request;
      request.replica_id = -1;
      auto& t = request.topics.emplace_back();
      t.name = name;
      for (const int32_t p : list) {
        k::ListOffsetsRequest::ListOffsetsPartition partition;
        partition.partition_index = p;
        partition.timestamp = -1;  // the end
        t.partitions.push_back(partition);
      }
      const auto response = broker.call<k::ListOffsetsResponse>(request, version);
      for (const auto& rt : response.topics) {
        for (const auto& p : rt.partitions) {
          kafka::check_error(p.error_code,
                             fmt::format("kafka: ListOffsets {}-{}", rt.name, p.partition_index));
          positions_[leader][name][p.partition_index] = p.offset;
        }
      }
    }
  }

  // With a group: joins (again), and reads from each assigned partition's
  // committed offset, else from its end; a position this process reached
  // past the committed one (a commit refused in a rebalance) wins and is
  // committed.
  void assign() {
    positions_.clear();
    const auto assignment = member_->join();
    auto committed = member_->committed(assignment);
    std::vector<std::string> parts;
    bool ahead = false;
    for (const auto& [name, partitions] : assignment) {
      const auto topic = layout(cluster_, name);
      std::vector<int32_t> missing;
      for (const int32_t p : partitions) {
        if (!topic.leaders.contains(p)) continue;
        int64_t offset = committed[name].contains(p) ? committed[name][p] : -1;
        if (const auto it = reached_.find({name, p}); it != reached_.end() && it->second > offset) {
          offset = it->second;
          ahead = true;
        }
        if (offset < 0)
          missing.push_back(p);
        else
          positions_[topic.leaders.at(p)][name][p] = offset;
        parts.push_back(fmt::format("{}-{}", name, p));
      }
      if (!missing.empty()) from_end(name, topic, missing);
    }
    if (ahead) member_->commit(flat());
    report(fmt::format("kafka consumer group {} (generation {}): assigned {}", member_->group(),
                       member_->generation(),
                       parts.empty() ? "nothing" : fmt::to_string(fmt::join(parts, ", "))));
    rebalance_ = false;
  }

  kafka::TopicOffsets flat() const {
    kafka::TopicOffsets out;
    for (const auto& [leader, topics] : positions_) {
      for (const auto& [name, partitions] : topics) {
        for (const auto& [p, offset] : partitions) out[name][p] = offset;
      }
    }
    return out;
  }

  void step() override {
    if (member_ && rebalance_) assign();
    if (positions_.empty()) {
      std::this_thread::sleep_for(kPoll);
      if (member_ && !member_->heartbeat_if_due()) rebalance_ = true;
      return;
    }
    uint64_t passed = 0;
    for (auto& [leader, topics] : positions_) {
      auto& broker = cluster_.broker(leader);
      const int16_t version = broker.version_for<k::FetchRequest>(12);
      k::FetchRequest request;
      request.replica_id = -1;
      request.max_wait_ms = static_cast<int32_t>(kPoll.count());
      request.min_bytes = 1;
      request.max_bytes = 16 << 20;
      for (const auto& [name, partitions] : topics) {
        auto& t = request.topics.emplace_back();
        t.topic = name;
        for (const auto& [index, offset] : partitions) {
          k::FetchRequest::FetchPartition partition;
          partition.partition = index;
          partition.fetch_offset = offset;
          partition.partition_max_bytes = 4 << 20;
          t.partitions.push_back(partition);
        }
      }
      const auto response =
          broker.call<k::FetchResponse>(request, version, cluster_.options().timeout + kPoll);
      kafka::check_error(response.error_code, "kafka: Fetch");
      for (const auto& t : response.responses) {
        for (const auto& p : t.partitions) {
          kafka::check_error(p.error_code,
                             fmt::format("kafka: Fetch {}-{}", t.topic, p.partition_index));
          if (!p.records || p.records->empty()) continue;
          int64_t& position = topics[t.topic][p.partition_index];
          for (const auto& batch : k::split_record_batches(*p.records, true)) {
            if (batch.header.last_offset() < position) continue;
            if (!batch.header.is_control()) {
              for (const auto& record : k::decode_records(batch)) {
                const int64_t offset = batch.header.base_offset + record.offset_delta;
                if (offset < position) continue;
                pass_on(t.topic, p.partition_index, batch.header, record);
                ++passed;
              }
            }
            position = std::max(position, batch.header.last_offset() + 1);
          }
          if (member_) reached_[{t.topic, p.partition_index}] = position;
        }
      }
    }
    // The responders have the messages: commit past them.
    if (member_) {
      if (passed > 0 && !member_->commit(flat())) rebalance_ = true;
      if (!member_->heartbeat_if_due()) rebalance_ = true;
    }
  }

  void stopped() override {
    if (!member_) return;
    try {
      if (!rebalance_) member_->commit(flat());
      member_->leave();
    } catch (const std::exception&) {
      // Going away anyway: the session times out.
    }
  }

  void pass_on(const std::string& topic, int32_t partition, const k::RecordBatchHeader& header,
               const k::Record& record) {
    traffic::Message message = k::to_message(topic, partition, header, record);
    if (unmark(message, run_id_) && hub_.observed()) hub_.accepted(message);
  }

  kafka::Cluster cluster_;
  traffic::Hub& hub_;
  std::string run_id_;
  std::optional<kafka::GroupMember> member_;  // with --kafka-group
  bool rebalance_ = false;
  // leader -> topic -> partition -> next offset
  std::map<int32_t, std::map<std::string, std::map<int32_t, int64_t>>> positions_;
  // With a group: how far this process read, across rebalances.
  std::map<std::pair<std::string, int32_t>, int64_t> reached_;
};

// ---- AMQP -----------------------------------------------------------------------------------

amqp::Url amqp_url(const apply::Targets& targets, const std::string& vhost) {
  auto url = amqp::parse_url(targets.amqp_url);
  if (!vhost.empty()) url.vhost = vhost;
  return url;
}

class AmqpEndpoint : public traffic::Endpoint {
 public:
  AmqpEndpoint(const apply::Targets& targets, std::string run_id)
      : targets_(targets), run_id_(std::move(run_id)) {}

  traffic::PublishResult publish(std::span<const traffic::Message> messages) override {
    std::lock_guard lock(mutex_);
    traffic::PublishResult result;
    std::size_t begin = 0;
    while (begin < messages.size()) {
      // One confirmed run per vhost.
      const auto& vhost = messages[begin].vhost;
      std::size_t end = begin;
      while (end < messages.size() && messages[end].vhost == vhost) ++end;
      try {
        auto& client = channel(vhost);
        for (std::size_t i = begin; i < end; ++i) {
          const auto message = marked(messages[i], run_id_);
          amqp_codec::BasicPublish publish;
          publish.exchange = message.destination;
          publish.routing_key = message.routing_key;
          client.publish(publish, amqp_codec::to_basic_properties(message), message.payload);
        }
        // Publisher confirms, in order: count what was confirmed up to a nack.
        const uint64_t first_tag = next_tag_[vhost];
        next_tag_[vhost] += end - begin;
        uint64_t confirmed = first_tag - 1;
        const auto deadline = Clock::now() + targets_.timeout;
        while (confirmed < next_tag_[vhost] - 1) {
          auto command = client.next_command(deadline);
          if (!command) throw std::runtime_error("amqp: publisher confirms did not come in time");
          if (const auto* nack = std::get_if<amqp_codec::BasicNack>(&command->method)) {
            if (!nack->multiple) confirmed = std::max(confirmed, nack->delivery_tag - 1);
            result.accepted += confirmed >= first_tag ? confirmed - first_tag + 1 : 0;
            result.error = fmt::format("amqp: the broker nacked a message to exchange '{}'",
                                       messages[begin].destination);
            clients_.erase(vhost);  // the later confirms are not worth waiting for
            return result;
          }
          if (const auto* ack = std::get_if<amqp_codec::BasicAck>(&command->method)) {
            confirmed = std::max(confirmed, ack->delivery_tag);
          }
        }
        result.accepted += end - begin;
      } catch (const std::exception& e) {
        result.error = e.what();
        clients_.erase(vhost);
        return result;
      }
      begin = end;
    }
    return result;
  }

  std::string declare(const traffic::Resource& resource) override {
    return refuse_declare(resource);
  }
  std::string check(const traffic::Resource& resource) override { return refuse_declare(resource); }

 private:
  amqp::Client& channel(const std::string& vhost) {
    auto it = clients_.find(vhost);
    if (it == clients_.end()) {
      auto client = amqp::Client::connect(amqp_url(targets_, vhost), targets_.timeout);
      client.call<amqp_codec::ConfirmSelectOk>(amqp_codec::ConfirmSelect{});
      next_tag_[vhost] = 1;
      it = clients_.emplace(vhost, std::move(client)).first;
    }
    return it->second;
  }

  apply::Targets targets_;
  std::string run_id_;
  std::mutex mutex_;
  std::map<std::string, amqp::Client> clients_;  // by vhost ("" the URL's)
  std::map<std::string, uint64_t> next_tag_;
};

class AmqpListener : public ThreadListener {
 public:
  AmqpListener(const apply::Targets& targets, const std::string& vhost,
               const std::vector<AmqpBinding>& bindings, const std::vector<std::string>& queues,
               traffic::Hub& hub, std::string run_id)
      : client_(amqp::Client::connect(amqp_url(targets, vhost), targets.timeout)),
        vhost_(vhost),
        hub_(hub),
        run_id_(std::move(run_id)) {
    std::vector<std::string> parts;
    if (!bindings.empty()) {
      amqp_codec::QueueDeclare declare;
      declare.exclusive = true;
      declare.auto_delete = true;
      const auto own = client_.call<amqp_codec::QueueDeclareOk>(declare).queue;
      for (const auto& binding : bindings) {
        amqp_codec::QueueBind bind;
        bind.queue = own;
        bind.exchange = binding.exchange;
        bind.routing_key = binding.binding_key;
        try {
          client_.call<amqp_codec::QueueBindOk>(bind);
        } catch (const amqp::AmqpError& e) {
          throw std::runtime_error(fmt::format("amqp: binding to exchange '{}' ('{}'): {}",
                                               binding.exchange, binding.binding_key, e.what()));
        }
        parts.push_back(fmt::format("exchange '{}' ('{}')", binding.exchange, binding.binding_key));
      }
      consume(own);
    }
    for (const auto& queue : queues) {
      amqp_codec::QueueDeclare exists;
      exists.queue = queue;
      exists.passive = true;
      try {
        client_.call<amqp_codec::QueueDeclareOk>(exists);
      } catch (const amqp::AmqpError& e) {
        throw std::runtime_error(fmt::format(
            "amqp: queue '{}' (the default exchange routes to it by name): {}", queue, e.what()));
      }
      consume(queue);
      parts.push_back(fmt::format("queue '{}'", queue));
    }
    start(fmt::format("amqp {}{}", fmt::join(parts, ", "),
                      vhost.empty() ? std::string() : fmt::format(" in vhost {}", vhost)));
  }
  ~AmqpListener() override { join(); }

 private:
  void consume(const std::string& queue) {
    amqp_codec::BasicConsume consume;
    consume.queue = queue;
    consume.no_ack = true;
    client_.call<amqp_codec::BasicConsumeOk>(consume);
  }

  void step() override {
    auto command = client_.next_command(Clock::now() + kPoll);
    if (!command) return;
    const auto* deliver = std::get_if<amqp_codec::BasicDeliver>(&command->method);
    if (deliver == nullptr) return;
    traffic::Message message;
    message.protocol = Protocol::kAmqp;
    message.destination = deliver->exchange;
    message.routing_key = deliver->routing_key;
    message.vhost = vhost_;
    message.payload = command->body;
    message.timestamp_ms = now_ms();
    if (command->header) {
      amqp_codec::read_basic_properties(command->header->properties, message);
    }
    if (unmark(message, run_id_) && hub_.observed()) hub_.accepted(message);
  }

  amqp::Client client_;
  std::string vhost_;  // "" the URL's
  traffic::Hub& hub_;
  std::string run_id_;
};

// ---- MQTT -----------------------------------------------------------------------------------

class MqttEndpoint : public traffic::Endpoint {
 public:
  MqttEndpoint(const apply::Targets& targets, const std::string& run_id)
      : options_(apply::mqtt_options(targets)), run_id_(run_id) {
    options_.client_id = "mockforge-scenario-" + run_id + "-out";
    // It only publishes, and reads only acknowledgements, so it sets no
    // keep-alive the broker could hold it to between replies.
    options_.keep_alive = 0;
  }

  traffic::PublishResult publish(std::span<const traffic::Message> messages) override {
    std::lock_guard lock(mutex_);
    traffic::PublishResult result;
    for (const auto& message : messages) {
      try {
        const auto publish = apply::mqtt_publish(marked(message, run_id_));
        mqtt_codec::ReasonCode code;
        try {
          if (!client_) client_.emplace(mqtt::Client::connect(options_));
          code = client_->publish(publish);
        } catch (const net::NetError&) {
          // A connection the broker closed: once more on a new one.
          client_.reset();
          client_.emplace(mqtt::Client::connect(options_));
          code = client_->publish(publish);
        }
        if (mqtt_codec::is_error(code)) {
          result.error = fmt::format("mqtt: publishing to {} was refused: {}", message.destination,
                                     mqtt::describe(code));
          return result;
        }
      } catch (const std::exception& e) {
        client_.reset();
        result.error = e.what();
        return result;
      }
      ++result.accepted;
    }
    return result;
  }

  std::string declare(const traffic::Resource& resource) override {
    return refuse_declare(resource);
  }
  std::string check(const traffic::Resource& resource) override { return refuse_declare(resource); }

 private:
  mqtt::ConnectOptions options_;
  std::string run_id_;
  std::mutex mutex_;
  std::optional<mqtt::Client> client_;
};

std::vector<std::string_view> levels(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const auto end = text.find('/', start);
    out.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

// MQTT topic filter matching (+ one level, # the rest and the parent).
bool filter_matches(std::string_view filter, std::string_view topic) {
  if (topic.starts_with('$') && !filter.starts_with('$')) return false;
  const auto want = levels(filter);
  const auto have = levels(topic);
  std::size_t i = 0;
  for (; i < want.size(); ++i) {
    if (want[i] == "#") return true;
    if (i >= have.size()) return false;
    if (want[i] != "+" && want[i] != have[i]) return false;
  }
  return i == have.size();
}

class MqttListener : public ThreadListener {
 public:
  MqttListener(const apply::Targets& targets, const std::vector<std::string>& filters,
               traffic::Hub& hub, std::string run_id)
      : filters_(filters), hub_(hub), run_id_(std::move(run_id)) {
    auto options = apply::mqtt_options(targets);
    options.client_id = "mockforge-scenario-" + run_id_ + "-in";
    client_.emplace(mqtt::Client::connect(options));
    const auto available = client_->connack().properties.integer(
        mqtt_codec::PropertyId::subscription_identifier_available);
    if (available && *available == 0 && filters_.size() > 1) {
      throw std::runtime_error(
          "mqtt: the broker has no subscription identifiers, which scenario run needs to pass "
          "on a message that matches several responders' topics once");
    }
    for (std::size_t i = 0; i < filters_.size(); ++i) {
      mqtt_codec::Subscription subscription;
      subscription.topic_filter = filters_[i];
      subscription.options.max_qos = mqtt_codec::QoS::exactly_once;
      subscription.options.retain_as_published = true;
      subscription.options.retain_handling = mqtt_codec::RetainHandling::do_not_send;
      mqtt_codec::Properties properties;
      properties.set(mqtt_codec::PropertyId::subscription_identifier, static_cast<uint32_t>(i + 1));
      const auto codes = client_->subscribe({subscription}, properties);
      if (codes.empty() || mqtt_codec::is_error(codes.front())) {
        throw std::runtime_error(fmt::format(
            "mqtt: subscribing to {} was refused: {}", filters_[i],
            codes.empty() ? std::string("no reason code") : mqtt::describe(codes.front())));
      }
    }
    start(fmt::format("mqtt topics {}", fmt::join(filters_, ", ")));
  }
  ~MqttListener() override { join(); }

 private:
  void step() override {
    auto publish = client_->next_message(Clock::now() + kPoll);
    if (!publish) return;
    // A message matching several filters may come once per subscription:
    // pass on the copy for the first filter it matches.
    const auto ids = publish->properties.subscription_identifiers();
    if (!ids.empty()) {
      uint32_t first = 0;
      for (std::size_t i = 0; i < filters_.size() && first == 0; ++i) {
        if (filter_matches(filters_[i], publish->topic_name)) first = static_cast<uint32_t>(i + 1);
      }
      if (first != 0 && std::find(ids.begin(), ids.end(), first) == ids.end()) return;
    }
    traffic::Message message;
    message.protocol = Protocol::kMqtt;
    message.destination = publish->topic_name;
    message.payload.assign(publish->payload.begin(), publish->payload.end());
    message.qos = static_cast<uint8_t>(publish->qos);
    message.retain = publish->retain;
    message.timestamp_ms = now_ms();
    mqtt_codec::read_publish_properties(publish->properties, message);
    if (unmark(message, run_id_) && hub_.observed()) hub_.accepted(message);
  }

  void stopped() override {
    try {
      client_->disconnect();
    } catch (const std::exception&) {
      // Going away anyway.
    }
  }

  std::vector<std::string> filters_;
  traffic::Hub& hub_;
  std::string run_id_;
  std::optional<mqtt::Client> client_;
};

}  // namespace

traffic::Message marked(const traffic::Message& message, const std::string& run_id) {
  traffic::Message out = message;
  out.headers.push_back({std::string(kSenderHeader), message.client_id});
  out.headers.push_back({std::string(kRunHeader), run_id});
  return out;
}

bool unmark(traffic::Message& message, const std::string& run_id) {
  std::optional<std::string> sender;
  std::optional<std::string> run;
  std::erase_if(message.headers, [&](const traffic::Header& header) {
    if (header.name == kSenderHeader) {
      sender = traffic::header_text(header.value);
      return true;
    }
    if (header.name == kRunHeader) {
      run = traffic::header_text(header.value);
      return true;
    }
    return false;
  });
  if (run && *run == run_id) return false;
  if (sender) message.client_id = *sender;
  return true;
}

std::shared_ptr<traffic::Endpoint> kafka_endpoint(const apply::Targets& targets,
                                                  const std::string& run_id) {
  return std::make_shared<KafkaEndpoint>(targets, run_id);
}

std::shared_ptr<traffic::Endpoint> amqp_endpoint(const apply::Targets& targets,
                                                 const std::string& run_id) {
  return std::make_shared<AmqpEndpoint>(targets, run_id);
}

std::shared_ptr<traffic::Endpoint> mqtt_endpoint(const apply::Targets& targets,
                                                 const std::string& run_id) {
  return std::make_shared<MqttEndpoint>(targets, run_id);
}

std::unique_ptr<Listener> listen_kafka(const apply::Targets& targets,
                                       const std::vector<std::string>& topics, traffic::Hub& hub,
                                       const std::string& run_id, const std::string& group) {
  return std::make_unique<KafkaListener>(targets, topics, hub, run_id, group);
}

std::unique_ptr<Listener> listen_amqp(const apply::Targets& targets, const std::string& vhost,
                                      const std::vector<AmqpBinding>& bindings,
                                      const std::vector<std::string>& queues, traffic::Hub& hub,
                                      const std::string& run_id) {
  return std::make_unique<AmqpListener>(targets, vhost, bindings, queues, hub, run_id);
}

std::unique_ptr<Listener> listen_mqtt(const apply::Targets& targets,
                                      const std::vector<std::string>& filters, traffic::Hub& hub,
                                      const std::string& run_id) {
  return std::make_unique<MqttListener>(targets, filters, hub, run_id);
}

}  // namespace mockforge::cli::scenario
