// The x-delivery-count header quorum queues add to what they deliver.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace mockforge::amqp {

// The content header payload `properties` (as stored) with the header
// x-delivery-count set to `count` (a long): how many times the message was
// delivered before. Empty if the stored payload does not decode.
std::vector<uint8_t> with_delivery_count(std::string_view properties, uint64_t count);

}  // namespace mockforge::amqp
