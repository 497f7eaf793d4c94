// DescribeGroups (15): state, protocol and members with metadata and assignment; unknown
// groups are described as Dead with no error, as Kafka does.
#include "mockforge/kafka/describe_groups.h"

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/broker/group_coordinator.h"
#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/handler.h"

namespace mockforge::kafka {
namespace {

void handle(const RequestPtr& request, Reader& body) {
  DescribeGroupsRequest parsed;
  parsed.decode(body, request->version());
  DescribeGroupsResponse response;
  for (const auto& group_id : parsed.groups) {
    if (!authorized(*request, acl::kDescribe, acl::kGroup, group_id)) {
      DescribeGroupsResponse::DescribedGroup refused;
      refused.group_id = group_id;
      refused.error_code = error::kGroupAuthorizationFailed;
      request->count_error(refused.error_code);
      response.groups.push_back(std::move(refused));
      continue;
    }
    DescribeGroupsResponse::DescribedGroup out;
    out.group_id = group_id;
    if (int16_t code = request->check_group_coordinator(group_id); code != 0) {
      out.error_code = code;
      request->count_error(code);
      response.groups.push_back(std::move(out));
      continue;
    }
    GroupDescription description = request->broker.groups().describe(group_id);
    out.error_code = description.error_code;
    out.group_state = std::string(group_state_name(description.state));
    out.protocol_type = description.protocol_type;
    out.protocol_data = description.protocol_name;
    for (auto& member : description.members) {
      out.members.push_back({member.member_id, member.group_instance_id, member.client_id,
                             member.client_host, std::move(member.metadata),
                             std::move(member.assignment)});
    }
    if (parsed.include_authorized_operations)
      out.authorized_operations = authorized_operations(*request, acl::kGroup, group_id);
    response.groups.push_back(std::move(out));
  }
  request->reply(response);
}

}  // namespace

extern const HandlerSpec kDescribeGroupsHandler{15, 0, 5, &handle};

}  // namespace mockforge::kafka
