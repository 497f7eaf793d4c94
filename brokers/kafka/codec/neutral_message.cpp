#include "brokers/kafka/codec/neutral_message.h"

namespace mockforge::kafka {
namespace {

Bytes to_bytes(const std::string& text) { return Bytes(text.begin(), text.end()); }

std::string text(const std::optional<Bytes>& bytes) {
  return bytes ? std::string(bytes->begin(), bytes->end()) : std::string();
}

}  // namespace

NewRecord to_new_record(const traffic::Message& message, int64_t now_ms) {
  NewRecord record;
  record.timestamp_ms = message.timestamp_ms > 0 ? message.timestamp_ms : now_ms;
  if (message.key) record.key = to_bytes(*message.key);
  record.value = to_bytes(message.payload);
  for (const auto& header : message.headers)
    record.headers.push_back({header.name, to_bytes(traffic::header_text(header.value))});
  return record;
}

traffic::Message to_message(const std::string& topic, int32_t partition,
                            const RecordBatchHeader& header, const Record& record) {
  traffic::Message message;
  message.protocol = traffic::Protocol::kKafka;
  message.destination = topic;
  message.partition = partition;
  if (record.key) message.key = text(record.key);
  message.payload = text(record.value);
  for (const auto& h : record.headers) message.headers.push_back({h.key, text(h.value)});
  message.timestamp_ms = header.timestamp_type() == TimestampType::kLogAppendTime
                             ? header.max_timestamp
                             : header.base_timestamp + record.timestamp_delta;
  return message;
}

}  // namespace mockforge::kafka
