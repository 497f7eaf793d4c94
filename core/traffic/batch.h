// Messages a broker accepted together, in a form that is turned into neutral
// messages (message.h) only when somebody asks. An observer that keeps what
// it sees (the history) holds the batch and decodes it when queried, so a
// Kafka produce batch costs a copy of its bytes instead of a decode per
// record while nobody looks. Immutable once made; shared across threads.
#pragma once

#include <cstddef>
#include <vector>

#include "core/traffic/message.h"

namespace mockforge::traffic {

class AcceptedBatch {
 public:
  virtual ~AcceptedBatch() = default;
  // How many messages were accepted, and about how many bytes of memory the
  // batch holds (what a bounded keeper counts against its byte limit).
  virtual std::size_t size() const = 0;
  virtual std::size_t bytes() const = 0;
  // The messages, in order. Fewer than size() only when some cannot be
  // decoded (a Kafka batch that validated but does not decompress).
  virtual std::vector<Message> messages() const = 0;
};

// Messages already in neutral form.
class DecodedBatch final : public AcceptedBatch {
 public:
  explicit DecodedBatch(std::vector<Message> messages);
  explicit DecodedBatch(const Message& message) : DecodedBatch(std::vector<Message>{message}) {}
  std::size_t size() const override { return messages_.size(); }
  std::size_t bytes() const override { return bytes_; }
  std::vector<Message> messages() const override { return messages_; }

 private:
  std::vector<Message> messages_;
  std::size_t bytes_ = 0;
};

}  // namespace mockforge::traffic
