#include "brokers/amqp/protocol/delivery_count.h"

#include <limits>
#include <span>

#include "brokers/amqp/codec/content_header.h"

namespace mockforge::amqp {

std::vector<uint8_t> with_delivery_count(std::string_view properties, uint64_t count) {
  ContentHeader header;
  try {
    header = decode_content_header(
        std::span(reinterpret_cast<const uint8_t*>(properties.data()), properties.size()));
  } catch (const std::exception&) {
    return {};
  }
  FieldTable headers = header.properties.headers.value_or(FieldTable{});
  headers.set("x-delivery-count",
              static_cast<int64_t>(std::min<uint64_t>(count, std::numeric_limits<int64_t>::max())));
  header.properties.headers = std::move(headers);
  return encode_content_header(header);
}

}  // namespace mockforge::amqp
