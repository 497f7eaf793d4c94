// ListTransactions (66): the transactional ids this broker coordinates (kafka.brokers: each
// broker lists its own, and admin clients ask every broker), with producer id and state as
// Kafka names them (KIP-664). State filters match names exactly; the names Kafka does not
// know come back in unknown_state_filters and match nothing. Producer id filters match ids. Ids the
// principal may not DESCRIBE are left out, as Kafka does. Version 1's duration filter (KIP-994),
// when not negative, keeps the transactions that have run longer than that many milliseconds:
// now minus the start time, as Kafka's coordinator computes it, so an id with no transaction
// started (start time -1) passes.
#include "mockforge/kafka/list_transactions.h"

#include <algorithm>
#include <chrono>

#include "brokers/kafka/broker/transaction_coordinator.h"
#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

template <typename T>
bool matches(const std::vector<T>& filter, const T& value) {
  return filter.empty() || std::find(filter.begin(), filter.end(), value) != filter.end();
}

void handle(const RequestPtr& request, Reader& body) {
  ListTransactionsRequest parsed;
  parsed.decode(body, request->version());
  ListTransactionsResponse response;
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  for (const auto& name : parsed.state_filters) {
    if (!is_kafka_txn_state_name(name)) response.unknown_state_filters.push_back(name);
  }
  for (const auto& txn : request->broker.transactions().list()) {
    if (request->check_transaction_coordinator(txn.transactional_id) != 0) continue;
    std::string state(txn_state_name(txn.state));
    if (!matches(parsed.state_filters, state)) continue;
    if (!matches(parsed.producer_id_filters, txn.producer_id)) continue;
    if (parsed.duration_filter >= 0 && now_ms - txn.start_time_ms <= parsed.duration_filter) {
      continue;
    }
    if (!authorized(*request, acl::kDescribe, acl::kTransactionalId, txn.transactional_id)) {
      continue;
    }
    response.transaction_states.push_back({txn.transactional_id, txn.producer_id, state});
  }
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kListTransactionsHandler{66, 0, 1, &handle};

}  // namespace mockforge::kafka
