#include "brokers/kafka/codec/record_batch.h"

#include <algorithm>
#include <string>

#include "brokers/kafka/codec/crc32c.h"
#include "brokers/kafka/codec/errors.h"
#include "brokers/kafka/codec/reader.h"
#include "brokers/kafka/codec/writer.h"

namespace mockforge::kafka {

namespace {

constexpr size_t kPartitionLeaderEpochOffset = 12;
constexpr size_t kMagicOffset = 16;
constexpr size_t kCrcOffset = 17;
constexpr size_t kAttributesOffset = 21;
constexpr size_t kMaxTimestampOffset = 35;
constexpr int32_t kMinBatchLength =
    static_cast<int32_t>(kRecordBatchHeaderSize - kRecordBatchLengthPrefix);

void store_big_endian(std::span<uint8_t> out, size_t offset, uint64_t value, size_t width) {
  for (size_t i = 0; i < width; ++i) {
    out[offset + i] = static_cast<uint8_t>(value >> (8 * (width - 1 - i)));
  }
}

void require_whole_header(std::span<const uint8_t> batch) {
  if (batch.size() < kRecordBatchHeaderSize) throw DecodeError("record batch shorter than header");
  if (batch[kMagicOffset] != kRecordBatchMagic) {
    throw DecodeError("record batch magic " +
                      std::to_string(static_cast<int8_t>(batch[kMagicOffset])) + " is not 2");
  }
}

std::optional<Bytes> read_varint_bytes(Reader& reader) {
  const int32_t length = reader.read_varint();
  if (length < -1) throw DecodeError("negative record field length");
  if (length == -1) return std::nullopt;
  const auto span = reader.read_span(static_cast<size_t>(length));
  return Bytes(span.begin(), span.end());
}

Record decode_record(Reader& reader) {
  const int32_t length = reader.read_varint();
  if (length < 0) throw DecodeError("negative record length");
  Reader body(reader.read_span(static_cast<size_t>(length)));
  Record record;
  record.attributes = body.read_int8();
  record.timestamp_delta = body.read_varlong();
  record.offset_delta = body.read_varint();
  record.key = read_varint_bytes(body);
  record.value = read_varint_bytes(body);
  const int32_t header_count = body.read_varint();
  if (header_count < 0 || static_cast<size_t>(header_count) > body.remaining()) {
    throw DecodeError("bad record header count " + std::to_string(header_count));
  }
  record.headers.reserve(static_cast<size_t>(header_count));
  for (int32_t i = 0; i < header_count; ++i) {
    RecordHeader header;
    auto key = read_varint_bytes(body);
    if (!key) throw DecodeError("null record header key");
    header.key.assign(key->begin(), key->end());
    header.value = read_varint_bytes(body);
    record.headers.push_back(std::move(header));
  }
  if (!body.at_end()) throw DecodeError("trailing bytes inside a record");
  return record;
}

void write_varint_bytes(Writer& writer, const std::optional<Bytes>& value) {
  if (!value) {
    writer.write_varint(-1);
    return;
  }
  writer.write_varint(checked_array_length(value->size()));
  writer.write_raw(*value);
}

// Bytes of a zigzag varint.
size_t varint_size(int64_t value) {
  uint64_t zigzag = (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
  size_t size = 1;
  while (zigzag >= 0x80) {
    zigzag >>= 7;
    ++size;
  }
  return size;
}

size_t varint_bytes_size(const std::optional<Bytes>& value) {
  return value ? varint_size(static_cast<int64_t>(value->size())) + value->size() : 1;
}

// Straight into `out`: the record's length is computed first, so no record
// is built apart and copied.
void encode_record(Writer& out, const NewRecord& record, int64_t timestamp_delta,
                   int32_t offset_delta) {
  size_t length = 1 + varint_size(timestamp_delta) + varint_size(offset_delta) +
                  varint_bytes_size(record.key) + varint_bytes_size(record.value) +
                  varint_size(static_cast<int64_t>(record.headers.size()));
  for (const auto& header : record.headers) {
    length += varint_size(static_cast<int64_t>(header.key.size())) + header.key.size() +
              varint_bytes_size(header.value);
  }
  out.write_varint(checked_array_length(length));
  out.write_int8(0);
  out.write_varlong(timestamp_delta);
  out.write_varint(offset_delta);
  write_varint_bytes(out, record.key);
  write_varint_bytes(out, record.value);
  out.write_varint(checked_array_length(record.headers.size()));
  for (const auto& header : record.headers) {
    out.write_varint(checked_array_length(header.key.size()));
    out.write_raw({reinterpret_cast<const uint8_t*>(header.key.data()), header.key.size()});
    write_varint_bytes(out, header.value);
  }
}

}  // namespace

Compression RecordBatchHeader::compression() const {
  return static_cast<Compression>(attributes & batch_attributes::kCompressionMask);
}

TimestampType RecordBatchHeader::timestamp_type() const {
  return (attributes & batch_attributes::kLogAppendTime) ? TimestampType::kLogAppendTime
                                                         : TimestampType::kCreateTime;
}

RecordBatchView parse_record_batch(std::span<const uint8_t> data) {
  Reader reader(data);
  RecordBatchHeader header;
  header.base_offset = reader.read_int64();
  header.batch_length = reader.read_int32();
  if (header.batch_length < kMinBatchLength) {
    throw DecodeError("record batch length " + std::to_string(header.batch_length) +
                      " is shorter than its header");
  }
  if (static_cast<size_t>(header.batch_length) > reader.remaining()) {
    throw DecodeError("record batch length " + std::to_string(header.batch_length) +
                      " exceeds the " + std::to_string(reader.remaining()) + " bytes available");
  }
  header.partition_leader_epoch = reader.read_int32();
  header.magic = reader.read_int8();
  if (header.magic != kRecordBatchMagic) {
    throw DecodeError("record batch magic " + std::to_string(header.magic) + " is not 2");
  }
  header.crc = reader.read_uint32();
  header.attributes = reader.read_int16();
  header.last_offset_delta = reader.read_int32();
  header.base_timestamp = reader.read_int64();
  header.max_timestamp = reader.read_int64();
  header.producer_id = reader.read_int64();
  header.producer_epoch = reader.read_int16();
  header.base_sequence = reader.read_int32();
  header.record_count = reader.read_int32();
  if (header.record_count < 0) throw DecodeError("negative record count");
  if (static_cast<uint8_t>(header.compression()) > static_cast<uint8_t>(Compression::kZstd)) {
    throw DecodeError("unknown compression codec " +
                      std::to_string(static_cast<int>(header.compression())));
  }
  const auto bytes = data.first(header.total_size());
  const uint32_t computed = crc32c(bytes.subspan(kRecordBatchCrcStart));
  if (computed != header.crc) {
    throw DecodeError("record batch CRC mismatch: stored " + std::to_string(header.crc) +
                      ", computed " + std::to_string(computed));
  }
  return RecordBatchView{header, bytes};
}

std::vector<RecordBatchView> split_record_batches(std::span<const uint8_t> data,
                                                  bool allow_truncated_tail) {
  std::vector<RecordBatchView> batches;
  size_t offset = 0;
  while (offset < data.size()) {
    const auto rest = data.subspan(offset);
    if (allow_truncated_tail) {
      if (rest.size() < kRecordBatchLengthPrefix) break;
      Reader peek(rest);
      peek.read_int64();
      const int32_t length = peek.read_int32();
      if (length >= 0 && static_cast<size_t>(length) > peek.remaining()) break;
    }
    batches.push_back(parse_record_batch(rest));
    offset += batches.back().bytes.size();
  }
  return batches;
}

std::vector<Record> decode_records(const RecordBatchView& batch, size_t max_decompressed) {
  const auto section = batch.records_section();
  Bytes decompressed;
  std::span<const uint8_t> plain = section;
  if (batch.header.compression() != Compression::kNone) {
    decompressed = decompress(batch.header.compression(), section, max_decompressed);
    plain = decompressed;
  }
  Reader reader(plain);
  const auto count = static_cast<size_t>(batch.header.record_count);
  // Every record takes at least 7 bytes; a larger count cannot be honest.
  if (count > plain.size()) {
    throw DecodeError("record count " + std::to_string(count) + " exceeds what " +
                      std::to_string(plain.size()) + " bytes can hold");
  }
  std::vector<Record> records;
  records.reserve(count);
  for (size_t i = 0; i < count; ++i) records.push_back(decode_record(reader));
  if (!reader.at_end()) throw DecodeError("bytes after the last record of a batch");
  return records;
}

Bytes build_record_batch(std::span<const NewRecord> records, const BatchOptions& options) {
  if (records.empty()) throw EncodeError("a record batch needs at least one record");
  const int64_t base_timestamp = records.front().timestamp_ms;
  int64_t max_timestamp = base_timestamp;
  size_t estimate = kRecordBatchHeaderSize;
  for (const auto& record : records) {
    max_timestamp = std::max(max_timestamp, record.timestamp_ms);
    estimate +=
        24 + (record.key ? record.key->size() : 0) + (record.value ? record.value->size() : 0);
    for (const auto& header : record.headers)
      estimate += 12 + header.key.size() + (header.value ? header.value->size() : 0);
  }
  auto encode_records = [&](Writer& out) {
    for (size_t i = 0; i < records.size(); ++i) {
      encode_record(out, records[i], records[i].timestamp_ms - base_timestamp,
                    static_cast<int32_t>(i));
    }
  };
  // Uncompressed, the records are written after the header at once.
  Bytes body;
  if (options.compression != Compression::kNone) {
    Writer plain;
    plain.reserve(estimate);
    encode_records(plain);
    body = compress(options.compression, plain.bytes());
  }

  int16_t attributes = static_cast<int16_t>(options.compression);
  if (options.timestamp_type == TimestampType::kLogAppendTime) {
    attributes |= batch_attributes::kLogAppendTime;
  }
  if (options.transactional) attributes |= batch_attributes::kTransactional;
  if (options.control) attributes |= batch_attributes::kControl;

  Writer writer;
  writer.reserve(options.compression == Compression::kNone ? estimate
                                                           : kRecordBatchHeaderSize + body.size());
  writer.write_int64(options.base_offset);
  writer.write_int32(0);  // batchLength, patched below
  writer.write_int32(options.partition_leader_epoch);
  writer.write_int8(kRecordBatchMagic);
  writer.write_uint32(0);  // crc, patched below
  writer.write_int16(attributes);
  writer.write_int32(checked_array_length(records.size() - 1));
  writer.write_int64(base_timestamp);
  writer.write_int64(max_timestamp);
  writer.write_int64(options.producer_id);
  writer.write_int16(options.producer_epoch);
  writer.write_int32(options.base_sequence);
  writer.write_int32(checked_array_length(records.size()));
  if (options.compression == Compression::kNone)
    encode_records(writer);
  else
    writer.write_raw(body);
  writer.patch_int32(8, checked_array_length(writer.size() - kRecordBatchLengthPrefix));
  Bytes batch = writer.take();
  update_crc(batch);
  return batch;
}

void update_crc(std::span<uint8_t> batch) {
  require_whole_header(batch);
  const uint32_t crc = crc32c(std::span<const uint8_t>(batch).subspan(kRecordBatchCrcStart));
  store_big_endian(batch, kCrcOffset, crc, 4);
}

void set_base_offset(std::span<uint8_t> batch, int64_t base_offset) {
  require_whole_header(batch);
  store_big_endian(batch, 0, static_cast<uint64_t>(base_offset), 8);
}

void set_partition_leader_epoch(std::span<uint8_t> batch, int32_t partition_leader_epoch) {
  require_whole_header(batch);
  store_big_endian(batch, kPartitionLeaderEpochOffset,
                   static_cast<uint32_t>(partition_leader_epoch), 4);
}

void set_log_append_time(std::span<uint8_t> batch, int64_t append_time_ms) {
  require_whole_header(batch);
  const auto attributes =
      static_cast<uint16_t>(batch[kAttributesOffset] << 8 | batch[kAttributesOffset + 1]) |
      static_cast<uint16_t>(batch_attributes::kLogAppendTime);
  store_big_endian(batch, kAttributesOffset, attributes, 2);
  store_big_endian(batch, kMaxTimestampOffset, static_cast<uint64_t>(append_time_ms), 8);
  update_crc(batch);
}

}  // namespace mockforge::kafka
