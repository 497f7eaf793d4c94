// Feeds arbitrary bytes to the Kafka codec: as a request (header + body, any key and version),
// as a response body (key and version from the first four bytes), and as RecordBatches (as
// given, and with the CRC repaired so that mutations reach the record decoder). Decoding may
// only fail with DecodeError; whatever decodes must re-encode to bytes that decode to the same
// value.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "brokers/kafka/codec/header.h"
#include "brokers/kafka/codec/record_batch.h"
#include "mockforge/kafka/messages.h"

namespace {

using namespace mockforge::kafka;

constexpr size_t kMaxDecompressed = 1 << 20;

template <typename Message>
void check_reencodes(const Message& message, int16_t version) {
  Writer writer;
  message.encode(writer, version);
  Reader reader(writer.bytes());
  Message again;
  again.decode(reader, version);
  if (!(again == message) || !reader.at_end()) std::abort();
}

void fuzz_request(std::span<const uint8_t> input) {
  try {
    Reader reader(input);
    const RequestHeader header = read_request_header(reader);
    visit_api(header.api_key, [&]<typename Request, typename Response>() {
      Request request;
      request.decode(reader, header.api_version);
      check_reencodes(request, header.api_version);
    });
  } catch (const DecodeError&) {
  }
}

void fuzz_response(std::span<const uint8_t> input) {
  try {
    Reader reader(input);
    const int16_t key = reader.read_int16();
    const int16_t version = reader.read_int16();
    visit_api(key, [&]<typename Request, typename Response>() {
      Response response;
      response.decode(reader, version);
      check_reencodes(response, version);
    });
  } catch (const DecodeError&) {
  }
}

void decode_batches(std::span<const uint8_t> input) {
  try {
    for (const auto& batch : split_record_batches(input, /*allow_truncated_tail=*/true)) {
      decode_records(batch, kMaxDecompressed);
    }
  } catch (const DecodeError&) {
  }
}

void fuzz_record_batches(std::span<const uint8_t> input) {
  decode_batches(input);
  if (input.size() < kRecordBatchHeaderSize) return;
  Bytes repaired(input.begin(), input.end());
  try {
    update_crc(repaired);
  } catch (const DecodeError&) {
    return;
  }
  decode_batches(repaired);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  fuzz_request(input);
  fuzz_response(input);
  fuzz_record_batches(input);
  return 0;
}
