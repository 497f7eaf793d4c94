#include "brokers/kafka/codec/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
#define MOCKFORGE_CRC32C_SSE42 1
#endif

namespace mockforge::kafka {

namespace {

constexpr uint32_t kCastagnoliReflected = 0x82F63B78u;

// Slicing-by-4 tables: table[0] is the classic byte table, table[k] advances k more bytes.
constexpr std::array<std::array<uint32_t, 256>, 4> make_tables() {
  std::array<std::array<uint32_t, 256>, 4> tables{};
  for (uint32_t byte = 0; byte < 256; ++byte) {
    uint32_t crc = byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1) ? kCastagnoliReflected : 0);
    tables[0][byte] = crc;
  }
  for (size_t k = 1; k < 4; ++k) {
    for (uint32_t byte = 0; byte < 256; ++byte) {
      const uint32_t previous = tables[k - 1][byte];
      tables[k][byte] = (previous >> 8) ^ tables[0][previous & 0xff];
    }
  }
  return tables;
}

constexpr auto kTables = make_tables();

}  // namespace

// The table version: portable, and the reference the hardware path is tested against.
uint32_t crc32c_extend_portable(uint32_t crc, std::span<const uint8_t> data) {
  crc = ~crc;
  size_t i = 0;
  for (; i + 4 <= data.size(); i += 4) {
    crc ^= static_cast<uint32_t>(data[i]) | static_cast<uint32_t>(data[i + 1]) << 8 |
           static_cast<uint32_t>(data[i + 2]) << 16 | static_cast<uint32_t>(data[i + 3]) << 24;
    crc = kTables[3][crc & 0xff] ^ kTables[2][(crc >> 8) & 0xff] ^ kTables[1][(crc >> 16) & 0xff] ^
          kTables[0][crc >> 24];
  }
  for (; i < data.size(); ++i) crc = (crc >> 8) ^ kTables[0][(crc ^ data[i]) & 0xff];
  return ~crc;
}

#ifdef MOCKFORGE_CRC32C_SSE42
namespace {

// SSE4.2's crc32 instruction computes exactly CRC-32C, eight bytes at a time.
__attribute__((target("sse4.2"))) uint32_t crc32c_extend_sse42(uint32_t crc,
                                                               std::span<const uint8_t> data) {
  uint64_t state = ~crc;
  const uint8_t* p = data.data();
  size_t left = data.size();
  for (; left >= 8; p += 8, left -= 8) {
    uint64_t word;
    std::memcpy(&word, p, sizeof(word));
    state = _mm_crc32_u64(state, word);
  }
  auto state32 = static_cast<uint32_t>(state);
  for (; left > 0; ++p, --left) state32 = _mm_crc32_u8(state32, *p);
  return ~state32;
}

const bool kHaveSse42 = [] {
  __builtin_cpu_init();  // may run before libgcc's own constructor
  return __builtin_cpu_supports("sse4.2") != 0;
}();

}  // namespace
#endif

uint32_t crc32c_extend(uint32_t crc, std::span<const uint8_t> data) {
#ifdef MOCKFORGE_CRC32C_SSE42
  if (kHaveSse42) return crc32c_extend_sse42(crc, data);
#endif
  return crc32c_extend_portable(crc, data);
}

uint32_t crc32c(std::span<const uint8_t> data) { return crc32c_extend(0, data); }

}  // namespace mockforge::kafka
