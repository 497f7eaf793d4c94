// DescribeProducers (61): per partition, the idempotent and transactional producers this
// broker holds state for (KIP-664): epoch, last sequence and timestamp of what they
// appended, the coordinator epoch of their last transaction marker, and the first offset of
// their open transaction. READ on the topic, else TOPIC_AUTHORIZATION_FAILED;
// UNKNOWN_TOPIC_OR_PARTITION for a partition that does not exist; NOT_LEADER_OR_FOLLOWER on
// a broker that does not lead the partition (kafka.brokers), as Produce answers.
#include "mockforge/kafka/describe_producers.h"

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/broker/transaction_coordinator.h"
#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

using PartitionResponse = DescribeProducersResponse::PartitionResponse;

PartitionResponse describe(const Request& request, const std::string& topic, bool readable,
                           bool exists, int32_t index) {
  PartitionResponse result;
  result.partition_index = index;
  if (!readable) {
    result.error_code = error::kTopicAuthorizationFailed;
    return result;
  }
  if (!exists) {
    result.error_code = error::kUnknownTopicOrPartition;
    return result;
  }
  result.error_code = request.check_leader(topic, index);
  if (result.error_code != 0) return result;
  auto& transactions = request.broker.transactions();
  for (const auto& producer : request.broker.producers().active_producers(topic, index)) {
    DescribeProducersResponse::ProducerState state;
    state.producer_id = producer.producer_id;
    state.producer_epoch = producer.epoch;
    state.last_sequence = producer.last_sequence;
    state.last_timestamp = producer.last_timestamp;
    state.coordinator_epoch = producer.coordinator_epoch;
    state.current_txn_start_offset =
        transactions.open_transaction_start({topic, index}, producer.producer_id);
    result.active_producers.push_back(state);
  }
  return result;
}

void handle(const RequestPtr& request, Reader& body) {
  DescribeProducersRequest parsed;
  parsed.decode(body, request->version());
  auto& logs = request->broker.storage().logs();
  DescribeProducersResponse response;
  for (const auto& topic : parsed.topics) {
    DescribeProducersResponse::TopicResponse topic_result;
    topic_result.name = topic.name;
    const bool readable = authorized(*request, acl::kRead, acl::kTopic, topic.name);
    auto stored = readable ? logs.find(topic.name) : nullptr;
    for (int32_t index : topic.partition_indexes) {
      const bool exists = stored && index >= 0 && index < stored->partition_count();
      auto result = describe(*request, topic.name, readable, exists, index);
      request->count_error(result.error_code);
      topic_result.partitions.push_back(std::move(result));
    }
    response.topics.push_back(std::move(topic_result));
  }
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kDescribeProducersHandler{61, 0, 0, &handle};

}  // namespace mockforge::kafka
