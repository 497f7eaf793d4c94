#include "brokers/mqtt/codec/framer.h"

#include <string>

namespace mockforge::mqtt {

Framer::Framer(std::uint32_t maximum_packet_size) : maximum_packet_size_(maximum_packet_size) {}

void Framer::set_maximum_packet_size(std::uint32_t maximum_packet_size) {
  maximum_packet_size_ = maximum_packet_size;
  inspect_front();
}

void Framer::compact() {
  if (consumed_ == 0) return;
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(consumed_));
  consumed_ = 0;
}

void Framer::feed(std::span<const std::uint8_t> bytes) {
  if (error_) return;
  compact();
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  inspect_front();
}

void Framer::inspect_front() {
  if (error_) return;
  const auto parsed = parse_fixed_header(std::span(buffer_).subspan(consumed_));
  if (parsed.status == ParseStatus::incomplete) return;
  if (parsed.status == ParseStatus::malformed) {
    error_ = DecodeError{ReasonCode::malformed_packet, "invalid Remaining Length", std::nullopt};
  } else if (parsed.header.packet_size() > maximum_packet_size_) {
    error_ =
        DecodeError{ReasonCode::packet_too_large,
                    "packet of " + std::to_string(parsed.header.packet_size()) +
                        " bytes exceeds the maximum of " + std::to_string(maximum_packet_size_),
                    std::nullopt};
  }
  if (error_) {
    buffer_.clear();
    buffer_.shrink_to_fit();
    consumed_ = 0;
  }
}

Framer::Result Framer::next() {
  Result result;
  if (!error_) {
    compact();
    inspect_front();
  }
  if (error_) {
    result.status = Status::error;
    result.error = *error_;
    return result;
  }
  const auto parsed = parse_fixed_header(buffer_);
  if (parsed.status != ParseStatus::complete || buffer_.size() < parsed.header.packet_size()) {
    return result;
  }
  result.status = Status::packet;
  result.header = parsed.header;
  result.packet = std::span(buffer_).first(parsed.header.packet_size());
  consumed_ = parsed.header.packet_size();
  return result;
}

}  // namespace mockforge::mqtt
