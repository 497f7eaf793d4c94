#include "brokers/kafka/broker/error_codes.h"

namespace mockforge::kafka::error {

std::string_view name(int16_t code) {
  switch (code) {
    case kNone:
      return "NONE";
    case kOffsetOutOfRange:
      return "OFFSET_OUT_OF_RANGE";
    case kCorruptMessage:
      return "CORRUPT_MESSAGE";
    case kUnknownTopicOrPartition:
      return "UNKNOWN_TOPIC_OR_PARTITION";
    case kMessageTooLarge:
      return "MESSAGE_TOO_LARGE";
    case kCoordinatorNotAvailable:
      return "COORDINATOR_NOT_AVAILABLE";
    case kInvalidTopicException:
      return "INVALID_TOPIC_EXCEPTION";
    case kRecordListTooLarge:
      return "RECORD_LIST_TOO_LARGE";
    case kNotEnoughReplicas:
      return "NOT_ENOUGH_REPLICAS";
    case kInvalidRequiredAcks:
      return "INVALID_REQUIRED_ACKS";
    case kIllegalGeneration:
      return "ILLEGAL_GENERATION";
    case kInconsistentGroupProtocol:
      return "INCONSISTENT_GROUP_PROTOCOL";
    case kInvalidGroupId:
      return "INVALID_GROUP_ID";
    case kUnknownMemberId:
      return "UNKNOWN_MEMBER_ID";
    case kInvalidSessionTimeout:
      return "INVALID_SESSION_TIMEOUT";
    case kRebalanceInProgress:
      return "REBALANCE_IN_PROGRESS";
    case kUnsupportedForMessageFormat:
      return "UNSUPPORTED_FOR_MESSAGE_FORMAT";
    case kTopicAlreadyExists:
      return "TOPIC_ALREADY_EXISTS";
    case kInvalidPartitions:
      return "INVALID_PARTITIONS";
    case kInvalidReplicationFactor:
      return "INVALID_REPLICATION_FACTOR";
    case kInvalidReplicaAssignment:
      return "INVALID_REPLICA_ASSIGNMENT";
    case kInvalidConfig:
      return "INVALID_CONFIG";
    case kInvalidRequest:
      return "INVALID_REQUEST";
    case kUnsupportedSaslMechanism:
      return "UNSUPPORTED_SASL_MECHANISM";
    case kIllegalSaslState:
      return "ILLEGAL_SASL_STATE";
    case kSaslAuthenticationFailed:
      return "SASL_AUTHENTICATION_FAILED";
    case kUnsupportedVersion:
      return "UNSUPPORTED_VERSION";
    case kPolicyViolation:
      return "POLICY_VIOLATION";
    case kOutOfOrderSequenceNumber:
      return "OUT_OF_ORDER_SEQUENCE_NUMBER";
    case kInvalidProducerEpoch:
      return "INVALID_PRODUCER_EPOCH";
    case kTransactionalIdAuthorizationFailed:
      return "TRANSACTIONAL_ID_AUTHORIZATION_FAILED";
    case kUnknownProducerId:
      return "UNKNOWN_PRODUCER_ID";
    case kKafkaStorageError:
      return "KAFKA_STORAGE_ERROR";
    case kInvalidRecord:
      return "INVALID_RECORD";
    case kGroupIdNotFound:
      return "GROUP_ID_NOT_FOUND";
    case kUnknownTopicId:
      return "UNKNOWN_TOPIC_ID";
    case kMemberIdRequired:
      return "MEMBER_ID_REQUIRED";
    case kFencedInstanceId:
      return "FENCED_INSTANCE_ID";
    case kNonEmptyGroup:
      return "NON_EMPTY_GROUP";
    case kFencedLeaderEpoch:
      return "FENCED_LEADER_EPOCH";
    case kUnknownLeaderEpoch:
      return "UNKNOWN_LEADER_EPOCH";
    case kMismatchedEndpointType:
      return "MISMATCHED_ENDPOINT_TYPE";
    case kUnsupportedEndpointType:
      return "UNSUPPORTED_ENDPOINT_TYPE";
    default:
      return "OTHER";
  }
}

}  // namespace mockforge::kafka::error
