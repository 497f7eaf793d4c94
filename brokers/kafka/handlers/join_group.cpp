// JoinGroup (11): hands the request to the group coordinator; the answer comes when the
// rebalance completes (posted back to this connection's strand).
#include "mockforge/kafka/join_group.h"

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/broker/group_coordinator.h"
#include "brokers/kafka/codec/consumer_protocol.h"
#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

void handle(const RequestPtr& request, Reader& body) {
  JoinGroupRequest parsed;
  parsed.decode(body, request->version());
  const int16_t refused = authorized(*request, acl::kRead, acl::kGroup, parsed.group_id)
                              ? request->check_group_coordinator(parsed.group_id)
                              : error::kGroupAuthorizationFailed;
  if (refused != 0) {
    JoinGroupResponse response;
    response.error_code = refused;
    response.generation_id = -1;
    response.member_id = parsed.member_id;
    if (request->version() < 7) response.protocol_name = "";
    request->count_error(refused);
    request->reply(response);
    return;
  }
  JoinParams params;
  params.group_id = parsed.group_id;
  params.member_id = parsed.member_id;
  params.group_instance_id = parsed.group_instance_id;
  params.client_id = request->client_id();
  params.client_host = "/" + request->client_host;
  params.protocol_type = parsed.protocol_type;
  // For the subscribe event: the topics of a consumer's subscription.
  std::vector<std::string> topics;
  if (request->events_on() && parsed.protocol_type == "consumer" && !parsed.protocols.empty()) {
    try {
      topics = decode_subscription(parsed.protocols.front().metadata).topics;
    } catch (const std::exception&) {
      // Metadata the coordinator passes on as it is; the event just lacks topics.
    }
  }
  for (auto& protocol : parsed.protocols) {
    params.protocols.emplace_back(protocol.name, std::move(protocol.metadata));
  }
  params.session_timeout = std::chrono::milliseconds(parsed.session_timeout_ms);
  // v0 has no rebalance timeout: Kafka uses the session timeout.
  params.rebalance_timeout = std::chrono::milliseconds(
      parsed.rebalance_timeout_ms > 0 ? parsed.rebalance_timeout_ms : parsed.session_timeout_ms);
  params.require_known_member_id = request->version() >= 4;
  auto group_id = parsed.group_id;
  request->broker.groups().join(
      std::move(params), GroupClock::now(), [request, topics, group_id](JoinResult result) {
        request->scheduler->post([request, topics, group_id, result = std::move(result)] {
          if (result.error_code == 0 && request->events_on()) {
            for (const auto& topic : topics) {
              traffic::Event event;
              event.kind = traffic::EventKind::kSubscribe;
              event.topic = topic;
              event.detail =
                  "group '" + group_id + "', generation " + std::to_string(result.generation_id);
              request->emit_event(std::move(event));
            }
          }
          JoinGroupResponse response;
          response.error_code = result.error_code;
          response.generation_id = result.generation_id;
          response.protocol_type = result.protocol_type;
          response.protocol_name = result.protocol_name;
          if (request->version() < 7 && !response.protocol_name) response.protocol_name = "";
          response.leader = result.leader;
          response.member_id = result.member_id;
          for (const auto& member : result.members) {
            response.members.push_back(
                {member.member_id, member.group_instance_id, member.metadata});
          }
          request->count_error(response.error_code);
          request->reply(response);
        });
      });
}

}  // namespace

extern const HandlerSpec kJoinGroupHandler{11, 0, 9, &handle};

}  // namespace mockforge::kafka
