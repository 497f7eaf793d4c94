// Reads a Kafka topic back from storage, record by record, the way a
// consumer would decode it: for tests of what was appended.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "brokers/kafka/codec/record_batch.h"
#include "core/storage/engine.h"

namespace mockforge::testing {

struct StoredRecord {
  int32_t partition;
  int64_t offset;
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
};

inline std::vector<StoredRecord> read_topic(storage::Engine& storage, const std::string& name) {
  std::vector<StoredRecord> out;
  auto topic = storage.logs().find(name);
  if (!topic) return out;
  auto text = [](const auto& bytes) {
    return bytes ? std::string(bytes->begin(), bytes->end()) : std::string();
  };
  for (int32_t p = 0; p < topic->partition_count(); ++p) {
    auto read = topic->partition(p)->read(0, 64 << 20);
    if (!read.ok()) continue;
    for (const auto& batch : read->batches) {
      const auto view = kafka::parse_record_batch(batch.bytes.span());
      for (const auto& record : kafka::decode_records(view)) {
        StoredRecord r{p,
                       view.header.base_offset + record.offset_delta,
                       text(record.key),
                       text(record.value),
                       {}};
        for (const auto& h : record.headers) r.headers.emplace_back(h.key, text(h.value));
        out.push_back(std::move(r));
      }
    }
  }
  return out;
}

}  // namespace mockforge::testing
