// TxnOffsetCommit (28): offsets consumed inside a transaction (send_offsets_to_transaction),
// held by the transaction coordinator and stored in the group only when EndTxn commits. With
// ACLs: WRITE on the transactional id (else every partition answers
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED), READ on the group (GROUP_AUTHORIZATION_FAILED), then
// READ on each topic (TOPIC_AUTHORIZATION_FAILED for its partitions; the others are staged).
#include "mockforge/kafka/txn_offset_commit.h"

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/broker/group_coordinator.h"
#include "brokers/kafka/broker/transaction_coordinator.h"
#include "brokers/kafka/handlers/authorize.h"
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
  int16_t refused = error::kNone;  // for every partition
  if (!may_write_transaction(*request, parsed.transactional_id)) {
    refused = error::kTransactionalIdAuthorizationFailed;
  } else if (!authorized(*request, acl::kRead, acl::kGroup, parsed.group_id)) {
    refused = error::kGroupAuthorizationFailed;
  }
  auto may_read = [&](const std::string& topic) {
    return authorized(*request, acl::kRead, acl::kTopic, topic);
  };
  std::vector<std::pair<TopicPartitionKey, CommittedOffset>> offsets;
  for (const auto& topic : parsed.topics) {
    for (const auto& partition : topic.partitions) {
      if (may_read(topic.name) && exists(topic.name, partition.partition_index)) {
        offsets.push_back({{topic.name, partition.partition_index},
                           {partition.committed_offset, partition.committed_leader_epoch,
                            partition.committed_metadata}});
      }
    }
  }
  // v3+ names the consumer's member and generation, checked as OffsetCommit does.
  int16_t code =
      refused != error::kNone ? refused : request->check_group_coordinator(parsed.group_id);
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
      int16_t partition_code = code;
      if (refused == error::kNone && !may_read(topic.name)) {
        partition_code = error::kTopicAuthorizationFailed;
      } else if (refused == error::kNone && !exists(topic.name, partition.partition_index)) {
        partition_code = error::kUnknownTopicOrPartition;
      }
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
