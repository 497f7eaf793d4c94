// Decode failures carry the reason code the broker should answer with (in
// CONNACK before the session exists, in DISCONNECT after), so the mapping from
// "what was wrong" to "what to tell the client" lives in the codec only.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

#include "brokers/mqtt/codec/reason_code.h"
#include "brokers/mqtt/codec/types.h"
#include "brokers/mqtt/codec/utf8.h"

namespace mockforge::mqtt {

struct DecodeError {
  ReasonCode reason_code = ReasonCode::malformed_packet;
  std::string message;
  // Set when a CONNECT was read far enough to know the client's protocol
  // level, so the broker can phrase its CONNACK in that version.
  std::optional<ProtocolVersion> connect_version;
};

// Knobs for decoding that the spec leaves to the receiver.
struct DecodeOptions {
  Utf8Strictness utf8 = Utf8Strictness::required;
};

template <typename T>
class DecodeResult {
 public:
  DecodeResult(T value) : state_(std::move(value)) {}            // NOLINT: implicit by design
  DecodeResult(DecodeError error) : state_(std::move(error)) {}  // NOLINT: implicit by design

  bool has_value() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return has_value(); }

  T& value() { return std::get<T>(state_); }
  const T& value() const { return std::get<T>(state_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const DecodeError& error() const { return std::get<DecodeError>(state_); }

 private:
  std::variant<T, DecodeError> state_;
};

// Thrown by the encoders when asked to write something the target protocol
// version cannot express (an AUTH for 3.1.1, a QoS 1 PUBLISH without packet
// identifier, a string longer than 65535 bytes...). This is a caller bug, not
// a peer's fault.
class EncodeError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

}  // namespace mockforge::mqtt
