// DeleteTopics (20): by name, or by topic id from v6.
#include "mockforge/kafka/delete_topics.h"

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/broker/transaction_coordinator.h"
#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/handler.h"
#include "brokers/kafka/handlers/topic_ids.h"

namespace mockforge::kafka {
namespace {

void handle(const RequestPtr& request, Reader& body) {
  DeleteTopicsRequest parsed;
  parsed.decode(body, request->version());
  auto& logs = request->broker.storage().logs();
  DeleteTopicsResponse response;
  std::vector<DeleteTopicsRequest::DeleteTopicState> wanted = parsed.topics;
  for (const auto& name : parsed.topic_names) wanted.push_back({name, {}});
  for (const auto& entry : wanted) {
    DeleteTopicsResponse::DeletableTopicResult result;
    result.name = entry.name;
    result.topic_id = entry.topic_id;
    std::shared_ptr<storage::Topic> topic;
    if (entry.name) {
      topic = logs.find(*entry.name);
    } else {
      topic = logs.find(to_topic_id(entry.topic_id));
    }
    const std::optional<std::string> name = topic ? std::optional(topic->name()) : entry.name;
    if (name && !authorized(*request, acl::kDelete, acl::kTopic, *name)) {
      result.error_code = error::kTopicAuthorizationFailed;
    } else if (!topic) {
      result.error_code = entry.name ? error::kUnknownTopicOrPartition : error::kUnknownTopicId;
    } else {
      result.name = topic->name();
      result.topic_id = to_uuid(topic->id());
      auto status = logs.delete_topic(topic->name());
      if (!status.ok()) {
        result.error_code = error::kUnknownTopicOrPartition;
      } else {
        request->broker.transactions().forget_topic(topic->name());
      }
    }
    request->count_error(result.error_code);
    response.responses.push_back(std::move(result));
  }
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kDeleteTopicsHandler{20, 0, 6, &handle};

}  // namespace mockforge::kafka
