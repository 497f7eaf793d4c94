#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "brokers/kafka/codec/types.h"

namespace mockforge::kafka {

// RecordBatch attribute bits 0-2.
enum class Compression : uint8_t { kNone = 0, kGzip = 1, kSnappy = 2, kLz4 = 3, kZstd = 4 };

std::string_view compression_name(Compression compression);
std::optional<Compression> parse_compression(std::string_view name);

// Compresses in the form Kafka clients expect: gzip (RFC 1952), snappy with xerial framing
// (what the Java client writes; librdkafka reads it too), the LZ4 frame format, a zstd frame.
Bytes compress(Compression compression, std::span<const uint8_t> input);

inline constexpr size_t kMaxDecompressedSize = 256u << 20;

// Decompresses; snappy input may be raw or xerial-framed. Corrupt input or output larger than
// `max_output` throws DecodeError.
Bytes decompress(Compression compression, std::span<const uint8_t> input,
                 size_t max_output = kMaxDecompressedSize);

}  // namespace mockforge::kafka
