// TxnOffsetCommit (28): offsets consumed inside a transaction (send_offsets_to_transaction),
// held by the transaction coordinator and stored in the group only when EndTxn commits.
#include "mockforge/kafka/txn_offset_commit.h"

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/broker/group_coordinator.h"
#include "brokers/kafka/broker/transaction_coordinator.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

void handle(const RequestPtr& request, Reader& body) {
  TxnOffsetCommitRequest parsed;
  parsed.decode(body, request->version());
  auto& logs = request->broker.storage().logs();
  auto exists = [&](const std::string& topic, int32_t index) {
    auto stored = logs.find(topic);
    return stored && index >= 0 && index < stored->partition_count();
  };
  std::vector<std::pair<TopicPartitionKey, CommittedOffset>> offsets;
  for (const auto& topic : parsed.topics) {
    for (const auto& partition : topic.partitions) {
      if (exists(topic.name, partition.partition_index)) {
        offsets.push_back({{topic.name, partition.partition_index},
                           {partition.committed_offset, partition.committed_leader_epoch,
                            partition.committed_metadata}});
      }
    }
  }
  // v3+ names the consumer's member and generation, checked as OffsetCommit does.
  int16_t code = request->check_group_coordinator(parsed.group_id);
  if (code == error::kNone) {
    code = request->broker.groups().check_member(parsed.group_id, parsed.member_id,
                                                 parsed.generation_id);
  }
  if (code == error::kNone) {
    code = request->broker.transactions().stage_offsets(parsed.transactional_id, parsed.producer_id,
                                                        parsed.producer_epoch, parsed.group_id,
                                                        offsets);
  }
  TxnOffsetCommitResponse response;
  for (const auto& topic : parsed.topics) {
    TxnOffsetCommitResponse::TxnOffsetCommitResponseTopic topic_result;
    topic_result.name = topic.name;
    for (const auto& partition : topic.partitions) {
      int16_t partition_code =
          exists(topic.name, partition.partition_index) ? code : error::kUnknownTopicOrPartition;
      request->count_error(partition_code);
      topic_result.partitions.push_back({partition.partition_index, partition_code});
    }
    response.topics.push_back(std::move(topic_result));
  }
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kTxnOffsetCommitHandler{28, 0, 3, &handle};

}  // namespace mockforge::kafka
