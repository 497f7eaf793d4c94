// librdkafka (C admin API) against a running mockforge: CreateTopics (configs applied, an
// invalid config refused with INVALID_CONFIG), DescribeConfigs, AlterConfigs, CreatePartitions,
// DeleteRecords (the low watermark moves and a consumer from offset 0 starts at it),
// ListConsumerGroups / DescribeConsumerGroups with a live member, DeleteTopics.
// Usage: librdkafka_admin <bootstrap>. Prints one "ok: ..." line per step; exit 0 on success.
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace {

std::string bootstrap;
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

rd_kafka_t* make_client(rd_kafka_type_t type, const std::map<std::string, std::string>& extra) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  std::map<std::string, std::string> settings = extra;
  settings["bootstrap.servers"] = bootstrap;
  for (const auto& [key, value] : settings) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error, sizeof(error)) !=
        RD_KAFKA_CONF_OK) {
      std::fprintf(stderr, "%s: %s\n", key.c_str(), error);
      rd_kafka_conf_destroy(conf);
      return nullptr;
    }
  }
  rd_kafka_t* client = rd_kafka_new(type, conf, error, sizeof(error));
  if (!client) std::fprintf(stderr, "rd_kafka_new: %s\n", error);
  return client;
}

// Waits for the admin result of `type` on `queue`; nullptr on timeout.
rd_kafka_event_t* wait_result(rd_kafka_queue_t* queue, rd_kafka_event_type_t type) {
  for (int i = 0; i < 100; ++i) {
    rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 200);
    if (!event) continue;
    if (rd_kafka_event_type(event) == type) return event;
    rd_kafka_event_destroy(event);
  }
  return nullptr;
}

// name -> (error, error string) of a CreateTopics / DeleteTopics / CreatePartitions result.
std::map<std::string, std::pair<rd_kafka_resp_err_t, std::string>> topic_results(
    const rd_kafka_topic_result_t** results, size_t count) {
  std::map<std::string, std::pair<rd_kafka_resp_err_t, std::string>> out;
  for (size_t i = 0; i < count; ++i) {
    const char* message = rd_kafka_topic_result_error_string(results[i]);
    out[rd_kafka_topic_result_name(results[i])] = {rd_kafka_topic_result_error(results[i]),
                                                   message ? message : ""};
  }
  return out;
}

bool create_topics(rd_kafka_t* admin, rd_kafka_queue_t* queue) {
  char error[512];
  rd_kafka_NewTopic_t* topics[2];
  topics[0] = rd_kafka_NewTopic_new("rdk-admin", 2, 1, error, sizeof(error));
  rd_kafka_NewTopic_set_config(topics[0], "retention.ms", "3600000");
  rd_kafka_NewTopic_set_config(topics[0], "cleanup.policy", "delete");
  topics[1] = rd_kafka_NewTopic_new("rdk-bad", 1, 1, error, sizeof(error));
  rd_kafka_NewTopic_set_config(topics[1], "flush.messages", "0");  // at least 1 in Kafka
  rd_kafka_CreateTopics(admin, topics, 2, nullptr, queue);
  rd_kafka_NewTopic_destroy_array(topics, 2);
  rd_kafka_event_t* event = wait_result(queue, RD_KAFKA_EVENT_CREATETOPICS_RESULT);
  CHECK(event, "no CreateTopics result");
  if (rd_kafka_event_error(event)) {
    std::fprintf(stderr, "CreateTopics: %s\n", rd_kafka_event_error_string(event));
  }
  size_t count = 0;
  const rd_kafka_topic_result_t** listed =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
  auto results = topic_results(listed, count);
  rd_kafka_event_destroy(event);
  CHECK(results.size() == 2, "%zu results", results.size());
  CHECK(results["rdk-admin"].first == RD_KAFKA_RESP_ERR_NO_ERROR, "%s",
        rd_kafka_err2str(results["rdk-admin"].first));
  CHECK(results["rdk-bad"].first == RD_KAFKA_RESP_ERR_INVALID_CONFIG, "%s",
        rd_kafka_err2str(results["rdk-bad"].first));
  std::printf("ok: create topics (invalid config refused: %s)\n",
              results["rdk-bad"].second.c_str());
  return true;
}

struct Entry {
  std::string value;
  rd_kafka_ConfigSource_t source;
  bool read_only;
};

bool describe(rd_kafka_t* admin, rd_kafka_queue_t* queue, rd_kafka_ResourceType_t type,
              const char* name, std::map<std::string, Entry>& out) {
  rd_kafka_ConfigResource_t* resource = rd_kafka_ConfigResource_new(type, name);
  rd_kafka_DescribeConfigs(admin, &resource, 1, nullptr, queue);
  rd_kafka_ConfigResource_destroy(resource);
  rd_kafka_event_t* event = wait_result(queue, RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT);
  CHECK(event, "no DescribeConfigs result");
  size_t count = 0;
  const rd_kafka_ConfigResource_t** resources = rd_kafka_DescribeConfigs_result_resources(
      rd_kafka_event_DescribeConfigs_result(event), &count);
  bool ok = count == 1 && rd_kafka_ConfigResource_error(resources[0]) == 0;
  if (ok) {
    size_t entries = 0;
    const rd_kafka_ConfigEntry_t** configs =
        rd_kafka_ConfigResource_configs(resources[0], &entries);
    for (size_t i = 0; i < entries; ++i) {
      const char* value = rd_kafka_ConfigEntry_value(configs[i]);
      out[rd_kafka_ConfigEntry_name(configs[i])] = {
          value ? value : "", rd_kafka_ConfigEntry_source(configs[i]),
          rd_kafka_ConfigEntry_is_read_only(configs[i]) != 0};
    }
  }
  rd_kafka_event_destroy(event);
  CHECK(ok, "DescribeConfigs %s failed", name);
  return true;
}

bool describe_and_alter_configs(rd_kafka_t* admin, rd_kafka_queue_t* queue) {
  std::map<std::string, Entry> configs;
  if (!describe(admin, queue, RD_KAFKA_RESOURCE_TOPIC, "rdk-admin", configs)) return false;
  CHECK(configs["retention.ms"].value == "3600000", "%s", configs["retention.ms"].value.c_str());
  CHECK(configs["retention.ms"].source == RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG, "source");
  CHECK(configs["message.timestamp.type"].value == "CreateTime", "timestamp type");
  CHECK(configs["message.timestamp.type"].source == RD_KAFKA_CONFIG_SOURCE_DEFAULT_CONFIG, "src");

  rd_kafka_ConfigResource_t* resource =
      rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, "rdk-admin");
  rd_kafka_ConfigResource_set_config(resource, "retention.bytes", "1048576");
  rd_kafka_ConfigResource_set_config(resource, "max.message.bytes", "65536");
  rd_kafka_AlterConfigs(admin, &resource, 1, nullptr, queue);
  rd_kafka_ConfigResource_destroy(resource);
  rd_kafka_event_t* event = wait_result(queue, RD_KAFKA_EVENT_ALTERCONFIGS_RESULT);
  CHECK(event, "no AlterConfigs result");
  size_t count = 0;
  const rd_kafka_ConfigResource_t** resources =
      rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(event), &count);
  rd_kafka_resp_err_t err =
      count == 1 ? rd_kafka_ConfigResource_error(resources[0]) : RD_KAFKA_RESP_ERR__FAIL;
  rd_kafka_event_destroy(event);
  CHECK(err == RD_KAFKA_RESP_ERR_NO_ERROR, "%s", rd_kafka_err2str(err));

  configs.clear();
  if (!describe(admin, queue, RD_KAFKA_RESOURCE_TOPIC, "rdk-admin", configs)) return false;
  CHECK(configs["retention.bytes"].value == "1048576", "%s",
        configs["retention.bytes"].value.c_str());
  CHECK(configs["max.message.bytes"].value == "65536", "max.message.bytes");
  // AlterConfigs replaces the set: retention.ms is back to its default.
  CHECK(configs["retention.ms"].source != RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG, "reset");

  configs.clear();
  if (!describe(admin, queue, RD_KAFKA_RESOURCE_BROKER, "0", configs)) return false;
  CHECK(configs["message.max.bytes"].value == "1048588", "message.max.bytes");
  CHECK(configs["message.max.bytes"].read_only, "read-only");
  std::printf("ok: describe and alter configs\n");
  return true;
}

bool create_partitions(rd_kafka_t* admin, rd_kafka_queue_t* queue) {
  char error[512];
  rd_kafka_NewPartitions_t* grow = rd_kafka_NewPartitions_new("rdk-admin", 3, error, sizeof(error));
  rd_kafka_CreatePartitions(admin, &grow, 1, nullptr, queue);
  rd_kafka_NewPartitions_destroy(grow);
  rd_kafka_event_t* event = wait_result(queue, RD_KAFKA_EVENT_CREATEPARTITIONS_RESULT);
  CHECK(event, "no CreatePartitions result");
  size_t count = 0;
  const rd_kafka_topic_result_t** listed = rd_kafka_CreatePartitions_result_topics(
      rd_kafka_event_CreatePartitions_result(event), &count);
  auto results = topic_results(listed, count);
  rd_kafka_event_destroy(event);
  CHECK(results["rdk-admin"].first == RD_KAFKA_RESP_ERR_NO_ERROR, "%s",
        rd_kafka_err2str(results["rdk-admin"].first));
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_topic_t* topic = rd_kafka_topic_new(admin, "rdk-admin", nullptr);
  rd_kafka_resp_err_t err = rd_kafka_metadata(admin, 0, topic, &metadata, 5000);
  rd_kafka_topic_destroy(topic);
  CHECK(err == 0, "metadata: %s", rd_kafka_err2str(err));
  int partitions = metadata->topic_cnt == 1 ? metadata->topics[0].partition_cnt : -1;
  rd_kafka_metadata_destroy(metadata);
  CHECK(partitions == 3, "%d partitions", partitions);
  std::printf("ok: create partitions (3)\n");
  return true;
}

bool produce(const char* topic, int partition, int count) {
  rd_kafka_t* producer = make_client(RD_KAFKA_PRODUCER, {{"linger.ms", "0"}});
  CHECK(producer, "producer");
  for (int i = 0; i < count; ++i) {
    std::string value = "message-" + std::to_string(i);
    rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                      RD_KAFKA_V_VALUE(value.data(), value.size()),
                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    rd_kafka_flush(producer, 10000);  // one batch per message: deletes can split batches
  }
  int left = rd_kafka_outq_len(producer);
  rd_kafka_destroy(producer);
  CHECK(left == 0, "%d messages not delivered", left);
  return true;
}

bool delete_records(rd_kafka_t* admin, rd_kafka_queue_t* queue) {
  if (!produce("rdk-admin", 0, 10)) return false;
  rd_kafka_topic_partition_list_t* before = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(before, "rdk-admin", 0)->offset = 6;
  rd_kafka_DeleteRecords_t* request = rd_kafka_DeleteRecords_new(before);
  rd_kafka_topic_partition_list_destroy(before);
  rd_kafka_DeleteRecords(admin, &request, 1, nullptr, queue);
  rd_kafka_DeleteRecords_destroy(request);
  rd_kafka_event_t* event = wait_result(queue, RD_KAFKA_EVENT_DELETERECORDS_RESULT);
  CHECK(event, "no DeleteRecords result");
  const rd_kafka_topic_partition_list_t* offsets =
      rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(event));
  int64_t low = offsets->cnt == 1 ? offsets->elems[0].offset : -100;
  rd_kafka_resp_err_t err = offsets->cnt == 1 ? offsets->elems[0].err : RD_KAFKA_RESP_ERR__FAIL;
  rd_kafka_event_destroy(event);
  CHECK(err == 0 && low == 6, "err %s low %lld", rd_kafka_err2str(err), (long long)low);

  int64_t watermark_low = -1, watermark_high = -1;
  err = rd_kafka_query_watermark_offsets(admin, "rdk-admin", 0, &watermark_low, &watermark_high,
                                         5000);
  CHECK(err == 0 && watermark_low == 6 && watermark_high == 10, "watermarks %lld..%lld",
        (long long)watermark_low, (long long)watermark_high);

  // A consumer asking for offset 0 gets OFFSET_OUT_OF_RANGE and resets to the earliest: 6.
  rd_kafka_t* consumer = make_client(RD_KAFKA_CONSUMER, {{"group.id", "rdk-admin-reader"},
                                                         {"auto.offset.reset", "earliest"},
                                                         {"enable.auto.commit", "false"}});
  CHECK(consumer, "consumer");
  rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(assignment, "rdk-admin", 0)->offset = 0;
  rd_kafka_assign(consumer, assignment);
  rd_kafka_topic_partition_list_destroy(assignment);
  int64_t first = -1;
  for (int i = 0; i < 100 && first < 0; ++i) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer, 100);
    if (!message) continue;
    if (!message->err) first = message->offset;
    rd_kafka_message_destroy(message);
  }
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  CHECK(first == 6, "first consumed offset %lld", (long long)first);
  std::printf("ok: delete records (low watermark 6, consumer reset to 6)\n");
  return true;
}

bool groups(rd_kafka_t* admin, rd_kafka_queue_t* queue) {
  rd_kafka_t* consumer = make_client(RD_KAFKA_CONSUMER, {{"group.id", "rdk-admin-group"},
                                                         {"client.id", "member-a"},
                                                         {"auto.offset.reset", "earliest"}});
  CHECK(consumer, "consumer");
  rd_kafka_poll_set_consumer(consumer);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, "rdk-admin", RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(consumer, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  int assigned = 0;
  for (int i = 0; i < 200 && assigned == 0; ++i) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer, 50);
    if (message) rd_kafka_message_destroy(message);
    rd_kafka_topic_partition_list_t* current = nullptr;
    if (rd_kafka_assignment(consumer, &current) == 0 && current) {
      assigned = current->cnt;
      rd_kafka_topic_partition_list_destroy(current);
    }
  }
  bool ok = assigned == 3;
  std::string failure = "assigned " + std::to_string(assigned);

  if (ok) {
    rd_kafka_ListConsumerGroups(admin, nullptr, queue);
    rd_kafka_event_t* event = wait_result(queue, RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT);
    bool listed = false;
    if (event) {
      size_t count = 0;
      const rd_kafka_ConsumerGroupListing_t** valid = rd_kafka_ListConsumerGroups_result_valid(
          rd_kafka_event_ListConsumerGroups_result(event), &count);
      for (size_t i = 0; i < count; ++i) {
        if (std::strcmp(rd_kafka_ConsumerGroupListing_group_id(valid[i]), "rdk-admin-group") == 0)
          listed = true;
      }
      rd_kafka_event_destroy(event);
    }
    ok = listed;
    failure = "group not listed";
  }
  if (ok) {
    const char* names[] = {"rdk-admin-group"};
    rd_kafka_DescribeConsumerGroups(admin, names, 1, nullptr, queue);
    rd_kafka_event_t* event = wait_result(queue, RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT);
    ok = false;
    failure = "no DescribeConsumerGroups result";
    if (event) {
      size_t count = 0;
      const rd_kafka_ConsumerGroupDescription_t** described =
          rd_kafka_DescribeConsumerGroups_result_groups(
              rd_kafka_event_DescribeConsumerGroups_result(event), &count);
      if (count == 1 && !rd_kafka_ConsumerGroupDescription_error(described[0])) {
        auto state = rd_kafka_ConsumerGroupDescription_state(described[0]);
        size_t members = rd_kafka_ConsumerGroupDescription_member_count(described[0]);
        int partitions = -1;
        std::string client_id;
        if (members == 1) {
          const rd_kafka_MemberDescription_t* member =
              rd_kafka_ConsumerGroupDescription_member(described[0], 0);
          client_id = rd_kafka_MemberDescription_client_id(member);
          partitions =
              rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(member))
                  ->cnt;
        }
        ok = state == RD_KAFKA_CONSUMER_GROUP_STATE_STABLE && members == 1 &&
             client_id == "member-a" && partitions == 3;
        failure = std::string("state ") + rd_kafka_consumer_group_state_name(state) + ", members " +
                  std::to_string(members) + ", client " + client_id + ", partitions " +
                  std::to_string(partitions);
      }
      rd_kafka_event_destroy(event);
    }
  }
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  CHECK(ok, "%s", failure.c_str());
  std::printf("ok: list and describe consumer groups\n");
  return true;
}

bool delete_topic(rd_kafka_t* admin, rd_kafka_queue_t* queue) {
  rd_kafka_DeleteTopic_t* topics[2] = {rd_kafka_DeleteTopic_new("rdk-admin"),
                                       rd_kafka_DeleteTopic_new("rdk-missing")};
  rd_kafka_DeleteTopics(admin, topics, 2, nullptr, queue);
  rd_kafka_DeleteTopic_destroy_array(topics, 2);
  rd_kafka_event_t* event = wait_result(queue, RD_KAFKA_EVENT_DELETETOPICS_RESULT);
  CHECK(event, "no DeleteTopics result");
  size_t count = 0;
  const rd_kafka_topic_result_t** listed =
      rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event), &count);
  auto results = topic_results(listed, count);
  rd_kafka_event_destroy(event);
  CHECK(results["rdk-admin"].first == 0, "%s", rd_kafka_err2str(results["rdk-admin"].first));
  CHECK(results["rdk-missing"].first == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, "%s",
        rd_kafka_err2str(results["rdk-missing"].first));
  std::printf("ok: delete topics\n");
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <bootstrap>\n", argv[0]);
    return 2;
  }
  bootstrap = argv[1];
  rd_kafka_t* admin = make_client(RD_KAFKA_PRODUCER, {});
  if (!admin) return 1;
  rd_kafka_queue_t* queue = rd_kafka_queue_new(admin);
  bool ok = create_topics(admin, queue) && describe_and_alter_configs(admin, queue) &&
            create_partitions(admin, queue) && delete_records(admin, queue) &&
            groups(admin, queue) && delete_topic(admin, queue);
  rd_kafka_queue_destroy(queue);
  rd_kafka_destroy(admin);
  return ok && failures == 0 ? 0 : 1;
}
