#include "order_service.h"

#include <librdkafka/rdkafka.h>

#include <stdexcept>
#include <string>

namespace {

rd_kafka_conf_t* make_conf(const std::string& bootstrap, const char* group) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  const auto set = [&](const char* name, const char* value) {
    if (rd_kafka_conf_set(conf, name, value, error, sizeof(error)) != RD_KAFKA_CONF_OK) {
      throw std::runtime_error(error);
    }
  };
  set("bootstrap.servers", bootstrap.c_str());
  if (group) {
    set("group.id", group);
    set("auto.offset.reset", "earliest");
  }
  return conf;
}

}  // namespace

OrderService::OrderService(std::string bootstrap_servers)
    : bootstrap_servers_(std::move(bootstrap_servers)) {}

OrderService::~OrderService() { stop(); }

void OrderService::start() {
  running_ = true;
  thread_ = std::thread([this] { run(); });
}

void OrderService::stop() {
  running_ = false;
  if (thread_.joinable()) thread_.join();
}

void OrderService::run() {
  char error[512];
  rd_kafka_t* consumer = rd_kafka_new(
      RD_KAFKA_CONSUMER, make_conf(bootstrap_servers_, "order-service"), error, sizeof(error));
  rd_kafka_t* producer =
      rd_kafka_new(RD_KAFKA_PRODUCER, make_conf(bootstrap_servers_, nullptr), error, sizeof(error));
  if (!consumer || !producer) throw std::runtime_error(error);
  rd_kafka_poll_set_consumer(consumer);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, "orders.created", RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(consumer, topics);
  rd_kafka_topic_partition_list_destroy(topics);

  while (running_) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer, 100);
    if (!message) continue;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const std::string order(static_cast<const char*>(message->payload), message->len);
      const std::string confirmation = R"({"status":"confirmed","order":)" + order + "}";
      rd_kafka_producev(
          producer, RD_KAFKA_V_TOPIC("orders.confirmed"),
          RD_KAFKA_V_KEY(message->key, message->key_len),
          RD_KAFKA_V_VALUE(const_cast<char*>(confirmation.data()), confirmation.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      rd_kafka_flush(producer, 5000);
      ++confirmed_;
    }
    rd_kafka_message_destroy(message);
  }
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  rd_kafka_flush(producer, 5000);
  rd_kafka_destroy(producer);
}
