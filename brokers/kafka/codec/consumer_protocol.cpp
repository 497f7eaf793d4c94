#include "brokers/kafka/codec/consumer_protocol.h"

#include <algorithm>

#include "brokers/kafka/codec/reader.h"
#include "brokers/kafka/codec/writer.h"

namespace mockforge::kafka {
namespace k = mockforge::kafka;

k::Bytes encode_subscription(const Subscription& subscription) {
  k::Writer writer;
  writer.write_int16(0);
  writer.write_array_length(static_cast<int32_t>(subscription.topics.size()), false);
  for (const auto& topic : subscription.topics) writer.write_string(topic, false);
  writer.write_nullable_bytes(subscription.user_data, false);
  return writer.take();
}

Subscription decode_subscription(std::span<const uint8_t> data) {
  k::Reader reader(data);
  Subscription subscription;
  reader.read_int16();  // version; later versions only append fields
  const int32_t count = reader.read_array_length(false);
  for (int32_t i = 0; i < count; ++i) subscription.topics.push_back(reader.read_string(false));
  if (!reader.at_end()) subscription.user_data = reader.read_nullable_bytes(false);
  return subscription;
}

k::Bytes encode_assignment(const Assignment& assignment) {
  k::Writer writer;
  writer.write_int16(0);
  writer.write_array_length(static_cast<int32_t>(assignment.size()), false);
  for (const auto& [topic, partitions] : assignment) {
    writer.write_string(topic, false);
    writer.write_array_length(static_cast<int32_t>(partitions.size()), false);
    for (const int32_t partition : partitions) writer.write_int32(partition);
  }
  writer.write_nullable_bytes(std::optional<k::Bytes>(), false);
  return writer.take();
}

Assignment decode_assignment(std::span<const uint8_t> data) {
  Assignment assignment;
  if (data.empty()) return assignment;
  k::Reader reader(data);
  reader.read_int16();
  const int32_t topics = reader.read_array_length(false);
  for (int32_t i = 0; i < topics; ++i) {
    auto& partitions = assignment[reader.read_string(false)];
    const int32_t count = reader.read_array_length(false);
    for (int32_t j = 0; j < count; ++j) partitions.push_back(reader.read_int32());
  }
  return assignment;
}

std::map<std::string, Assignment> range_assign(
    const std::map<std::string, Subscription>& members,
    const std::map<std::string, int32_t>& partition_counts) {
  std::map<std::string, Assignment> result;
  for (const auto& [member, subscription] : members) result[member];
  for (const auto& [topic, count] : partition_counts) {
    std::vector<std::string> subscribers;  // std::map iterates in member id order
    for (const auto& [member, subscription] : members) {
      if (std::find(subscription.topics.begin(), subscription.topics.end(), topic) !=
          subscription.topics.end()) {
        subscribers.push_back(member);
      }
    }
    if (subscribers.empty()) continue;
    const int32_t n = static_cast<int32_t>(subscribers.size());
    const int32_t per_member = count / n;
    const int32_t extra = count % n;
    int32_t next = 0;
    for (int32_t i = 0; i < n; ++i) {
      const int32_t take = per_member + (i < extra ? 1 : 0);
      auto& partitions = result[subscribers[static_cast<size_t>(i)]][topic];
      for (int32_t p = 0; p < take; ++p) partitions.push_back(next++);
    }
  }
  return result;
}

}  // namespace mockforge::kafka
