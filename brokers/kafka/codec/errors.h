#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mockforge::kafka {

// Thrown when input bytes are not a valid encoding: truncated data, a length prefix beyond the
// remaining bytes, a negative length where null is not allowed, an unsupported version, a bad
// RecordBatch. Decoders never read out of bounds or allocate more than the input can describe.
class DecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown when a value cannot be encoded in the requested version: null in a non-nullable
// field, a string longer than its length prefix allows, an unsupported version.
class EncodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class VersionCheck { kDecode, kEncode };

// Throws DecodeError or EncodeError (per `check`) unless min_version <= version <= max_version.
void require_version(int16_t version, int16_t min_version, int16_t max_version,
                     std::string_view api_name, VersionCheck check);

}  // namespace mockforge::kafka
