// Streaming framer: bytes in, complete packets out. It knows nothing about
// protocol versions; it reads the fixed header, rejects a Remaining Length
// that is malformed or that makes the packet bigger than the limit as soon as
// the length is known (the body is never buffered), and otherwise waits until
// the whole packet has arrived.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "brokers/mqtt/codec/error.h"
#include "brokers/mqtt/codec/fixed_header.h"
#include "brokers/mqtt/codec/types.h"

namespace mockforge::mqtt {

class Framer {
 public:
  // `maximum_packet_size` counts the whole packet, fixed header included, as
  // the v5 Maximum Packet Size does.
  explicit Framer(std::uint32_t maximum_packet_size = kMaxPacketSize);

  void set_maximum_packet_size(std::uint32_t maximum_packet_size);
  std::uint32_t maximum_packet_size() const { return maximum_packet_size_; }

  // Appends received bytes. After an error, further bytes are dropped.
  void feed(std::span<const std::uint8_t> bytes);

  enum class Status { need_more, packet, error };
  struct Result {
    Status status = Status::need_more;
    FixedHeader header;                    // when status == packet
    std::span<const std::uint8_t> packet;  // whole packet; valid until the next feed()/next()
    DecodeError error;                     // when status == error
  };

  // The next complete packet, need_more, or the (sticky) framing error:
  // Malformed Packet for a bad Remaining Length, Packet Too Large beyond the
  // limit.
  Result next();

  // Bytes held that are not yet returned as a packet.
  std::size_t buffered_bytes() const { return buffer_.size() - consumed_; }
  bool failed() const { return error_.has_value(); }

 private:
  void compact();
  // Checks the fixed header at the front of the buffer, if complete.
  void inspect_front();

  std::uint32_t maximum_packet_size_;
  Bytes buffer_;
  std::size_t consumed_ = 0;
  std::optional<DecodeError> error_;
};

}  // namespace mockforge::mqtt
