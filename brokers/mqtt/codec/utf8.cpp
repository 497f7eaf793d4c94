#include "brokers/mqtt/codec/utf8.h"

#include <cstdint>

namespace mockforge::mqtt {
namespace {

bool is_noncharacter(std::uint32_t code_point) {
  return (code_point >= 0xFDD0 && code_point <= 0xFDEF) || (code_point & 0xFFFE) == 0xFFFE;
}

bool is_control(std::uint32_t code_point) {
  return (code_point >= 0x01 && code_point <= 0x1F) || (code_point >= 0x7F && code_point <= 0x9F);
}

}  // namespace

Utf8Status validate_mqtt_utf8(std::string_view text, Utf8Strictness strictness) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t size = text.size();
  std::size_t i = 0;
  while (i < size) {
    const unsigned char lead = bytes[i];
    std::uint32_t code_point = 0;
    std::size_t continuation = 0;
    std::uint32_t minimum = 0;
    if (lead < 0x80) {
      code_point = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      code_point = lead & 0x1F;
      continuation = 1;
      minimum = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      code_point = lead & 0x0F;
      continuation = 2;
      minimum = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      code_point = lead & 0x07;
      continuation = 3;
      minimum = 0x10000;
    } else {
      return Utf8Status::ill_formed;
    }
    if (size - i - 1 < continuation) return Utf8Status::ill_formed;
    for (std::size_t k = 1; k <= continuation; ++k) {
      const unsigned char next = bytes[i + k];
      if ((next & 0xC0) != 0x80) return Utf8Status::ill_formed;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    if (code_point < minimum || code_point > 0x10FFFF) return Utf8Status::ill_formed;
    if (code_point >= 0xD800 && code_point <= 0xDFFF) return Utf8Status::ill_formed;
    if (code_point == 0) return Utf8Status::contains_null;
    if (strictness == Utf8Strictness::strict) {
      if (is_control(code_point)) return Utf8Status::contains_control;
      if (is_noncharacter(code_point)) return Utf8Status::contains_nonchar;
    }
    i += continuation + 1;
  }
  return Utf8Status::valid;
}

}  // namespace mockforge::mqtt
