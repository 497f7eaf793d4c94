// Feeds arbitrary bytes to the decoder of the Kafka snapshot extension
// "kafka.group_offsets" (GroupCoordinator::restore_offsets), which reads a snapshot
// file's contents. Decoding may only fail with DecodeError. Whatever it committed,
// all of the input or the part before an error, must survive a round trip: restored
// into a fresh coordinator, the encoding is the same bytes.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "brokers/kafka/broker/group_coordinator.h"
#include "brokers/kafka/codec/reader.h"

using mockforge::kafka::DecodeError;
using mockforge::kafka::GroupCoordinator;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  GroupCoordinator groups(std::chrono::milliseconds(0));
  try {
    groups.restore_offsets(input);
  } catch (const DecodeError&) {
  }
  const std::string encoded = groups.encode_offsets();
  GroupCoordinator again(std::chrono::milliseconds(0));
  again.restore_offsets(encoded);
  if (again.encode_offsets() != encoded) std::abort();
  return 0;
}
