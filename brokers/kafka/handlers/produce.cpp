// Produce (0): validates each RecordBatch v2, checks idempotent sequences and, for
// transactional batches, that the partition is in the producer's open transaction; appends to
// storage with the base offset rewritten in place, and answers per acks (0: no response). In a
// cluster, a partition this broker does not lead gets NOT_LEADER_OR_FOLLOWER. With ACLs: WRITE
// on each topic, and with a transactional id WRITE on it first (every partition answers
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED without it, as Kafka refuses the whole request).
#include "mockforge/kafka/produce.h"

#include <fmt/format.h>

#include <cstring>
#include <set>

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/broker/topic_configs.h"
#include "brokers/kafka/broker/traffic.h"
#include "brokers/kafka/broker/transaction_coordinator.h"
#include "brokers/kafka/codec/errors.h"
#include "brokers/kafka/codec/record_batch.h"
#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/handler.h"
#include "brokers/kafka/handlers/node_endpoints.h"

namespace mockforge::kafka {
namespace {

using PartitionResponse = ProduceResponse::PartitionProduceResponse;

int32_t max_message_bytes(const BrokerState& broker, const storage::Topic& topic) {
  if (auto value = topic.config("max.message.bytes")) {
    try {
      return std::stoi(*value);
    } catch (const std::exception&) {
    }
  }
  return broker.options().default_max_message_bytes;
}

bool log_append_time(const storage::Topic& topic) {
  auto value = topic.config("message.timestamp.type");
  return value && *value == "LogAppendTime";
}

int16_t storage_error(storage::ErrorCode code) {
  // Storage full is reported as KAFKA_STORAGE_ERROR (56), which clients retry.
  switch (code) {
    case storage::ErrorCode::kStorageFull:
      return error::kKafkaStorageError;
    case storage::ErrorCode::kDeleted:
      return error::kUnknownTopicOrPartition;
    default:
      return error::kCorruptMessage;
  }
}

// The topic's min.insync.replicas (1 by default).
int32_t min_insync_replicas(const storage::Topic& topic) {
  if (auto value = topic.config("min.insync.replicas")) {
    try {
      return std::stoi(*value);
    } catch (const std::exception&) {
    }
  }
  return 1;
}

PartitionResponse produce_partition(Request& request, storage::Topic& topic, int32_t index,
                                    const std::optional<BytesRef>& records, int16_t acks) {
  PartitionResponse result;
  result.index = index;
  auto partition = topic.partition(index);
  if (!partition) {
    result.error_code = error::kUnknownTopicOrPartition;
    return result;
  }
  // In a cluster (kafka.brokers) only the partition's leader appends; the
  // batch is stamped with the leader epoch it was written in.
  const Cluster::Leadership leadership = request.broker.cluster().leadership(topic.name(), index);
  if (leadership.leader != request.node_id) {
    result.error_code = error::kNotLeaderOrFollower;
    result.current_leader = {leadership.leader, leadership.epoch};  // KIP-951 (v10+)
    return result;
  }
  // acks=all needs min.insync.replicas in the ISR, checked before the append as Kafka does.
  if (acks == -1 &&
      request.broker.cluster().isr_size(topic.name(), index) < min_insync_replicas(topic)) {
    result.error_code = error::kNotEnoughReplicas;
    return result;
  }
  if (!records || records->empty()) {
    result.error_code = error::kCorruptMessage;
    return result;
  }
  if (records->size() > static_cast<std::size_t>(max_message_bytes(request.broker, topic))) {
    result.error_code = error::kMessageTooLarge;
    return result;
  }
  std::vector<RecordBatchView> batches;
  try {
    batches = split_record_batches(*records);
  } catch (const DecodeError&) {
    // A bad CRC, magic 0/1 message sets, or truncated batches.
    result.error_code = error::kCorruptMessage;
    return result;
  }
  if (batches.size() != 1) {
    // Kafka requires exactly one batch per partition from v3 on.
    result.error_code = error::kInvalidRequest;
    return result;
  }
  const RecordBatchHeader& header = batches[0].header;
  if (header.record_count <= 0 || header.is_control()) {
    result.error_code = error::kInvalidRequest;
    return result;
  }
  const bool transactional = header.is_transactional();
  if (transactional && (header.producer_id < 0 || header.base_sequence < 0)) {
    result.error_code = error::kInvalidRecord;  // transactional batches are idempotent
    return result;
  }
  // A gate (AsyncAPI validation) may refuse records: the batch is refused
  // with INVALID_RECORD, and record_errors name each refused record (v8+).
  std::optional<std::vector<traffic::Message>> messages;
  auto* hub = request.broker.traffic();
  if (hub != nullptr && hub->gated()) {
    try {
      messages = to_traffic(batches[0], topic.name(), index, request.client_id());
    } catch (const std::exception&) {
      result.error_code = error::kCorruptMessage;  // validated, but does not decompress
      return result;
    }
    for (std::size_t i = 0; i < messages->size(); ++i) {
      if (auto admission = hub->admit((*messages)[i]); admission.refused) {
        ProduceResponse::BatchIndexAndErrorMessage refused;
        refused.batch_index = static_cast<int32_t>(i);
        refused.batch_index_error_message = std::move(admission.reason);
        result.record_errors.push_back(std::move(refused));
      }
    }
    if (!result.record_errors.empty()) {
      result.error_code = error::kInvalidRecord;
      result.error_message = "One or more records have been rejected: " +
                             *result.record_errors.front().batch_index_error_message;
      return result;
    }
  }
  bool append_time = log_append_time(topic);
  int64_t now = now_ms();
  // CreateTime topics with message.timestamp.*.max.ms: each record's timestamp must be within
  // the bounds, or the batch is refused with INVALID_TIMESTAMP, as Kafka's LogValidator does.
  if (!append_time) {
    if (auto bounds = timestamp_bounds(topic, now)) {
      std::vector<Record> decoded;
      try {
        decoded = decode_records(batches[0]);
      } catch (const DecodeError&) {
        result.error_code = error::kCorruptMessage;
        return result;
      }
      for (std::size_t i = 0; i < decoded.size(); ++i) {
        const int64_t timestamp = header.base_timestamp + decoded[i].timestamp_delta;
        if (timestamp >= bounds->earliest && timestamp <= bounds->latest) continue;
        ProduceResponse::BatchIndexAndErrorMessage refused;
        refused.batch_index = static_cast<int32_t>(i);
        refused.batch_index_error_message = fmt::format(
            "Timestamp {} of message with offset {} is out of range. The timestamp "
            "should be within [{}, {}]",
            timestamp, header.base_offset + decoded[i].offset_delta, bounds->earliest,
            bounds->latest);
        result.record_errors.push_back(std::move(refused));
      }
      if (!result.record_errors.empty()) {
        result.error_code = error::kInvalidTimestamp;
        result.error_message = "One or more records have been rejected due to invalid timestamp";
        return result;
      }
    }
  }
  int64_t max_timestamp = append_time ? now : header.max_timestamp;
  auto mutator = [append_time, now, epoch = leadership.epoch](std::span<uint8_t> span,
                                                              int64_t base_offset) {
    set_base_offset(span, base_offset);
    set_partition_leader_epoch(span, epoch);
    if (append_time) set_log_append_time(span, now);
  };

  bool idempotent = header.producer_id >= 0 && header.base_sequence >= 0;
  ProducerRegistry& producers = request.broker.producers();
  std::unique_lock<std::mutex> sequence_lock;
  int32_t last_sequence = 0;
  TransactionCoordinator& transactions = request.broker.transactions();
  if (idempotent) {
    sequence_lock = std::unique_lock(producers.lock());
    if (transactional) {
      result.error_code = transactions.check_produce(header.producer_id, header.producer_epoch,
                                                     {topic.name(), index});
      if (result.error_code != error::kNone) return result;
    }
    int64_t last = int64_t{header.base_sequence} + header.last_offset_delta;
    last_sequence = static_cast<int32_t>(last % (int64_t{1} << 31));
    auto check = producers.check(header.producer_id, header.producer_epoch, topic.name(), index,
                                 header.base_sequence, last_sequence);
    if (check.kind == SequenceCheck::Kind::kError) {
      result.error_code = check.error_code;
      return result;
    }
    if (check.kind == SequenceCheck::Kind::kDuplicate) {
      result.base_offset = check.duplicate_base_offset;
      result.log_start_offset = partition->log_start_offset();
      return result;
    }
  }
  // The stored copy, for the observers, only when somebody observes.
  storage::ByteSlice stored;
  const bool observe = hub != nullptr && !transactional && hub->observed();
  auto appended = partition->append(batches[0].bytes, header.record_count, max_timestamp, mutator,
                                    observe && !messages ? &stored : nullptr);
  if (!appended.ok()) {
    result.error_code = storage_error(appended.code());
    return result;
  }
  if (idempotent) {
    producers.record(header.producer_id, header.producer_epoch, topic.name(), index,
                     header.base_sequence, last_sequence, appended.value(), max_timestamp);
    if (transactional) {
      transactions.transactional_append({topic.name(), index}, header.producer_id,
                                        appended.value());
    }
  }
  result.base_offset = appended.value();
  result.log_append_time_ms = append_time ? now : -1;
  result.log_start_offset = partition->log_start_offset();
  auto& metrics = request.broker.metrics();
  metrics.messages_produced.with({topic.name()}).inc(header.record_count);
  metrics.bytes_produced.inc(static_cast<double>(batches[0].bytes.size()));
  // Transactional records reach the observers when their transaction
  // commits (BrokerState::complete_transaction), never when it aborts.
  // They are decoded only if somebody wants them now; the history keeps the
  // batch and decodes it when queried.
  if (observe) {
    if (messages) {
      hub->accepted(std::make_shared<traffic::DecodedBatch>(std::move(*messages)));
    } else {
      hub->accepted(to_accepted_batch(std::move(stored), header.record_count, topic.name(), index,
                                      request.client_id()));
    }
  }
  return result;
}

void handle(const RequestPtr& request, Reader& body) {
  ProduceRequest parsed;
  parsed.decode(body, request->version());
  ProduceResponse response;
  std::set<int32_t> leaders;  // named in current_leader fields (KIP-951)
  bool bad_acks = parsed.acks != 0 && parsed.acks != 1 && parsed.acks != -1;
  const bool transaction_refused =
      parsed.transactional_id && !may_write_transaction(*request, *parsed.transactional_id);
  for (const auto& topic_data : parsed.topic_data) {
    ProduceResponse::TopicProduceResponse topic_result;
    topic_result.name = topic_data.name;
    const bool may_write = authorized(*request, acl::kWrite, acl::kTopic, topic_data.name);
    auto topic = bad_acks || transaction_refused || !may_write
                     ? nullptr
                     : request->broker.find_or_create_topic(
                           topic_data.name, may_create_topic(*request, topic_data.name));
    for (const auto& partition_data : topic_data.partition_data) {
      PartitionResponse result;
      if (bad_acks) {
        result.index = partition_data.index;
        result.error_code = error::kInvalidRequiredAcks;
      } else if (transaction_refused) {
        result.index = partition_data.index;
        result.error_code = error::kTransactionalIdAuthorizationFailed;
      } else if (!may_write) {
        result.index = partition_data.index;
        result.error_code = error::kTopicAuthorizationFailed;
      } else if (!topic) {
        result.index = partition_data.index;
        result.error_code = error::kUnknownTopicOrPartition;
      } else {
        result = produce_partition(*request, *topic, partition_data.index, partition_data.records,
                                   parsed.acks);
      }
      if (result.error_code != 0) result.base_offset = -1;
      if (result.error_code == error::kNotLeaderOrFollower &&
          result.current_leader.leader_id >= 0) {
        leaders.insert(result.current_leader.leader_id);
      }
      request->count_error(result.error_code);
      topic_result.partition_responses.push_back(std::move(result));
    }
    response.responses.push_back(std::move(topic_result));
  }
  response.node_endpoints = node_endpoints<ProduceResponse::NodeEndpoint>(*request, leaders);
  // The replicas share the storage, so acks=-1 is satisfied once the append is done.
  if (parsed.acks == 0) {
    request->reply_nothing();
  } else {
    request->reply(response);
  }
}

}  // namespace

extern const HandlerSpec kProduceHandler{0, 3, 11, &handle};

}  // namespace mockforge::kafka
