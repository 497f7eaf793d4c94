// Kafka records as the protocol-neutral message (core/traffic/message.h)
// carries them, both ways. One mapping for the broker's traffic seam and for
// the CLI clients that produce to or fetch from a real broker.
#pragma once

#include <cstdint>
#include <string>

#include "brokers/kafka/codec/record_batch.h"
#include "core/traffic/message.h"

namespace mockforge::kafka {

// Key, value, headers (as text) and timestamp; a message without a timestamp
// gets `now_ms`.
NewRecord to_new_record(const traffic::Message& message, int64_t now_ms);

// A record of a batch on topic/partition: key, value (empty when null),
// headers, and the timestamp the batch's timestamp type gives.
traffic::Message to_message(const std::string& topic, int32_t partition,
                            const RecordBatchHeader& header, const Record& record);

}  // namespace mockforge::kafka
