#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "brokers/kafka/codec/compression.h"
#include "brokers/kafka/codec/types.h"

namespace mockforge::kafka {

// RecordBatch v2 (magic 2). Layout of the 61-byte header, big-endian:
//   0 baseOffset i64 | 8 batchLength i32 | 12 partitionLeaderEpoch i32 | 16 magic i8 |
//   17 crc u32 | 21 attributes i16 | 23 lastOffsetDelta i32 | 27 baseTimestamp i64 |
//   35 maxTimestamp i64 | 43 producerId i64 | 51 producerEpoch i16 | 53 baseSequence i32 |
//   57 recordCount i32 | 61 records...
// batchLength counts the bytes after itself; the CRC-32C covers attributes to the end, so
// baseOffset and partitionLeaderEpoch can be rewritten without touching it.
inline constexpr size_t kRecordBatchHeaderSize = 61;
inline constexpr size_t kRecordBatchLengthPrefix = 12;  // baseOffset + batchLength
inline constexpr size_t kRecordBatchCrcStart = 21;
inline constexpr int8_t kRecordBatchMagic = 2;

enum class TimestampType { kCreateTime = 0, kLogAppendTime = 1 };

namespace batch_attributes {
inline constexpr int16_t kCompressionMask = 0x07;
inline constexpr int16_t kLogAppendTime = 0x08;
inline constexpr int16_t kTransactional = 0x10;
inline constexpr int16_t kControl = 0x20;
inline constexpr int16_t kDeleteHorizon = 0x40;
}  // namespace batch_attributes

struct RecordBatchHeader {
  int64_t base_offset = 0;
  int32_t batch_length = 0;
  int32_t partition_leader_epoch = -1;
  int8_t magic = kRecordBatchMagic;
  uint32_t crc = 0;
  int16_t attributes = 0;
  int32_t last_offset_delta = 0;
  int64_t base_timestamp = 0;
  int64_t max_timestamp = 0;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  int32_t record_count = 0;

  Compression compression() const;
  TimestampType timestamp_type() const;
  bool is_transactional() const { return (attributes & batch_attributes::kTransactional) != 0; }
  bool is_control() const { return (attributes & batch_attributes::kControl) != 0; }
  int64_t last_offset() const { return base_offset + last_offset_delta; }
  // Bytes of the whole batch, header included.
  size_t total_size() const { return kRecordBatchLengthPrefix + static_cast<size_t>(batch_length); }
};

struct RecordHeader {
  std::string key;
  std::optional<Bytes> value;
  bool operator==(const RecordHeader&) const = default;
};

struct Record {
  int8_t attributes = 0;
  int64_t timestamp_delta = 0;
  int32_t offset_delta = 0;
  std::optional<Bytes> key;
  std::optional<Bytes> value;
  std::vector<RecordHeader> headers;
  bool operator==(const Record&) const = default;
};

// One validated batch inside a larger buffer.
struct RecordBatchView {
  RecordBatchHeader header;
  std::span<const uint8_t> bytes;  // the whole batch

  // The (possibly compressed) records that follow the header.
  std::span<const uint8_t> records_section() const { return bytes.subspan(kRecordBatchHeaderSize); }
};

// Parses the batch at the start of `data` and validates it: batchLength within the data and at
// least a header, magic 2, CRC-32C, a non-negative record count, a known compression codec.
// Throws DecodeError.
RecordBatchView parse_record_batch(std::span<const uint8_t> data);

// Splits a records field (Produce, Fetch) into its batches. With `allow_truncated_tail`, a
// partial batch at the end (Fetch may cut one at max_bytes) is ignored instead of rejected.
std::vector<RecordBatchView> split_record_batches(std::span<const uint8_t> data,
                                                  bool allow_truncated_tail = false);

// Decompresses (when needed) and decodes the records, checking that there are exactly
// recordCount of them and no trailing bytes. Throws DecodeError.
std::vector<Record> decode_records(const RecordBatchView& batch,
                                   size_t max_decompressed = kMaxDecompressedSize);

// A record for build_record_batch: offsets are assigned in order, deltas computed for you.
struct NewRecord {
  int64_t timestamp_ms = 0;
  std::optional<Bytes> key;
  std::optional<Bytes> value;
  std::vector<RecordHeader> headers;
};

struct BatchOptions {
  int64_t base_offset = 0;
  int32_t partition_leader_epoch = -1;
  Compression compression = Compression::kNone;
  TimestampType timestamp_type = TimestampType::kCreateTime;
  bool transactional = false;
  bool control = false;  // a control batch (transaction markers)
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
};

// Builds one RecordBatch v2 with a valid CRC. Throws EncodeError for an empty record list.
Bytes build_record_batch(std::span<const NewRecord> records, const BatchOptions& options = {});

// In-place rewrites of a stored batch (`batch` starts at its baseOffset). The first two leave
// the CRC valid because it does not cover them.
void set_base_offset(std::span<uint8_t> batch, int64_t base_offset);
void set_partition_leader_epoch(std::span<uint8_t> batch, int32_t partition_leader_epoch);
// What a Kafka broker does for topics with message.timestamp.type=LogAppendTime: set the
// timestamp-type attribute bit and maxTimestamp to the append time, leave the records (and
// baseTimestamp) alone, and recompute the CRC since both fields are covered by it. Consumers
// then report maxTimestamp as every record's timestamp.
void set_log_append_time(std::span<uint8_t> batch, int64_t append_time_ms);

// Recomputes and stores the CRC of a batch.
void update_crc(std::span<uint8_t> batch);

}  // namespace mockforge::kafka
