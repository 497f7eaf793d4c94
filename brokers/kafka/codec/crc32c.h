#pragma once

#include <cstdint>
#include <span>

namespace mockforge::kafka {

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as used by RecordBatch v2.
// `crc32c_extend` continues a running checksum over more bytes.
uint32_t crc32c(std::span<const uint8_t> data);
uint32_t crc32c_extend(uint32_t crc, std::span<const uint8_t> data);
// The same without the CPU's crc32 instruction (which the two above use when
// the CPU has SSE4.2); exposed so tests can compare the two.
uint32_t crc32c_extend_portable(uint32_t crc, std::span<const uint8_t> data);

}  // namespace mockforge::kafka
