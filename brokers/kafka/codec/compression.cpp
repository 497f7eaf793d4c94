#include "brokers/kafka/codec/compression.h"

#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <memory>
#include <string>

#include "brokers/kafka/codec/errors.h"
#include "brokers/kafka/codec/reader.h"
#include "brokers/kafka/codec/writer.h"

namespace mockforge::kafka {

namespace {

// xerial snappy-java stream header: magic, then int32 version and int32 compatible version.
constexpr std::array<uint8_t, 8> kXerialMagic = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr size_t kXerialHeaderSize = 16;
constexpr size_t kXerialBlockSize = 32 * 1024;
constexpr size_t kChunk = 64 * 1024;

void check_output_size(size_t size, size_t max_output) {
  if (size > max_output) {
    throw DecodeError("decompressed data exceeds " + std::to_string(max_output) + " bytes");
  }
}

Bytes gzip_compress(std::span<const uint8_t> input) {
  z_stream stream{};
  if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    throw EncodeError("deflateInit2 failed");
  }
  Bytes out(deflateBound(&stream, static_cast<uLong>(input.size())) + 32);
  stream.next_in = const_cast<Bytef*>(input.data());
  stream.avail_in = static_cast<uInt>(input.size());
  stream.next_out = out.data();
  stream.avail_out = static_cast<uInt>(out.size());
  const int result = deflate(&stream, Z_FINISH);
  const size_t written = stream.total_out;
  deflateEnd(&stream);
  if (result != Z_STREAM_END) throw EncodeError("gzip compression failed");
  out.resize(written);
  return out;
}

Bytes gzip_decompress(std::span<const uint8_t> input, size_t max_output) {
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 32) != Z_OK) throw DecodeError("inflateInit2 failed");
  std::unique_ptr<z_stream, decltype(&inflateEnd)> guard(&stream, &inflateEnd);
  stream.next_in = const_cast<Bytef*>(input.data());
  stream.avail_in = static_cast<uInt>(input.size());
  Bytes out;
  int result = Z_OK;
  while (result != Z_STREAM_END) {
    const size_t used = out.size();
    out.resize(used + kChunk);
    stream.next_out = out.data() + used;
    stream.avail_out = static_cast<uInt>(kChunk);
    result = inflate(&stream, Z_NO_FLUSH);
    out.resize(used + kChunk - stream.avail_out);
    check_output_size(out.size(), max_output);
    if (result == Z_STREAM_END) break;
    if (result != Z_OK || (stream.avail_in == 0 && stream.avail_out != 0)) {
      throw DecodeError("corrupt or truncated gzip data");
    }
  }
  return out;
}

Bytes snappy_raw_decompress(std::span<const uint8_t> input, size_t max_output) {
  const auto* data = reinterpret_cast<const char*>(input.data());
  size_t length = 0;
  if (!snappy::GetUncompressedLength(data, input.size(), &length)) {
    throw DecodeError("corrupt snappy block header");
  }
  check_output_size(length, max_output);
  Bytes out(length);
  if (!snappy::RawUncompress(data, input.size(), reinterpret_cast<char*>(out.data()))) {
    throw DecodeError("corrupt snappy block");
  }
  return out;
}

bool is_xerial(std::span<const uint8_t> input) {
  return input.size() >= kXerialHeaderSize &&
         std::equal(kXerialMagic.begin(), kXerialMagic.end(), input.begin());
}

Bytes snappy_decompress(std::span<const uint8_t> input, size_t max_output) {
  if (!is_xerial(input)) return snappy_raw_decompress(input, max_output);
  Reader reader(input.subspan(kXerialHeaderSize));
  Bytes out;
  while (!reader.at_end()) {
    const int32_t block_size = reader.read_int32();
    if (block_size < 0) throw DecodeError("negative xerial snappy block size");
    const Bytes block =
        snappy_raw_decompress(reader.read_span(static_cast<size_t>(block_size)), max_output);
    check_output_size(out.size() + block.size(), max_output);
    out.insert(out.end(), block.begin(), block.end());
  }
  return out;
}

Bytes snappy_compress_xerial(std::span<const uint8_t> input) {
  Writer writer;
  writer.write_raw(kXerialMagic);
  writer.write_int32(1);  // version
  writer.write_int32(1);  // minimum compatible version
  std::string block;
  for (size_t at = 0; at < input.size(); at += kXerialBlockSize) {
    const size_t size = std::min(kXerialBlockSize, input.size() - at);
    snappy::Compress(reinterpret_cast<const char*>(input.data() + at), size, &block);
    writer.write_int32(static_cast<int32_t>(block.size()));
    writer.write_raw({reinterpret_cast<const uint8_t*>(block.data()), block.size()});
  }
  return writer.take();
}

Bytes lz4_compress(std::span<const uint8_t> input) {
  LZ4F_preferences_t preferences{};
  preferences.frameInfo.blockSizeID = LZ4F_max64KB;
  preferences.frameInfo.contentSize = input.size();
  Bytes out(LZ4F_compressFrameBound(input.size(), &preferences));
  const size_t written =
      LZ4F_compressFrame(out.data(), out.size(), input.data(), input.size(), &preferences);
  if (LZ4F_isError(written)) throw EncodeError(LZ4F_getErrorName(written));
  out.resize(written);
  return out;
}

Bytes lz4_decompress(std::span<const uint8_t> input, size_t max_output) {
  LZ4F_dctx* raw_context = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&raw_context, LZ4F_VERSION))) {
    throw DecodeError("cannot create an lz4 decompression context");
  }
  std::unique_ptr<LZ4F_dctx, decltype(&LZ4F_freeDecompressionContext)> context(
      raw_context, &LZ4F_freeDecompressionContext);
  Bytes out;
  size_t consumed = 0;
  size_t hint = 1;
  while (consumed < input.size() && hint != 0) {
    const size_t used = out.size();
    out.resize(used + kChunk);
    size_t out_size = kChunk;
    size_t in_size = input.size() - consumed;
    hint = LZ4F_decompress(context.get(), out.data() + used, &out_size, input.data() + consumed,
                           &in_size, nullptr);
    if (LZ4F_isError(hint)) throw DecodeError(std::string("lz4: ") + LZ4F_getErrorName(hint));
    consumed += in_size;
    out.resize(used + out_size);
    check_output_size(out.size(), max_output);
    if (in_size == 0 && out_size == 0) break;
  }
  if (hint != 0) throw DecodeError("truncated lz4 frame");
  return out;
}

Bytes zstd_compress(std::span<const uint8_t> input) {
  Bytes out(ZSTD_compressBound(input.size()));
  const size_t written = ZSTD_compress(out.data(), out.size(), input.data(), input.size(), 3);
  if (ZSTD_isError(written)) throw EncodeError(ZSTD_getErrorName(written));
  out.resize(written);
  return out;
}

Bytes zstd_decompress(std::span<const uint8_t> input, size_t max_output) {
  std::unique_ptr<ZSTD_DStream, decltype(&ZSTD_freeDStream)> stream(ZSTD_createDStream(),
                                                                    &ZSTD_freeDStream);
  if (!stream) throw DecodeError("cannot create a zstd stream");
  ZSTD_initDStream(stream.get());
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  Bytes out;
  size_t hint = 1;
  while (in.pos < in.size || hint != 0) {
    const size_t used = out.size();
    out.resize(used + kChunk);
    ZSTD_outBuffer chunk{out.data() + used, kChunk, 0};
    const size_t previous_in = in.pos;
    hint = ZSTD_decompressStream(stream.get(), &chunk, &in);
    if (ZSTD_isError(hint)) throw DecodeError(std::string("zstd: ") + ZSTD_getErrorName(hint));
    out.resize(used + chunk.pos);
    check_output_size(out.size(), max_output);
    if (hint != 0 && chunk.pos == 0 && in.pos == previous_in) {
      throw DecodeError("truncated zstd frame");
    }
  }
  return out;
}

}  // namespace

std::string_view compression_name(Compression compression) {
  switch (compression) {
    case Compression::kNone:
      return "none";
    case Compression::kGzip:
      return "gzip";
    case Compression::kSnappy:
      return "snappy";
    case Compression::kLz4:
      return "lz4";
    case Compression::kZstd:
      return "zstd";
  }
  return "unknown";
}

std::optional<Compression> parse_compression(std::string_view name) {
  for (auto candidate : {Compression::kNone, Compression::kGzip, Compression::kSnappy,
                         Compression::kLz4, Compression::kZstd}) {
    if (compression_name(candidate) == name) return candidate;
  }
  return std::nullopt;
}

Bytes compress(Compression compression, std::span<const uint8_t> input) {
  switch (compression) {
    case Compression::kNone:
      return Bytes(input.begin(), input.end());
    case Compression::kGzip:
      return gzip_compress(input);
    case Compression::kSnappy:
      return snappy_compress_xerial(input);
    case Compression::kLz4:
      return lz4_compress(input);
    case Compression::kZstd:
      return zstd_compress(input);
  }
  throw EncodeError("unknown compression codec");
}

Bytes decompress(Compression compression, std::span<const uint8_t> input, size_t max_output) {
  switch (compression) {
    case Compression::kNone:
      check_output_size(input.size(), max_output);
      return Bytes(input.begin(), input.end());
    case Compression::kGzip:
      return gzip_decompress(input, max_output);
    case Compression::kSnappy:
      return snappy_decompress(input, max_output);
    case Compression::kLz4:
      return lz4_decompress(input, max_output);
    case Compression::kZstd:
      return zstd_decompress(input, max_output);
  }
  throw DecodeError("unknown compression codec " + std::to_string(static_cast<int>(compression)));
}

}  // namespace mockforge::kafka
