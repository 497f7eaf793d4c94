// librdkafka's C admin API rd_kafka_DeleteConsumerGroupOffsets (OffsetDelete) against a running
// mockforge: offsets committed by a consumer of an empty group are deleted for one partition
// and kept for the other; while a member of the group subscribes to the topic, deleting its
// offsets gives GROUP_SUBSCRIBED_TO_TOPIC, and deleting another topic's offsets works; an
// unknown group gives GROUP_ID_NOT_FOUND.
// Usage: librdkafka_offset_delete <bootstrap> <topic> <other topic>. The topics must exist
// with 2 and 1 partitions. Prints one "ok: ..." line per step; exit 0 on success.
#include <librdkafka/rdkafka.h>

#include <cstdio>
#include <string>

namespace {

std::string bootstrap;
std::string topic;
std::string other;
int failures = 0;

#define CHECK(cond, ...)                                             \
  do {                                                               \
    if (!(cond)) {                                                   \
      std::fprintf(stderr, "FAILED line %d: %s: ", __LINE__, #cond); \
      std::fprintf(stderr, __VA_ARGS__);                             \
      std::fprintf(stderr, "\n");                                    \
      ++failures;                                                    \
      return false;                                                  \
    }                                                                \
  } while (0)

rd_kafka_t* make_client(rd_kafka_type_t type, const char* group) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), error, sizeof(error));
  if (group != nullptr) {
    rd_kafka_conf_set(conf, "group.id", group, error, sizeof(error));
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", error, sizeof(error));
    rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", error, sizeof(error));
  }
  rd_kafka_t* client = rd_kafka_new(type, conf, error, sizeof(error));
  if (!client) std::fprintf(stderr, "rd_kafka_new: %s\n", error);
  return client;
}

rd_kafka_event_t* wait_result(rd_kafka_queue_t* queue, rd_kafka_event_type_t type) {
  for (int i = 0; i < 100; ++i) {
    rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 200);
    if (!event) continue;
    if (rd_kafka_event_type(event) == type) return event;
    rd_kafka_event_destroy(event);
  }
  return nullptr;
}

// Commits `offset` for each partition of `topic_name` in `partitions` (a standalone commit).
bool commit(rd_kafka_t* consumer, const std::string& topic_name, int partitions, int64_t offset) {
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(list, topic_name.c_str(), p)->offset = offset + p;
  }
  rd_kafka_resp_err_t err = rd_kafka_commit(consumer, list, 0);
  rd_kafka_topic_partition_list_destroy(list);
  CHECK(err == RD_KAFKA_RESP_ERR_NO_ERROR, "commit: %s", rd_kafka_err2str(err));
  return true;
}

// The committed offset of one partition (RD_KAFKA_OFFSET_INVALID: none).
int64_t committed(rd_kafka_t* consumer, const std::string& topic_name, int partition) {
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, topic_name.c_str(), partition);
  rd_kafka_resp_err_t err = rd_kafka_committed(consumer, list, 10000);
  int64_t offset = err == RD_KAFKA_RESP_ERR_NO_ERROR ? list->elems[0].offset : -12345;
  rd_kafka_topic_partition_list_destroy(list);
  return offset;
}

struct Outcome {
  rd_kafka_resp_err_t request = RD_KAFKA_RESP_ERR_NO_ERROR;  // the event's error
  rd_kafka_resp_err_t group = RD_KAFKA_RESP_ERR_NO_ERROR;
  rd_kafka_resp_err_t partitions[2] = {RD_KAFKA_RESP_ERR_NO_ERROR, RD_KAFKA_RESP_ERR_NO_ERROR};
  size_t partition_count = 0;
  bool received = false;
};

Outcome delete_offsets(rd_kafka_t* admin, rd_kafka_queue_t* queue, const char* group,
                       const std::string& topic_name, int partition) {
  Outcome outcome;
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, topic_name.c_str(), partition);
  rd_kafka_DeleteConsumerGroupOffsets_t* request =
      rd_kafka_DeleteConsumerGroupOffsets_new(group, list);
  rd_kafka_topic_partition_list_destroy(list);
  rd_kafka_DeleteConsumerGroupOffsets(admin, &request, 1, nullptr, queue);
  rd_kafka_DeleteConsumerGroupOffsets_destroy(request);
  rd_kafka_event_t* event = wait_result(queue, RD_KAFKA_EVENT_DELETECONSUMERGROUPOFFSETS_RESULT);
  if (!event) return outcome;
  outcome.received = true;
  outcome.request = rd_kafka_event_error(event);
  size_t count = 0;
  const rd_kafka_group_result_t** groups = rd_kafka_DeleteConsumerGroupOffsets_result_groups(
      rd_kafka_event_DeleteConsumerGroupOffsets_result(event), &count);
  if (count == 1) {
    const rd_kafka_error_t* error = rd_kafka_group_result_error(groups[0]);
    outcome.group = error ? rd_kafka_error_code(error) : RD_KAFKA_RESP_ERR_NO_ERROR;
    const rd_kafka_topic_partition_list_t* partitions = rd_kafka_group_result_partitions(groups[0]);
    if (partitions) {
      outcome.partition_count = static_cast<size_t>(partitions->cnt);
      for (int i = 0; i < partitions->cnt && i < 2; ++i) {
        outcome.partitions[i] = partitions->elems[i].err;
      }
    }
  }
  rd_kafka_event_destroy(event);
  return outcome;
}

bool empty_group(rd_kafka_t* admin, rd_kafka_queue_t* queue) {
  rd_kafka_t* consumer = make_client(RD_KAFKA_CONSUMER, "rdk-offset-delete");
  CHECK(consumer, "consumer");
  bool ok = commit(consumer, topic, 2, 10);
  if (ok) {
    Outcome outcome = delete_offsets(admin, queue, "rdk-offset-delete", topic, 0);
    ok = outcome.received && outcome.request == 0 && outcome.group == 0 &&
         outcome.partition_count == 1 && outcome.partitions[0] == 0;
    if (!ok) {
      std::fprintf(stderr, "delete: received %d request %s group %s partition %s\n",
                   outcome.received, rd_kafka_err2name(outcome.request),
                   rd_kafka_err2name(outcome.group), rd_kafka_err2name(outcome.partitions[0]));
    }
  }
  int64_t first = ok ? committed(consumer, topic, 0) : 0;
  int64_t second = ok ? committed(consumer, topic, 1) : 0;
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  CHECK(ok, "delete offsets of an empty group");
  CHECK(first == RD_KAFKA_OFFSET_INVALID, "partition 0 still committed: %lld",
        static_cast<long long>(first));
  CHECK(second == 11, "partition 1: %lld", static_cast<long long>(second));
  std::printf("ok: empty group: partition 0's offset deleted, partition 1's kept\n");
  return true;
}

bool subscribed_group(rd_kafka_t* admin, rd_kafka_queue_t* queue) {
  rd_kafka_t* consumer = make_client(RD_KAFKA_CONSUMER, "rdk-offset-live");
  CHECK(consumer, "consumer");
  bool ok = commit(consumer, topic, 2, 3) && commit(consumer, other, 1, 4);
  rd_kafka_topic_partition_list_t* subscription = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(subscription, topic.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(consumer, subscription);
  rd_kafka_topic_partition_list_destroy(subscription);
  // Poll until the group has assigned the partitions (the member has joined).
  bool assigned = false;
  for (int i = 0; ok && i < 100 && !assigned; ++i) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer, 100);
    if (message) rd_kafka_message_destroy(message);
    rd_kafka_topic_partition_list_t* assignment = nullptr;
    if (rd_kafka_assignment(consumer, &assignment) == 0) {
      assigned = assignment->cnt > 0;
      rd_kafka_topic_partition_list_destroy(assignment);
    }
  }
  Outcome refused;
  Outcome allowed;
  if (ok && assigned) {
    refused = delete_offsets(admin, queue, "rdk-offset-live", topic, 1);
    allowed = delete_offsets(admin, queue, "rdk-offset-live", other, 0);
  }
  int64_t kept = ok && assigned ? committed(consumer, topic, 1) : 0;
  int64_t gone = ok && assigned ? committed(consumer, other, 0) : 0;
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  CHECK(ok && assigned, "the consumer did not join");
  CHECK(refused.received && refused.request == 0 && refused.group == 0 &&
            refused.partitions[0] == RD_KAFKA_RESP_ERR_GROUP_SUBSCRIBED_TO_TOPIC,
        "subscribed topic: request %s group %s partition %s", rd_kafka_err2name(refused.request),
        rd_kafka_err2name(refused.group), rd_kafka_err2name(refused.partitions[0]));
  CHECK(
      allowed.received && allowed.request == 0 && allowed.group == 0 && allowed.partitions[0] == 0,
      "other topic: request %s group %s partition %s", rd_kafka_err2name(allowed.request),
      rd_kafka_err2name(allowed.group), rd_kafka_err2name(allowed.partitions[0]));
  CHECK(kept == 4, "subscribed topic's offset: %lld", static_cast<long long>(kept));
  CHECK(gone == RD_KAFKA_OFFSET_INVALID, "other topic's offset: %lld",
        static_cast<long long>(gone));
  std::printf("ok: live consumer group: subscribed topic refused (%s), other topic deleted\n",
              rd_kafka_err2name(refused.partitions[0]));
  return true;
}

bool unknown_group(rd_kafka_t* admin, rd_kafka_queue_t* queue) {
  Outcome outcome = delete_offsets(admin, queue, "rdk-no-such-group", topic, 0);
  CHECK(outcome.received, "no result");
  rd_kafka_resp_err_t code = outcome.request ? outcome.request : outcome.group;
  CHECK(code == RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND, "%s", rd_kafka_err2name(code));
  std::printf("ok: unknown group: %s\n", rd_kafka_err2name(code));
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s <bootstrap> <topic> <other topic>\n", argv[0]);
    return 2;
  }
  bootstrap = argv[1];
  topic = argv[2];
  other = argv[3];
  rd_kafka_t* admin = make_client(RD_KAFKA_PRODUCER, nullptr);
  if (!admin) return 1;
  rd_kafka_queue_t* queue = rd_kafka_queue_new(admin);
  empty_group(admin, queue);
  subscribed_group(admin, queue);
  unknown_group(admin, queue);
  rd_kafka_queue_destroy(queue);
  rd_kafka_destroy(admin);
  return failures == 0 ? 0 : 1;
}
