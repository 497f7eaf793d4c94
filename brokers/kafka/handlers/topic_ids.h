#pragma once

// Conversions between storage topic ids and wire UUIDs.

#include <cstring>

#include "brokers/kafka/codec/types.h"
#include "core/storage/log.h"

namespace mockforge::kafka {

inline Uuid to_uuid(const storage::TopicId& id) {
  Uuid uuid;
  std::memcpy(uuid.bytes.data(), id.bytes.data(), uuid.bytes.size());
  return uuid;
}

inline storage::TopicId to_topic_id(const Uuid& uuid) {
  storage::TopicId id;
  std::memcpy(id.bytes.data(), uuid.bytes.data(), id.bytes.size());
  return id;
}

}  // namespace mockforge::kafka
