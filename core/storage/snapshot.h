// The engine's full state as plain values (used for reset and snapshots) and
// its versioned binary encoding.
//
// File layout (little-endian):
//   magic "MFSNAPSH" | u32 format version | u64 payload size | payload | u32 CRC-32
// The CRC-32 (IEEE) covers everything before it. Payload sections, in order:
// topics, queues, retained messages, sessions.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/storage/common.h"
#include "core/storage/log.h"
#include "core/storage/mqtt_state.h"
#include "core/storage/queue.h"

namespace mockforge::storage {

// Version 2 added the messages' CC/BCC routing keys; version 1 files are
// still read (their messages have none).
inline constexpr uint32_t kSnapshotFormatVersion = 3;
inline constexpr uint32_t kOldestSnapshotFormatVersion = 1;

struct EngineImage {
  std::vector<TopicImage> topics;
  std::vector<QueueImage> queues;
  RetainedImage retained;
  std::vector<SessionImage> sessions;
  // Version 3: state brokers keep outside storage (AMQP topology, Kafka
  // group offsets), opaque bytes by extension name; see Engine.
  std::map<std::string, std::string> extensions;
};

std::string encode_snapshot(const EngineImage& image);
// `source_name` (usually the file path) prefixes every error message.
Result<EngineImage> decode_snapshot(std::string_view data, std::string_view source_name);

uint32_t crc32(std::string_view data);

}  // namespace mockforge::storage
