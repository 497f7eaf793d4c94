#include "server/testing/mockforge_test.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "brokers/kafka/codec/murmur2.h"
#include "brokers/kafka/codec/record_batch.h"
#include "core/storage/engine.h"
#include "core/traffic/hub.h"
#include "watch/expectations.h"

namespace mockforge::testing {

config::Config ephemeral_config() {
  config::Config config;
  config.server.bind = {"127.0.0.1", "::1"};
  config.server.worker_threads = 2;
  config.kafka.port = 0;
  config.mqtt.port = 0;
  config.mqtt.ws_port = 0;
  config.amqp.port = 0;
  config.admin.port = 0;
  config.log.level = config::LogLevel::warn;
  return config;
}

namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(2);

kafka::Bytes to_bytes(const std::string& text) { return kafka::Bytes(text.begin(), text.end()); }

std::string to_text(const kafka::Bytes& bytes) { return std::string(bytes.begin(), bytes.end()); }

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::shared_ptr<storage::Topic> find_or_create_topic(storage::Engine& storage,
                                                     const std::string& name, int32_t partitions) {
  auto& logs = storage.logs();
  if (auto topic = logs.find(name)) return topic;
  auto created = logs.create_topic(name, partitions);
  if (created.ok()) return created.value();
  if (created.code() == storage::ErrorCode::kTopicAlreadyExists) return logs.find(name);
  throw std::runtime_error(
      fmt::format("mockforge: cannot create topic {}: {}", name, created.error().message));
}

}  // namespace

uint16_t MockforgeSteps::port(const std::string& listener) const {
  const auto port = running_server().port(listener);
  if (!port) throw std::invalid_argument("mockforge has no listener named " + listener);
  return *port;
}

std::string MockforgeSteps::address(const std::string& listener) const {
  return fmt::format("127.0.0.1:{}", port(listener));
}

std::string MockforgeSteps::kafka_bootstrap() const { return address("kafka"); }

std::string MockforgeSteps::mqtt_url() const { return "tcp://" + address("mqtt"); }

std::string MockforgeSteps::amqp_url() const {
  return fmt::format("amqp://guest:guest@{}/", address("amqp"));
}

std::string MockforgeSteps::admin_url() const { return "http://" + address("admin"); }

int64_t MockforgeSteps::produce(const std::string& topic_name, const std::string& value,
                                std::optional<std::string> key, const KafkaHeaders& headers,
                                std::optional<int32_t> partition_index) {
  auto& server = running_server();
  auto topic =
      find_or_create_topic(server.storage(), topic_name, server.config().kafka.default_partitions);
  kafka::NewRecord record;
  record.timestamp_ms = now_ms();
  record.value = to_bytes(value);
  if (key) record.key = to_bytes(*key);
  for (const auto& [name, header_value] : headers) {
    record.headers.push_back({name, to_bytes(header_value)});
  }
  int32_t index = partition_index.value_or(0);
  if (!partition_index && record.key) {
    index = kafka::murmur2_partition(*record.key, topic->partition_count());
  }
  auto partition = topic->partition(index);
  if (!partition) {
    throw std::invalid_argument(
        fmt::format("mockforge: topic {} has no partition {}", topic_name, index));
  }
  auto batch = kafka::build_record_batch(std::span<const kafka::NewRecord>(&record, 1));
  auto appended = partition->append(std::span<const uint8_t>(batch), 1, record.timestamp_ms,
                                    [](std::span<uint8_t> bytes, int64_t base_offset) {
                                      kafka::set_base_offset(bytes, base_offset);
                                    });
  if (!appended.ok()) {
    throw std::runtime_error(
        fmt::format("mockforge: storing into {} failed: {}", topic_name, appended.error().message));
  }
  return appended.value();
}

std::vector<KafkaMessage> MockforgeSteps::consume(const std::string& topic, std::size_t count,
                                                  std::chrono::milliseconds timeout) {
  std::vector<KafkaMessage> out;
  wait_for_message(
      topic,
      [&](const KafkaMessage& message) {
        out.push_back(message);
        return out.size() >= count;
      },
      count == 0 ? std::chrono::milliseconds(0) : timeout);
  return out;
}

std::optional<KafkaMessage> MockforgeSteps::wait_for_message(const std::string& topic_name,
                                                             const KafkaMatcher& matches,
                                                             std::chrono::milliseconds timeout) {
  auto& storage = running_server().storage();
  auto& cursors = cursors_[topic_name];
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (auto topic = storage.logs().find(topic_name)) {
      for (int32_t index = 0; index < topic->partition_count(); ++index) {
        auto partition = topic->partition(index);
        if (!partition) continue;
        auto& next = cursors[index];
        next = std::max(next, partition->log_start_offset());
        while (next < partition->high_watermark()) {
          auto read = partition->read(next, 1 << 20);
          if (!read.ok() || read.value().batches.empty()) break;
          for (const auto& batch_ref : read.value().batches) {
            const auto bytes = batch_ref.bytes.span();
            const auto batch = kafka::parse_record_batch(bytes);
            const auto records = kafka::decode_records(batch);
            for (std::size_t i = 0; i < records.size(); ++i) {
              const auto& record = records[i];
              const int64_t offset = batch.header.base_offset + record.offset_delta;
              if (offset < next) continue;
              next = offset + 1;
              if (batch.header.is_control()) continue;
              KafkaMessage message;
              message.topic = topic_name;
              message.partition = index;
              message.offset = offset;
              message.timestamp_ms = batch.header.base_timestamp + record.timestamp_delta;
              if (record.key) message.key = to_text(*record.key);
              if (record.value) message.value = to_text(*record.value);
              for (const auto& header : record.headers) {
                message.headers.emplace_back(header.key,
                                             header.value ? to_text(*header.value) : std::string());
              }
              if (matches(message)) return message;
            }
            next = std::max(next, batch_ref.next_offset());
          }
        }
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(kPollInterval);
  }
}

void MockforgeSteps::publish_mqtt(const std::string& topic, const std::string& payload, int qos,
                                  bool retain) {
  traffic::Message message;
  message.protocol = traffic::Protocol::kMqtt;
  message.destination = topic;
  message.payload = payload;
  message.qos = static_cast<uint8_t>(qos);
  message.retain = retain;
  message.client_id = "mockforge:test";
  const auto result = running_server().traffic().publish(message);
  if (!result.ok()) throw std::runtime_error("mockforge: MQTT publish refused: " + result.error);
}

void MockforgeSteps::publish_amqp(const std::string& exchange, const std::string& routing_key,
                                  const std::string& body, const traffic::Properties& properties,
                                  const std::vector<traffic::Header>& headers) {
  traffic::Message message;
  message.protocol = traffic::Protocol::kAmqp;
  message.destination = exchange;
  message.routing_key = routing_key;
  message.payload = body;
  message.properties = properties;
  message.headers = headers;
  message.client_id = "mockforge:test";
  const auto result = running_server().traffic().publish(message);
  if (!result.ok()) throw std::runtime_error("mockforge: AMQP publish refused: " + result.error);
}

watch::Verdict MockforgeSteps::expect(const std::string& spec_json) {
  const auto spec = nlohmann::json::parse(spec_json, nullptr, false);
  if (spec.is_discarded()) throw std::invalid_argument("mockforge: expect() needs a JSON object");
  auto& expectations = running_server().expectations();
  if (!expectations.history_enabled()) {
    throw std::logic_error("mockforge: expect() needs the history (history.max_messages > 0)");
  }
  return expectations.wait(watch::Expectation::from_json(spec));
}

void MockforgeTest::SetUp() {
  server_ = std::make_unique<Server>(make_config());
  server_->start();
}

void MockforgeTest::TearDown() {
  if (server_) server_->stop();
  server_.reset();
}

Server& MockforgeTest::running_server() const {
  if (!server_) throw std::logic_error("mockforge: the server starts in SetUp()");
  return *server_;
}

void SharedMockforgeTest::SetUpTestSuite() { start_shared(ephemeral_config()); }

void SharedMockforgeTest::start_shared(config::Config config) {
  shared_ = std::make_unique<Server>(std::move(config));
  shared_->start();
}

void SharedMockforgeTest::TearDownTestSuite() {
  if (shared_) shared_->stop();
  shared_.reset();
}

void SharedMockforgeTest::SetUp() {
  shared_->reset();
  reset_cursors();
}

Server& SharedMockforgeTest::running_server() const {
  if (!shared_) throw std::logic_error("mockforge: the shared server starts in SetUpTestSuite()");
  return *shared_;
}

}  // namespace mockforge::testing
