// Feeds arbitrary bytes to the decoder of the Kafka snapshot extension "kafka.cluster"
// (Cluster::decode), which reads a snapshot file's contents. Decoding may only fail with
// DecodeError; whatever decodes must survive a round trip through its encoding (the value, not
// the bytes: the decoder sorts topics and partitions and keeps the last of duplicates), and
// restoring it into a 3-broker cluster (dropping unknown node ids, capping replication
// factors) must not fail.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "brokers/kafka/broker/cluster.h"
#include "brokers/kafka/codec/reader.h"

using mockforge::kafka::Cluster;
using mockforge::kafka::DecodeError;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  Cluster::SavedAssignments saved;
  try {
    saved = Cluster::decode(input);
  } catch (const DecodeError&) {
    return 0;
  }
  const std::string encoded = Cluster::encode(saved);
  if (Cluster::encode(Cluster::decode(encoded)) != encoded) std::abort();
  Cluster cluster(3, {});
  cluster.restore_assignments(saved);
  cluster.partitions();
  return 0;
}
