#include "brokers/amqp/handlers/handler_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace mockforge::amqp {
namespace {

// The client-to-server methods of the classes the handlers serve (connection
// and channel methods are the connection's own).
const std::set<MethodId> kClientMethods = {
    ExchangeDeclare::kId, ExchangeDelete::kId, ExchangeBind::kId,      ExchangeUnbind::kId,
    QueueDeclare::kId,    QueueBind::kId,      QueueUnbind::kId,       QueuePurge::kId,
    QueueDelete::kId,     BasicQos::kId,       BasicConsume::kId,      BasicCancel::kId,
    BasicPublish::kId,    BasicGet::kId,       BasicAck::kId,          BasicReject::kId,
    BasicNack::kId,       BasicRecover::kId,   BasicRecoverAsync::kId, ConfirmSelect::kId,
    TxSelect::kId,        TxCommit::kId,       TxRollback::kId,
};

TEST(AmqpHandlerTable, EveryClientMethodOnceAndNothingElse) {
  std::set<MethodId> registered;
  for (const HandlerEntry& entry : registered_handlers()) {
    EXPECT_TRUE(registered.insert(entry.id).second)
        << "registered twice: " << entry.id.class_id << "." << entry.id.method_id;
    EXPECT_NE(entry.handler, nullptr);
  }
  EXPECT_EQ(registered, kClientMethods);
}

TEST(AmqpHandlerTable, FindsEveryRegisteredMethodAndNoOther) {
  for (const MethodInfo& info : all_method_infos()) {
    Handler handler = find_handler(info.id);
    if (kClientMethods.contains(info.id)) {
      EXPECT_NE(handler, nullptr) << info.name;
    } else {
      EXPECT_EQ(handler, nullptr) << info.name;
    }
  }
  EXPECT_EQ(find_handler(MethodId{0, 0}), nullptr);
  EXPECT_EQ(find_handler(MethodId{0xffff, 0xffff}), nullptr);
}

}  // namespace
}  // namespace mockforge::amqp
