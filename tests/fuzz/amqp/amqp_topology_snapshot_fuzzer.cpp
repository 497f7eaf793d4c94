// Feeds arbitrary bytes to the decoder of the AMQP snapshot extension "amqp.topology"
// for one vhost (Vhost::restore_topology), which reads a snapshot file's contents and
// declares and binds what it names through the vhost's own checks. Decoding may only
// fail with DecodeError. Whatever topology results, all of the input or the part
// before an error, must survive a round trip: restored into a fresh vhost, it encodes
// to the same bytes.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "brokers/amqp/codec/buffer.h"
#include "brokers/amqp/model/vhost.h"
#include "core/storage/engine.h"
#include "tests/fuzz/quiet_logging.h"

using namespace mockforge;
using mockforge::amqp::ByteReader;
using mockforge::amqp::ByteWriter;
using mockforge::amqp::DecodeError;
using mockforge::amqp::Vhost;

namespace {

std::string encode(const Vhost& vhost) {
  ByteWriter out;
  vhost.encode_topology(out);
  return std::string(out.view());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mockforge::fuzz::quiet_logging();
  storage::Engine engine;
  Vhost vhost("/", engine.queues());
  try {
    ByteReader in(std::span<const uint8_t>(data, size));
    vhost.restore_topology(in);
  } catch (const DecodeError&) {
  }
  const std::string encoded = encode(vhost);
  storage::Engine fresh;
  Vhost again("/", fresh.queues());
  const auto* bytes = reinterpret_cast<const uint8_t*>(encoded.data());
  ByteReader in(std::span<const uint8_t>(bytes, encoded.size()));
  again.restore_topology(in);
  if (in.remaining() != 0 || encode(again) != encoded) std::abort();
  return 0;
}
