// DescribeTransactions (65): the transaction coordinator's state of each transactional id
// (KIP-664): state as Kafka names it, timeout, start time of the current transaction (-1
// between transactions), producer id and epoch, and the partitions of the ongoing
// transaction. DESCRIBE on the transactional id, else TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
// NOT_COORDINATOR on a broker that does not coordinate it (kafka.brokers);
// TRANSACTIONAL_ID_NOT_FOUND for an id no InitProducerId created. Partitions of topics the
// principal may not DESCRIBE are left out, as Kafka does.
#include "mockforge/kafka/describe_transactions.h"

#include <map>

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/broker/transaction_coordinator.h"
#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

using TransactionState = DescribeTransactionsResponse::TransactionState;

TransactionState describe(const Request& request, const std::string& transactional_id) {
  TransactionState result;
  result.transactional_id = transactional_id;
  if (!authorized(request, acl::kDescribe, acl::kTransactionalId, transactional_id)) {
    result.error_code = error::kTransactionalIdAuthorizationFailed;
    return result;
  }
  result.error_code = request.check_transaction_coordinator(transactional_id);
  if (result.error_code != 0) return result;
  auto described = request.broker.transactions().describe(transactional_id);
  if (!described) {
    result.error_code = error::kTransactionalIdNotFound;
    return result;
  }
  result.transaction_state = std::string(txn_state_name(described->state));
  result.transaction_timeout_ms = described->timeout_ms;
  result.transaction_start_time_ms = described->start_time_ms;
  result.producer_id = described->producer_id;
  result.producer_epoch = described->producer_epoch;
  std::map<std::string, std::vector<int32_t>> by_topic;
  for (const auto& [topic, partition] : described->partitions) {
    by_topic[topic].push_back(partition);
  }
  for (auto& [topic, partitions] : by_topic) {
    if (!authorized(request, acl::kDescribe, acl::kTopic, topic)) continue;
    result.topic_partitions.push_back({topic, std::move(partitions)});
  }
  return result;
}

void handle(const RequestPtr& request, Reader& body) {
  DescribeTransactionsRequest parsed;
  parsed.decode(body, request->version());
  DescribeTransactionsResponse response;
  for (const auto& transactional_id : parsed.transactional_ids) {
    auto result = describe(*request, transactional_id);
    request->count_error(result.error_code);
    response.transaction_states.push_back(std::move(result));
  }
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kDescribeTransactionsHandler{65, 0, 0, &handle};

}  // namespace mockforge::kafka
