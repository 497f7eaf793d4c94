#include "brokers/kafka/codec/errors.h"

namespace mockforge::kafka {

void require_version(int16_t version, int16_t min_version, int16_t max_version,
                     std::string_view api_name, VersionCheck check) {
  if (version >= min_version && version <= max_version) return;
  std::string message = std::string(api_name) + " version " + std::to_string(version) +
                        " is outside the supported range " + std::to_string(min_version) + "-" +
                        std::to_string(max_version);
  if (check == VersionCheck::kDecode) throw DecodeError(message);
  throw EncodeError(message);
}

}  // namespace mockforge::kafka
