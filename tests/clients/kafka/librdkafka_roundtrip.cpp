// librdkafka (C API) round trip against a running mockforge: for each compression codec, an
// idempotent producer sends N messages, then a group consumer reads them all back; count and
// content are checked. Usage: librdkafka_roundtrip <bootstrap> [messages per codec, default 500].
// Exit 0 on success.
#include <librdkafka/rdkafka.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "rdkafka_conf.h"

namespace {

int kMessages = 500;
int delivery_errors = 0;
int delivered = 0;

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
  if (message->err) {
    std::fprintf(stderr, "delivery failed: %s\n", rd_kafka_err2str(message->err));
    ++delivery_errors;
  } else {
    ++delivered;
  }
}

bool produce(const std::string& bootstrap, const std::string& topic, const std::string& codec) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (!conf_set(conf, "bootstrap.servers", bootstrap) ||
      !conf_set(conf, "enable.idempotence", "true") ||
      !conf_set(conf, "compression.codec", codec) || !conf_set(conf, "linger.ms", "5")) {
    return false;
  }
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  char error[512];
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
  if (!producer) return false;
  delivered = 0;
  for (int i = 0; i < kMessages; ++i) {
    std::string key = "key-" + std::to_string(i);
    std::string value = codec + "-message-" + std::to_string(i) + std::string(64, 'x');
    rd_kafka_resp_err_t err = rd_kafka_producev(
        producer, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
        RD_KAFKA_V_VALUE(value.data(), value.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_END);
    if (err) {
      std::fprintf(stderr, "produce: %s\n", rd_kafka_err2str(err));
      return false;
    }
    rd_kafka_poll(producer, 0);
  }
  rd_kafka_flush(producer, 30000);
  bool ok = delivered == kMessages && delivery_errors == 0;
  rd_kafka_destroy(producer);
  if (!ok) std::fprintf(stderr, "%s: delivered %d of %d\n", codec.c_str(), delivered, kMessages);
  return ok;
}

bool consume(const std::string& bootstrap, const std::string& topic, const std::string& codec) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (!conf_set(conf, "bootstrap.servers", bootstrap) ||
      !conf_set(conf, "group.id", "rdk-" + codec) ||
      !conf_set(conf, "auto.offset.reset", "earliest")) {
    return false;
  }
  char error[512];
  rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof(error));
  if (!consumer) return false;
  rd_kafka_poll_set_consumer(consumer);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(consumer, topics);
  rd_kafka_topic_partition_list_destroy(topics);

  std::vector<bool> seen(kMessages, false);
  int received = 0;
  bool ok = true;
  std::time_t deadline = std::time(nullptr) + 60;
  while (received < kMessages && std::time(nullptr) < deadline) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer, 500);
    if (!message) continue;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::string key(static_cast<const char*>(message->key), message->key_len);
      std::string value(static_cast<const char*>(message->payload), message->len);
      int index = std::stoi(key.substr(4));
      std::string expected = codec + "-message-" + std::to_string(index) + std::string(64, 'x');
      if (value != expected || message->offset != index || seen[index]) {
        std::fprintf(stderr, "%s: unexpected message at offset %lld\n", codec.c_str(),
                     static_cast<long long>(message->offset));
        ok = false;
      }
      seen[index] = true;
      ++received;
    } else if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      std::fprintf(stderr, "consume: %s\n", rd_kafka_message_errstr(message));
    }
    rd_kafka_message_destroy(message);
  }
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  if (received != kMessages) {
    std::fprintf(stderr, "%s: received %d of %d\n", codec.c_str(), received, kMessages);
    ok = false;
  }
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    std::fprintf(stderr, "usage: %s <bootstrap> [messages per codec]\n", argv[0]);
    return 2;
  }
  if (argc == 3) kMessages = std::atoi(argv[2]);
  if (kMessages <= 0) {
    std::fprintf(stderr, "the message count must be positive\n");
    return 2;
  }
  for (const char* codec : {"none", "gzip", "snappy", "lz4", "zstd"}) {
    std::string topic = std::string("rdk-") + codec;
    if (!produce(argv[1], topic, codec) || !consume(argv[1], topic, codec)) {
      std::fprintf(stderr, "FAILED: %s\n", codec);
      return 1;
    }
    std::printf("%s: %d messages round-tripped\n", codec, kMessages);
  }
  return 0;
}
