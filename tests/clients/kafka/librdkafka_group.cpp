// librdkafka (C API) consumer-group member and producer, driven by test_librdkafka_group.py.
//
//   librdkafka_group produce <bootstrap> <topic> <partitions> <prefix> <count>
//       sends <prefix>-0 .. <prefix>-<count-1>, message i to partition i % partitions,
//       idempotent, acks=all; prints "produced <count>".
//   librdkafka_group consume <bootstrap> <topic> <group> [options]
//       --instance ID     static membership (group.instance.id)
//       --session-ms N    session.timeout.ms (default 6000)
//       --max N           exit after N messages
//       --idle-exit-ms N  exit after N ms without a message once assigned
//   Every line is flushed at once:
//       assigned 0,1      revoked 0,1      msg <partition> <offset> <value>
//   Each message is printed, then its offset is committed synchronously (at least once).
//   SIGTERM or SIGINT closes the consumer cleanly (rd_kafka_consumer_close).
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "rdkafka_conf.h"

namespace {

volatile std::sig_atomic_t stop_requested = 0;

void on_signal(int) { stop_requested = 1; }

std::string partitions_of(const rd_kafka_topic_partition_list_t* list) {
  std::string out;
  for (int i = 0; i < list->cnt; ++i) {
    if (!out.empty()) out += ',';
    out += std::to_string(list->elems[i].partition);
  }
  return out;
}

void on_rebalance(rd_kafka_t* consumer, rd_kafka_resp_err_t err,
                  rd_kafka_topic_partition_list_t* partitions, void*) {
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    std::printf("assigned %s\n", partitions_of(partitions).c_str());
    rd_kafka_assign(consumer, partitions);
  } else {
    std::printf("revoked %s\n", partitions_of(partitions).c_str());
    rd_kafka_assign(consumer, nullptr);
  }
  std::fflush(stdout);
}

int produce(const std::string& bootstrap, const std::string& topic, int partitions,
            const std::string& prefix, int count) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (!conf_set(conf, "bootstrap.servers", bootstrap) ||
      !conf_set(conf, "enable.idempotence", "true") || !conf_set(conf, "linger.ms", "5")) {
    return 2;
  }
  static int failures = 0;
  rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* message, void*) {
    if (message->err) {
      std::fprintf(stderr, "delivery failed: %s\n", rd_kafka_err2str(message->err));
      ++failures;
    }
  });
  char error[512];
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
  if (!producer) {
    std::fprintf(stderr, "producer: %s\n", error);
    return 2;
  }
  for (int i = 0; i < count; ++i) {
    std::string value = prefix + "-" + std::to_string(i);
    rd_kafka_resp_err_t err = rd_kafka_producev(
        producer, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(i % partitions),
        RD_KAFKA_V_VALUE(value.data(), value.size()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_END);
    if (err) {
      std::fprintf(stderr, "produce: %s\n", rd_kafka_err2str(err));
      rd_kafka_destroy(producer);
      return 1;
    }
    rd_kafka_poll(producer, 0);
  }
  rd_kafka_resp_err_t flushed = rd_kafka_flush(producer, 60000);
  rd_kafka_destroy(producer);
  if (flushed || failures) {
    std::fprintf(stderr, "flush: %s, %d failed deliveries\n", rd_kafka_err2str(flushed), failures);
    return 1;
  }
  std::printf("produced %d\n", count);
  return 0;
}

int consume(const std::string& bootstrap, const std::string& topic, const std::string& group,
            int argc, char** argv) {
  std::string instance;
  std::string session_ms = "6000";
  long max_messages = -1;
  long idle_exit_ms = -1;
  for (int i = 0; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--instance") {
      instance = argv[i + 1];
    } else if (flag == "--session-ms") {
      session_ms = argv[i + 1];
    } else if (flag == "--max") {
      max_messages = std::atol(argv[i + 1]);
    } else if (flag == "--idle-exit-ms") {
      idle_exit_ms = std::atol(argv[i + 1]);
    } else {
      std::fprintf(stderr, "unknown option %s\n", flag.c_str());
      return 2;
    }
  }
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (!conf_set(conf, "bootstrap.servers", bootstrap) || !conf_set(conf, "group.id", group) ||
      !conf_set(conf, "auto.offset.reset", "earliest") ||
      !conf_set(conf, "enable.auto.commit", "false") ||
      !conf_set(conf, "session.timeout.ms", session_ms) ||
      !conf_set(conf, "heartbeat.interval.ms", "500") ||
      !conf_set(conf, "partition.assignment.strategy", "range") ||
      (!instance.empty() && !conf_set(conf, "group.instance.id", instance))) {
    return 2;
  }
  rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
  char error[512];
  rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof(error));
  if (!consumer) {
    std::fprintf(stderr, "consumer: %s\n", error);
    return 2;
  }
  rd_kafka_poll_set_consumer(consumer);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(consumer, topics);
  rd_kafka_topic_partition_list_destroy(topics);

  int status = 0;
  long received = 0;
  auto last_activity = std::chrono::steady_clock::now();
  while (!stop_requested && (max_messages < 0 || received < max_messages)) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer, 100);
    auto now = std::chrono::steady_clock::now();
    if (!message) {
      auto idle = std::chrono::duration_cast<std::chrono::milliseconds>(now - last_activity);
      if (idle_exit_ms >= 0 && idle.count() >= idle_exit_ms) break;
      continue;
    }
    last_activity = now;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::string value(static_cast<const char*>(message->payload), message->len);
      std::printf("msg %d %lld %s\n", message->partition, static_cast<long long>(message->offset),
                  value.c_str());
      std::fflush(stdout);
      rd_kafka_resp_err_t err = rd_kafka_commit_message(consumer, message, 0);
      if (err) std::fprintf(stderr, "commit: %s\n", rd_kafka_err2str(err));
      ++received;
    } else if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      std::fprintf(stderr, "consume: %s\n", rd_kafka_message_errstr(message));
      if (message->err == RD_KAFKA_RESP_ERR__FATAL) status = 1;
    }
    rd_kafka_message_destroy(message);
  }
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  std::printf("closed %ld\n", received);
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "produce" && argc == 7) {
    return produce(argv[2], argv[3], std::atoi(argv[4]), argv[5], std::atoi(argv[6]));
  }
  if (mode == "consume" && argc >= 5) {
    return consume(argv[2], argv[3], argv[4], argc - 5, argv + 5);
  }
  std::fprintf(stderr,
               "usage: %s produce <bootstrap> <topic> <partitions> <prefix> <count>\n"
               "       %s consume <bootstrap> <topic> <group> [--instance ID] [--session-ms N] "
               "[--max N] [--idle-exit-ms N]\n",
               argv[0], argv[0]);
  return 2;
}
