// AddPartitionsToTxn (24): adds partitions to the producer's transaction (starting it). Unknown
// partitions fail the whole request: UNKNOWN_TOPIC_OR_PARTITION for them,
// OPERATION_NOT_ATTEMPTED for the others, as Kafka answers. With ACLs: WRITE on the
// transactional id (else every partition answers TRANSACTIONAL_ID_AUTHORIZATION_FAILED), then
// WRITE on each topic (TOPIC_AUTHORIZATION_FAILED, failing the request as an unknown one does).
#include "mockforge/kafka/add_partitions_to_txn.h"

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/broker/transaction_coordinator.h"
#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

void handle(const RequestPtr& request, Reader& body) {
  AddPartitionsToTxnRequest parsed;
  parsed.decode(body, request->version());
  auto& logs = request->broker.storage().logs();
  const bool id_refused = !may_write_transaction(*request, parsed.transactional_id);
  std::vector<TopicPartitionKey> partitions;
  bool unknown = false;  // or not authorized
  auto may_write = [&](const std::string& topic) {
    return authorized(*request, acl::kWrite, acl::kTopic, topic);
  };
  auto exists = [&](const std::string& topic, int32_t index) {
    auto stored = logs.find(topic);
    return stored && index >= 0 && index < stored->partition_count();
  };
  for (const auto& topic : parsed.topics) {
    for (int32_t index : topic.partitions) {
      if (may_write(topic.name) && exists(topic.name, index)) {
        partitions.emplace_back(topic.name, index);
      } else {
        unknown = true;
      }
    }
  }
  int16_t code = id_refused ? error::kTransactionalIdAuthorizationFailed
                            : request->check_transaction_coordinator(parsed.transactional_id);
  // Kafka checks the coordinator before the partitions.
  if (code != error::kNone) unknown = false;
  if (!unknown && code == error::kNone) {
    code = request->broker.transactions().add_partitions(parsed.transactional_id,
                                                         parsed.producer_id, parsed.producer_epoch,
                                                         partitions, TxnClock::now());
    if (code == error::kProducerFenced && request->version() < 2) {
      code = error::kInvalidProducerEpoch;
    }
  }
  AddPartitionsToTxnResponse response;
  for (const auto& topic : parsed.topics) {
    AddPartitionsToTxnResponse::AddPartitionsToTxnTopicResult topic_result;
    topic_result.name = topic.name;
    for (int32_t index : topic.partitions) {
      int16_t partition_code = code;
      if (unknown) {
        partition_code = !may_write(topic.name)      ? error::kTopicAuthorizationFailed
                         : exists(topic.name, index) ? error::kOperationNotAttempted
                                                     : error::kUnknownTopicOrPartition;
      }
      request->count_error(partition_code);
      topic_result.results.push_back({index, partition_code});
    }
    response.results.push_back(std::move(topic_result));
  }
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kAddPartitionsToTxnHandler{24, 0, 3, &handle};

}  // namespace mockforge::kafka
