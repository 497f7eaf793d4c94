// Feeds arbitrary bytes to a storage engine as a snapshot file (Engine::restore: the
// decoder of snapshot.h, then the restore of topics, queues, retained messages and
// sessions). The first byte picks the form: below 0x80, the rest is a payload that
// the harness frames as a valid file of a format version the byte picks (magic, size,
// CRC), so that mutations reach the sections rather than the checksum; from 0x80, the
// rest is the whole file as is. A refused file must say so naming the file; an
// accepted one must snapshot again as bytes that restore, into a fresh engine, to the
// same snapshot (restore and capture agree).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/storage/engine.h"
#include "core/storage/snapshot.h"
#include "tests/fuzz/quiet_logging.h"

namespace {

using namespace mockforge;

void append_little_endian(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

std::string framed(uint32_t version, std::string_view payload) {
  std::string file = "MFSNAPSH";
  append_little_endian(file, version, 4);
  append_little_endian(file, payload.size(), 8);
  file.append(payload);
  append_little_endian(file, storage::crc32(file), 4);
  return file;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  mockforge::fuzz::quiet_logging();
  if (size == 0) return 0;
  constexpr uint32_t kOldest = storage::kOldestSnapshotFormatVersion;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string file =
      data[0] < 0x80
          ? framed(kOldest + data[0] % (storage::kSnapshotFormatVersion - kOldest + 1), rest)
          : std::string(rest);

  storage::Engine engine;
  if (const auto status = engine.restore(file, "fuzz.snapshot"); !status) {
    const std::string& message = status.error().message;
    if (message.rfind("snapshot file 'fuzz.snapshot': ", 0) != 0) std::abort();
    return 0;
  }
  const std::string captured = engine.snapshot();
  storage::Engine again;
  if (!again.restore(captured, "captured")) std::abort();
  if (again.snapshot() != captured) std::abort();
  return 0;
}
