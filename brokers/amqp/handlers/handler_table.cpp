// The registry: the one list of handler entries that dispatch reads. Each
// entry is defined in its method's file; adding a method means adding its file
// (to CMakeLists.txt too) and its line here.
#include "brokers/amqp/handlers/handler_table.h"

#include <algorithm>
#include <vector>

namespace mockforge::amqp {

extern const HandlerEntry kExchangeDeclareHandler;
extern const HandlerEntry kExchangeDeleteHandler;
extern const HandlerEntry kExchangeBindHandler;
extern const HandlerEntry kExchangeUnbindHandler;
extern const HandlerEntry kQueueDeclareHandler;
extern const HandlerEntry kQueueBindHandler;
extern const HandlerEntry kQueueUnbindHandler;
extern const HandlerEntry kQueuePurgeHandler;
extern const HandlerEntry kQueueDeleteHandler;
extern const HandlerEntry kBasicQosHandler;
extern const HandlerEntry kBasicConsumeHandler;
extern const HandlerEntry kBasicCancelHandler;
extern const HandlerEntry kBasicPublishHandler;
extern const HandlerEntry kBasicGetHandler;
extern const HandlerEntry kBasicAckHandler;
extern const HandlerEntry kBasicRejectHandler;
extern const HandlerEntry kBasicNackHandler;
extern const HandlerEntry kBasicRecoverHandler;
extern const HandlerEntry kBasicRecoverAsyncHandler;
extern const HandlerEntry kConfirmSelectHandler;
extern const HandlerEntry kTxSelectHandler;
extern const HandlerEntry kTxCommitHandler;
extern const HandlerEntry kTxRollbackHandler;

namespace {

// Sorted by method id for a binary search (dispatch runs it for every method,
// publishes included); a method listed twice is a programming error.
std::vector<HandlerEntry> build_registry() {
  const HandlerEntry* entries[] = {
      &kExchangeDeclareHandler,   &kExchangeDeleteHandler, &kExchangeBindHandler,
      &kExchangeUnbindHandler,    &kQueueDeclareHandler,   &kQueueBindHandler,
      &kQueueUnbindHandler,       &kQueuePurgeHandler,     &kQueueDeleteHandler,
      &kBasicQosHandler,          &kBasicConsumeHandler,   &kBasicCancelHandler,
      &kBasicPublishHandler,      &kBasicGetHandler,       &kBasicAckHandler,
      &kBasicRejectHandler,       &kBasicNackHandler,      &kBasicRecoverHandler,
      &kBasicRecoverAsyncHandler, &kConfirmSelectHandler,  &kTxSelectHandler,
      &kTxCommitHandler,          &kTxRollbackHandler,
  };
  std::vector<HandlerEntry> table;
  for (const HandlerEntry* entry : entries) table.push_back(*entry);
  std::ranges::sort(table, {}, &HandlerEntry::id);
  return table;
}

const std::vector<HandlerEntry>& registry() {
  static const std::vector<HandlerEntry> table = build_registry();
  return table;
}

}  // namespace

std::span<const HandlerEntry> registered_handlers() { return registry(); }

Handler find_handler(MethodId id) {
  const std::vector<HandlerEntry>& table = registry();
  auto it = std::ranges::lower_bound(table, id, {}, &HandlerEntry::id);
  return it != table.end() && it->id == id ? it->handler : nullptr;
}

}  // namespace mockforge::amqp
