#pragma once

// Kafka protocol error codes the broker returns (subset of Kafka's Errors enum).

#include <cstdint>
#include <string_view>

namespace mockforge::kafka::error {

inline constexpr int16_t kNone = 0;
inline constexpr int16_t kOffsetOutOfRange = 1;
inline constexpr int16_t kCorruptMessage = 2;
inline constexpr int16_t kUnknownTopicOrPartition = 3;
inline constexpr int16_t kMessageTooLarge = 10;
inline constexpr int16_t kLeaderNotAvailable = 5;
inline constexpr int16_t kNotLeaderOrFollower = 6;
inline constexpr int16_t kCoordinatorLoadInProgress = 14;
inline constexpr int16_t kCoordinatorNotAvailable = 15;
inline constexpr int16_t kNotCoordinator = 16;
inline constexpr int16_t kInvalidTopicException = 17;
inline constexpr int16_t kRecordListTooLarge = 18;
inline constexpr int16_t kNotEnoughReplicas = 19;
inline constexpr int16_t kInvalidRequiredAcks = 21;
inline constexpr int16_t kIllegalGeneration = 22;
inline constexpr int16_t kInconsistentGroupProtocol = 23;
inline constexpr int16_t kInvalidGroupId = 24;
inline constexpr int16_t kUnknownMemberId = 25;
inline constexpr int16_t kInvalidSessionTimeout = 26;
inline constexpr int16_t kRebalanceInProgress = 27;
inline constexpr int16_t kTopicAuthorizationFailed = 29;
inline constexpr int16_t kInvalidTimestamp = 32;
inline constexpr int16_t kGroupAuthorizationFailed = 30;
inline constexpr int16_t kClusterAuthorizationFailed = 31;
inline constexpr int16_t kUnsupportedForMessageFormat = 43;
inline constexpr int16_t kTopicAlreadyExists = 36;
inline constexpr int16_t kInvalidPartitions = 37;
inline constexpr int16_t kInvalidReplicationFactor = 38;
inline constexpr int16_t kInvalidReplicaAssignment = 39;
inline constexpr int16_t kInvalidConfig = 40;
inline constexpr int16_t kInvalidRequest = 42;
inline constexpr int16_t kUnsupportedSaslMechanism = 33;
inline constexpr int16_t kIllegalSaslState = 34;
inline constexpr int16_t kUnsupportedVersion = 35;
inline constexpr int16_t kPolicyViolation = 44;
inline constexpr int16_t kOutOfOrderSequenceNumber = 45;
inline constexpr int16_t kInvalidProducerEpoch = 47;
inline constexpr int16_t kInvalidTxnState = 48;
inline constexpr int16_t kInvalidProducerIdMapping = 49;
inline constexpr int16_t kInvalidTransactionTimeout = 50;
inline constexpr int16_t kConcurrentTransactions = 51;
inline constexpr int16_t kTransactionalIdAuthorizationFailed = 53;
inline constexpr int16_t kSecurityDisabled = 54;
inline constexpr int16_t kOperationNotAttempted = 55;
inline constexpr int16_t kProducerFenced = 90;
inline constexpr int16_t kUnknownProducerId = 59;
inline constexpr int16_t kKafkaStorageError = 56;
inline constexpr int16_t kSaslAuthenticationFailed = 58;
inline constexpr int16_t kGroupIdNotFound = 69;
inline constexpr int16_t kUnknownTopicId = 100;
inline constexpr int16_t kMemberIdRequired = 79;
inline constexpr int16_t kInvalidRecord = 87;
inline constexpr int16_t kFencedInstanceId = 82;
inline constexpr int16_t kNonEmptyGroup = 68;
inline constexpr int16_t kFencedLeaderEpoch = 74;
inline constexpr int16_t kUnknownLeaderEpoch = 75;
inline constexpr int16_t kBrokerNotAvailable = 8;
inline constexpr int16_t kPreferredLeaderNotAvailable = 80;
inline constexpr int16_t kEligibleLeadersNotAvailable = 83;
inline constexpr int16_t kElectionNotNeeded = 84;
inline constexpr int16_t kNoReassignmentInProgress = 85;
inline constexpr int16_t kMismatchedEndpointType = 114;
inline constexpr int16_t kUnsupportedEndpointType = 115;
inline constexpr int16_t kGroupSubscribedToTopic = 86;
inline constexpr int16_t kTransactionalIdNotFound = 105;

// Kafka's upper-snake name of a code, for metrics and logs.
std::string_view name(int16_t code);

}  // namespace mockforge::kafka::error
