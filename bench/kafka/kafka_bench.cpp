// Kafka benchmark client (librdkafka C API): produces N messages to one partition with
// acks=all, then reads the partition from the beginning to its end and checks which of the
// N messages came back. Prints one JSON object on stdout.
//
//   kafka_bench --bootstrap HOST:PORT --topic T [--messages N] [--size BYTES]
//               [--phase produce|consume|both] [--expect-all] [--quick]
//
// Each value starts with its sequence number (8 bytes, little endian), so the consumer can
// tell lost, duplicated and reordered messages apart. --expect-all exits 1 unless every
// message was produced and consumed exactly once. --quick is 20,000 messages.
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Options {
  std::string bootstrap;
  std::string topic = "bench";
  long messages = 1000000;
  size_t size = 100;
  std::string phase = "both";
  bool expect_all = false;
  std::string cafile;     // security.protocol=ssl with this CA when set
  int32_t partition = 0;  // produce: the partition written
  long seq_base = 0;      // produce: the first sequence number (several producers, one range)
  std::string group;      // consume: subscribe as a member of this group instead of assigning
  double idle_s = 3;      // consume --group: stop this long after the last message
};

struct DeliveryCounts {
  long ok = 0;
  long failed = 0;
  rd_kafka_resp_err_t first_error = RD_KAFKA_RESP_ERR_NO_ERROR;
};

double now_s() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

// Wall-clock seconds, comparable between the processes of one run.
double wall_s() {
  using clock = std::chrono::system_clock;
  return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

bool set(rd_kafka_conf_t* conf, const char* key, const std::string& value) {
  char error[512];
  if (rd_kafka_conf_set(conf, key, value.c_str(), error, sizeof(error)) != RD_KAFKA_CONF_OK) {
    std::fprintf(stderr, "%s: %s\n", key, error);
    return false;
  }
  return true;
}

// --cafile: the SSL listener, verifying the broker with that CA.
bool set_tls(rd_kafka_conf_t* conf, const Options& options) {
  if (options.cafile.empty()) return true;
  return set(conf, "security.protocol", "ssl") && set(conf, "ssl.ca.location", options.cafile);
}

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto* counts = static_cast<DeliveryCounts*>(opaque);
  if (message->err) {
    if (counts->failed++ == 0) counts->first_error = message->err;
  } else {
    ++counts->ok;
  }
}

// Returns false when the producer could not be created or a message failed.
bool produce(const Options& options, DeliveryCounts& counts, double& seconds, double& start_wall) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (!set(conf, "bootstrap.servers", options.bootstrap) || !set(conf, "acks", "all") ||
      !set(conf, "linger.ms", "5") || !set_tls(conf, options)) {
    return false;
  }
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_opaque(conf, &counts);
  char error[512];
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
  if (!producer) {
    std::fprintf(stderr, "producer: %s\n", error);
    return false;
  }
  std::vector<char> value(options.size, 'x');
  start_wall = wall_s();
  const double begin = now_s();
  for (long i = 0; i < options.messages; ++i) {
    uint64_t seq = static_cast<uint64_t>(options.seq_base + i);
    std::memcpy(value.data(), &seq, std::min(sizeof(seq), value.size()));
    for (;;) {
      rd_kafka_resp_err_t err = rd_kafka_producev(
          producer, RD_KAFKA_V_TOPIC(options.topic.c_str()),
          RD_KAFKA_V_PARTITION(options.partition), RD_KAFKA_V_VALUE(value.data(), value.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(producer, 10);
        continue;
      }
      if (err) {
        std::fprintf(stderr, "produce: %s\n", rd_kafka_err2str(err));
        rd_kafka_destroy(producer);
        return false;
      }
      break;
    }
    if ((i & 1023) == 0) rd_kafka_poll(producer, 0);
  }
  rd_kafka_resp_err_t flushed = rd_kafka_flush(producer, 300000);
  seconds = now_s() - begin;
  rd_kafka_destroy(producer);
  if (flushed) std::fprintf(stderr, "flush: %s\n", rd_kafka_err2str(flushed));
  if (counts.failed) {
    std::fprintf(stderr, "%ld deliveries failed, first: %s\n", counts.failed,
                 rd_kafka_err2str(counts.first_error));
  }
  return !flushed && counts.failed == 0;
}

struct ConsumeResult {
  long received = 0;  // messages read
  long distinct = 0;  // distinct sequence numbers among them
  long duplicates = 0;
  long out_of_order = 0;
  long foreign = 0;     // values that are not ours (wrong size or sequence out of range)
  long first_seq = -1;  // sequence number of the first message read
  int64_t first_offset = -1;
  int64_t high_watermark = -1;
  double seconds = 0;          // assign() to end of partition
  double first_message_s = 0;  // assign() to the first message (connect, coordinator, fetch)
  double first_wall = 0;       // wall clock of the first and the last message
  double last_wall = 0;
};

bool consume(const Options& options, ConsumeResult& result) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // Without --group the partition is assigned directly (no subscribe), so no rebalance is
  // timed; librdkafka still wants a group.id for assign(). With --group the member subscribes,
  // and offsets are committed (also on revoke), so a rebalance hands a partition on where its
  // last owner stopped.
  const bool in_group = !options.group.empty();
  if (!set(conf, "bootstrap.servers", options.bootstrap) ||
      !set(conf, "group.id",
           in_group ? options.group : "kafka-bench-" + std::to_string(getpid())) ||
      !set(conf, "enable.partition.eof", in_group ? "false" : "true") ||
      !set(conf, "enable.auto.commit", in_group ? "true" : "false") ||
      !set(conf, "auto.offset.reset", "earliest") || !set_tls(conf, options)) {
    return false;
  }
  char error[512];
  rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof(error));
  if (!consumer) {
    std::fprintf(stderr, "consumer: %s\n", error);
    return false;
  }
  rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(assignment, options.topic.c_str(), 0)->offset =
      RD_KAFKA_OFFSET_BEGINNING;
  std::vector<uint8_t> seen(static_cast<size_t>(options.messages), 0);
  const double begin = now_s();
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  if (in_group) {
    rd_kafka_poll_set_consumer(consumer);
    rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, options.topic.c_str(), RD_KAFKA_PARTITION_UA);
    err = rd_kafka_subscribe(consumer, topics);
    rd_kafka_topic_partition_list_destroy(topics);
  } else {
    err = rd_kafka_assign(consumer, assignment);
  }
  rd_kafka_topic_partition_list_destroy(assignment);
  if (err) {
    std::fprintf(stderr, "%s: %s\n", in_group ? "subscribe" : "assign", rd_kafka_err2str(err));
    rd_kafka_destroy(consumer);
    return false;
  }
  bool ok = true;
  long last_seq = -1;
  double last_progress = now_s();
  for (;;) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer, in_group ? 100 : 500);
    if (!message) {
      // A group member cannot know its share: it stops once the partitions it holds go quiet.
      if (in_group && result.received > 0 && now_s() - last_progress > options.idle_s) break;
      if (now_s() - last_progress > 60) {
        std::fprintf(stderr, "consume: no progress for 60 s after %ld messages\n", result.received);
        ok = false;
        break;
      }
      continue;
    }
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      rd_kafka_message_destroy(message);
      break;
    }
    if (message->err) {
      std::fprintf(stderr, "consume: %s\n", rd_kafka_message_errstr(message));
      rd_kafka_message_destroy(message);
      ok = false;
      break;
    }
    last_progress = now_s();
    result.last_wall = wall_s();
    if (result.received++ == 0) {
      result.first_offset = message->offset;
      result.first_message_s = now_s() - begin;
      result.first_wall = result.last_wall;
    }
    uint64_t seq = UINT64_MAX;
    if (message->len == options.size && message->len >= sizeof(seq)) {
      std::memcpy(&seq, message->payload, sizeof(seq));
    }
    if (seq >= static_cast<uint64_t>(options.messages)) {
      ++result.foreign;
    } else {
      if (result.first_seq < 0) result.first_seq = static_cast<long>(seq);
      if (seen[seq]++) {
        ++result.duplicates;
      } else {
        ++result.distinct;
      }
      if (!in_group && last_seq >= 0 && static_cast<long>(seq) != last_seq + 1)
        ++result.out_of_order;
      last_seq = static_cast<long>(seq);
    }
    rd_kafka_message_destroy(message);
  }
  result.seconds = now_s() - begin;
  int64_t low = 0;
  int64_t high = 0;
  if (rd_kafka_query_watermark_offsets(consumer, options.topic.c_str(), 0, &low, &high, 5000) ==
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    result.high_watermark = high;
  }
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  return ok;
}

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: kafka_bench --bootstrap HOST:PORT [--cafile F] --topic T [--messages N] "
               "[--size BYTES]\n"
               "                   [--phase produce|consume|both] [--expect-all] [--quick]\n"
               "                   [--partition P] [--seq-base N] (produce)\n"
               "                   [--group G [--idle-seconds S]] (consume as a group member)\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage();
      return argv[++i];
    };
    if (arg == "--bootstrap") {
      options.bootstrap = value();
    } else if (arg == "--cafile") {
      options.cafile = value();
    } else if (arg == "--topic") {
      options.topic = value();
    } else if (arg == "--messages") {
      options.messages = std::atol(value().c_str());
    } else if (arg == "--size") {
      options.size = static_cast<size_t>(std::atol(value().c_str()));
    } else if (arg == "--phase") {
      options.phase = value();
    } else if (arg == "--expect-all") {
      options.expect_all = true;
    } else if (arg == "--quick") {
      options.messages = 20000;
    } else if (arg == "--partition") {
      options.partition = std::atoi(value().c_str());
    } else if (arg == "--seq-base") {
      options.seq_base = std::atol(value().c_str());
    } else if (arg == "--group") {
      options.group = value();
    } else if (arg == "--idle-seconds") {
      options.idle_s = std::atof(value().c_str());
    } else {
      usage();
    }
  }
  if (options.bootstrap.empty() || options.messages <= 0 || options.size < 8) usage();
  const bool do_produce = options.phase == "produce" || options.phase == "both";
  const bool do_consume = options.phase == "consume" || options.phase == "both";
  if (!do_produce && !do_consume) usage();

  bool ok = true;
  std::string json = "{\"messages\": " + std::to_string(options.messages) +
                     ", \"size\": " + std::to_string(options.size);
  if (do_produce) {
    DeliveryCounts counts;
    double seconds = 0;
    double start_wall = 0;
    ok = produce(options, counts, seconds, start_wall) && ok;
    json += ", \"produced\": " + std::to_string(counts.ok) +
            ", \"produce_failed\": " + std::to_string(counts.failed) +
            ", \"produce_s\": " + std::to_string(seconds) +
            ", \"start_wall\": " + std::to_string(start_wall) +
            ", \"end_wall\": " + std::to_string(start_wall + seconds);
  }
  if (ok && do_consume) {
    ConsumeResult result;
    ok = consume(options, result) && ok;
    json += ", \"consumed\": " + std::to_string(result.received) +
            ", \"distinct\": " + std::to_string(result.distinct) +
            ", \"missing\": " + std::to_string(options.messages - result.distinct) +
            ", \"duplicates\": " + std::to_string(result.duplicates) +
            ", \"out_of_order\": " + std::to_string(result.out_of_order) +
            ", \"foreign\": " + std::to_string(result.foreign) +
            ", \"first_seq\": " + std::to_string(result.first_seq) +
            ", \"first_offset\": " + std::to_string(result.first_offset) +
            ", \"high_watermark\": " + std::to_string(result.high_watermark) +
            ", \"consume_s\": " + std::to_string(result.seconds) +
            ", \"first_message_s\": " + std::to_string(result.first_message_s) +
            ", \"first_wall\": " + std::to_string(result.first_wall) +
            ", \"last_wall\": " + std::to_string(result.last_wall);
    if (options.expect_all &&
        (result.distinct != options.messages || result.duplicates || result.foreign)) {
      std::fprintf(stderr,
                   "not every message accounted for: %ld of %ld distinct, %ld duplicates, "
                   "%ld foreign\n",
                   result.distinct, options.messages, result.duplicates, result.foreign);
      ok = false;
    }
  }
  json += ", \"ok\": " + std::string(ok ? "true" : "false") + "}";
  std::printf("%s\n", json.c_str());
  return ok ? 0 : 1;
}
