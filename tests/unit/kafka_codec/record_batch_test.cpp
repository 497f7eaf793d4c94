#include "brokers/kafka/codec/record_batch.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "brokers/kafka/codec/compression.h"
#include "brokers/kafka/codec/crc32c.h"
#include "brokers/kafka/codec/murmur2.h"
#include "brokers/kafka/codec/reader.h"
#include "tests/unit/kafka_codec/test_bytes.h"

namespace mockforge::kafka {
namespace {

using testing::from_hex;

Bytes text(std::string_view value) { return Bytes(value.begin(), value.end()); }

TEST(kafka_crc32c, HardwareAndTableAgreeOnEveryLengthAndAlignment) {
  Bytes data(300);
  uint32_t x = 12345;
  for (auto& b : data) b = static_cast<uint8_t>((x = x * 1103515245u + 12345u) >> 16);
  for (size_t start = 0; start < 9; ++start) {
    for (size_t length = 0; start + length <= data.size(); length += 7) {
      const auto part = std::span(data).subspan(start, length);
      EXPECT_EQ(crc32c_extend(0x1234u, part), crc32c_extend_portable(0x1234u, part))
          << start << "+" << length;
    }
  }
}

// Lengths around the three-lane paths (3 x 256 and 3 x 8192 bytes at a time), with every
// remainder that the word and byte tails take.
TEST(kafka_crc32c, HardwareLanesAgreeWithTheTableOnLongInputs) {
  Bytes data(3 * 8192 * 2 + 3 * 256 * 3 + 64);
  uint32_t x = 777;
  for (auto& b : data) b = static_cast<uint8_t>((x = x * 1103515245u + 12345u) >> 16);
  for (const size_t length : {767u, 768u, 769u, 775u, 1536u, 2311u, 24575u, 24576u, 24583u, 25344u,
                              49152u, 49919u, static_cast<unsigned>(data.size())}) {
    for (const size_t start : {0u, 3u}) {
      if (start + length > data.size()) continue;
      const auto part = std::span(data).subspan(start, length);
      EXPECT_EQ(crc32c_extend(0x9abcdefu, part), crc32c_extend_portable(0x9abcdefu, part))
          << start << "+" << length;
    }
  }
  // Split anywhere, the extension gives the whole's CRC.
  const auto whole = crc32c(data);
  for (const size_t cut : {1u, 800u, 24577u, 30000u}) {
    EXPECT_EQ(crc32c_extend(crc32c(std::span(data).first(cut)), std::span(data).subspan(cut)),
              whole);
  }
}

TEST(kafka_crc32c, KnownVectors) {
  EXPECT_EQ(crc32c(text("123456789")), 0xE3069283u);
  EXPECT_EQ(crc32c(Bytes(32, 0)), 0x8A9136AAu);     // RFC 3720 B.4
  EXPECT_EQ(crc32c(Bytes(32, 0xff)), 0x62A8AB43u);  // RFC 3720 B.4
  EXPECT_EQ(crc32c({}), 0u);
  const Bytes data = text("split across calls");
  EXPECT_EQ(crc32c_extend(crc32c(std::span(data).first(5)), std::span(data).subspan(5)),
            crc32c(data));
}

// One record, null key, value "v", built by hand from the RecordBatch v2 layout.
Bytes hand_built_batch_without_crc() {
  return from_hex(
      "0000000000000005"           // baseOffset 5
      "00000039"                   // batchLength 57 = 49 header bytes after it + 8 record bytes
      "00000003"                   // partitionLeaderEpoch
      "02"                         // magic
      "00000000"                   // crc (filled in below)
      "0000"                       // attributes: no compression, CreateTime
      "00000000"                   // lastOffsetDelta
      "00000000000003e8"           // baseTimestamp 1000
      "00000000000003e8"           // maxTimestamp 1000
      "ffffffffffffffff"           // producerId -1
      "ffff"                       // producerEpoch -1
      "ffffffff"                   // baseSequence -1
      "00000001"                   // recordCount
      "0e 00 00 00 01 02 76 00");  // length 7 | attrs | ts delta | offset delta | key -1 |
                                   // value length 1 | 'v' | 0 headers
}

TEST(kafka_record_batch, BuildMatchesTheHandBuiltLayout) {
  const NewRecord record{1000, std::nullopt, text("v"), {}};
  BatchOptions options;
  options.base_offset = 5;
  options.partition_leader_epoch = 3;
  const Bytes built = build_record_batch(std::span(&record, 1), options);
  Bytes expected = hand_built_batch_without_crc();
  ASSERT_EQ(built.size(), expected.size());
  const uint32_t crc = crc32c(std::span(expected).subspan(kRecordBatchCrcStart));
  expected[17] = static_cast<uint8_t>(crc >> 24);
  expected[18] = static_cast<uint8_t>(crc >> 16);
  expected[19] = static_cast<uint8_t>(crc >> 8);
  expected[20] = static_cast<uint8_t>(crc);
  EXPECT_EQ(testing::to_hex(built), testing::to_hex(expected));

  const RecordBatchView view = parse_record_batch(built);
  EXPECT_EQ(view.header.base_offset, 5);
  EXPECT_EQ(view.header.partition_leader_epoch, 3);
  EXPECT_EQ(view.header.record_count, 1);
  EXPECT_EQ(view.header.crc, crc);
  EXPECT_EQ(view.bytes.size(), 69u);
  const auto records = decode_records(view);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].key, std::nullopt);
  EXPECT_EQ(records[0].value, text("v"));
}

TEST(kafka_record_batch, CorruptCrcIsRejected) {
  const NewRecord record{1, text("k"), text("value"), {{"h", text("x")}}};
  Bytes batch = build_record_batch(std::span(&record, 1));
  EXPECT_NO_THROW(parse_record_batch(batch));
  for (size_t at : {size_t{21}, size_t{40}, batch.size() - 1}) {
    Bytes corrupt = batch;
    corrupt[at] ^= 0x01;
    EXPECT_THROW(parse_record_batch(corrupt), DecodeError) << at;
  }
  Bytes bad_crc = batch;
  bad_crc[17] ^= 0x80;
  EXPECT_THROW(parse_record_batch(bad_crc), DecodeError);
}

TEST(kafka_record_batch, StructuralErrors) {
  const NewRecord record{1, text("k"), text("value"), {}};
  const Bytes batch = build_record_batch(std::span(&record, 1));
  EXPECT_THROW(parse_record_batch(std::span(batch).first(60)), DecodeError);
  EXPECT_THROW(parse_record_batch(std::span(batch).first(batch.size() - 1)), DecodeError);

  Bytes magic1 = batch;
  magic1[16] = 1;
  EXPECT_THROW(parse_record_batch(magic1), DecodeError);

  Bytes short_length = batch;
  short_length[11] = 10;  // batchLength smaller than a header
  EXPECT_THROW(parse_record_batch(short_length), DecodeError);

  // Claims two records but holds one: CRC recomputed so that only the count is wrong.
  Bytes miscounted = batch;
  miscounted[60] = 2;
  update_crc(miscounted);
  EXPECT_THROW(decode_records(parse_record_batch(miscounted)), DecodeError);

  Bytes huge_count = batch;
  huge_count[57] = 0x7f;
  update_crc(huge_count);
  EXPECT_THROW(decode_records(parse_record_batch(huge_count)), DecodeError);

  Bytes bad_codec = batch;
  bad_codec[22] = 5;
  update_crc(bad_codec);
  EXPECT_THROW(parse_record_batch(bad_codec), DecodeError);
}

TEST(kafka_record_batch, EveryCodecRoundTrips) {
  std::vector<NewRecord> records;
  for (int i = 0; i < 50; ++i) {
    records.push_back({1700000000000 + i,
                       text("key-" + std::to_string(i)),
                       text(std::string(200, static_cast<char>('a' + i % 26))),
                       {{"trace", text(std::to_string(i))}, {"null", std::nullopt}}});
  }
  records[7].key.reset();
  records[8].value.reset();
  for (auto codec : {Compression::kNone, Compression::kGzip, Compression::kSnappy,
                     Compression::kLz4, Compression::kZstd}) {
    SCOPED_TRACE(std::string(compression_name(codec)));
    BatchOptions options;
    options.compression = codec;
    options.producer_id = 42;
    options.producer_epoch = 1;
    options.base_sequence = 0;
    const Bytes batch = build_record_batch(records, options);
    if (codec != Compression::kNone) {
      EXPECT_LT(batch.size(), 50u * 200u);
    }
    const auto batches = split_record_batches(batch);
    ASSERT_EQ(batches.size(), 1u);
    const RecordBatchHeader& header = batches[0].header;
    EXPECT_EQ(header.compression(), codec);
    EXPECT_EQ(header.record_count, 50);
    EXPECT_EQ(header.last_offset_delta, 49);
    EXPECT_EQ(header.base_timestamp, 1700000000000);
    EXPECT_EQ(header.max_timestamp, 1700000000049);
    EXPECT_EQ(header.producer_id, 42);
    const auto decoded = decode_records(batches[0]);
    ASSERT_EQ(decoded.size(), records.size());
    for (size_t i = 0; i < records.size(); ++i) {
      EXPECT_EQ(decoded[i].offset_delta, static_cast<int32_t>(i));
      EXPECT_EQ(decoded[i].timestamp_delta, static_cast<int64_t>(i));
      EXPECT_EQ(decoded[i].key, records[i].key);
      EXPECT_EQ(decoded[i].value, records[i].value);
      EXPECT_EQ(decoded[i].headers, records[i].headers);
    }
  }
}

TEST(kafka_record_batch, SeveralBatchesAndATruncatedTail) {
  const NewRecord record{1, std::nullopt, text("v"), {}};
  Bytes both = build_record_batch(std::span(&record, 1));
  BatchOptions second;
  second.base_offset = 1;
  const Bytes next = build_record_batch(std::span(&record, 1), second);
  both.insert(both.end(), next.begin(), next.end());
  EXPECT_EQ(split_record_batches(both).size(), 2u);
  const auto cut = std::span<const uint8_t>(both).first(both.size() - 10);
  EXPECT_THROW(split_record_batches(cut), DecodeError);
  EXPECT_EQ(split_record_batches(cut, /*allow_truncated_tail=*/true).size(), 1u);
}

TEST(kafka_compression, SnappyRawAndXerialFraming) {
  // Raw snappy of "hello": uncompressed length 5, then one literal of 5 bytes (tag (5-1)<<2).
  const Bytes raw = from_hex("05 10 68656c6c6f");
  EXPECT_EQ(decompress(Compression::kSnappy, raw), text("hello"));
  // xerial snappy-java stream: magic, version 1, compatible version 1, then size-prefixed blocks.
  const Bytes xerial = from_hex(
      "82 534e415050590 0 | 00000001 | 00000001 | 00000007 05 10 68656c6c6f | 00000004 02 04 2121");
  EXPECT_EQ(decompress(Compression::kSnappy, xerial), text("hello!!"));
  const Bytes ours = compress(Compression::kSnappy, text("hello"));
  EXPECT_EQ(Bytes(ours.begin(), ours.begin() + 8), from_hex("82 534e4150505900"));
  EXPECT_EQ(decompress(Compression::kSnappy, ours), text("hello"));
  const Bytes truncated = from_hex("82 534e4150505900 00000001 00000001 00000009 05 10 68");
  EXPECT_THROW(decompress(Compression::kSnappy, truncated), DecodeError);
}

TEST(kafka_compression, CorruptInputAndBombsAreDecodeErrors) {
  const Bytes garbage = from_hex("00 01 02 03 04 05 06 07 08 09");
  for (auto codec :
       {Compression::kGzip, Compression::kSnappy, Compression::kLz4, Compression::kZstd}) {
    SCOPED_TRACE(std::string(compression_name(codec)));
    EXPECT_THROW(decompress(codec, garbage), DecodeError);
    EXPECT_THROW(decompress(codec, {}), DecodeError);
    const Bytes zeros(1 << 20, 0);
    const Bytes packed = compress(codec, zeros);
    EXPECT_EQ(decompress(codec, packed), zeros);
    EXPECT_THROW(decompress(codec, packed, 1000), DecodeError);
    EXPECT_THROW(decompress(codec, std::span(packed).first(packed.size() / 2)), DecodeError);
  }
}

TEST(kafka_record_batch, RewritesKeepTheCrcValid) {
  const NewRecord record{1000, text("k"), text("v"), {}};
  Bytes batch = build_record_batch(std::span(&record, 1));
  const uint32_t crc_before = parse_record_batch(batch).header.crc;
  set_base_offset(batch, 123456789);
  set_partition_leader_epoch(batch, 7);
  const RecordBatchView view = parse_record_batch(batch);
  EXPECT_EQ(view.header.base_offset, 123456789);
  EXPECT_EQ(view.header.partition_leader_epoch, 7);
  EXPECT_EQ(view.header.crc, crc_before);
  EXPECT_EQ(view.header.last_offset(), 123456789);

  set_log_append_time(batch, 5000);
  const RecordBatchView appended = parse_record_batch(batch);  // CRC recomputed
  EXPECT_EQ(appended.header.timestamp_type(), TimestampType::kLogAppendTime);
  EXPECT_EQ(appended.header.max_timestamp, 5000);
  EXPECT_EQ(appended.header.base_timestamp, 1000);
  EXPECT_NE(appended.header.crc, crc_before);
}

TEST(kafka_murmur2, MatchesTheJavaClient) {
  EXPECT_EQ(murmur2(text("21")), -973932308);
  EXPECT_EQ(murmur2(text("foobar")), -790332482);
  EXPECT_EQ(murmur2(text("a-little-bit-long-string")), -985981536);
  EXPECT_EQ(murmur2(text("a-little-bit-longer-string")), -1486304829);
  EXPECT_EQ(murmur2(text("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8")), -58897971);
  EXPECT_EQ(murmur2(text("abc")), 479470107);
  EXPECT_EQ(murmur2_partition(text("foobar"), 10), (-790332482 & 0x7fffffff) % 10);
  EXPECT_THROW(murmur2_partition(text("x"), 0), std::invalid_argument);
}

}  // namespace
}  // namespace mockforge::kafka
