#pragma once

// The check of one published message against the documents' channels: which
// channel covers it (by protocol and name: MQTT topic, Kafka topic, AMQP
// exchange + routing key, or the queue of an `is: queue` channel reached
// through the default exchange), and whether its payload (JSON) and its
// headers (when the message has a header schema) conform. Protocol-neutral
// (core/traffic/message.h); thread-safe after construction. Live validation
// (contracts/validator.h) consults it for each publish.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "asyncapi/model.h"
#include "core/traffic/message.h"

namespace mockforge::asyncapi {

struct Verdict {
  std::string channel;                // the covering channel's id
  std::string message_id;             // the message it was checked against ("" when none matched)
  std::vector<Violation> violations;  // pointers into the payload; "/headers/..." for headers
  bool ok() const { return violations.empty(); }
};

class Contract {
 public:
  // Compiles every message's schemas; throws std::runtime_error naming the
  // message when valijson cannot use one.
  explicit Contract(std::vector<Model> models);
  ~Contract();

  // nullopt when no channel covers the message, or when `wanted` is given and
  // says no to the channel (by id) that covers it: that channel is not checked.
  std::optional<Verdict> check(
      const traffic::Message& message,
      const std::function<bool(const std::string& channel_id)>& wanted = nullptr) const;

 private:
  struct CompiledMessage;
  struct CompiledChannel;
  std::vector<Model> models_;
  std::vector<std::unique_ptr<CompiledChannel>> channels_;
};

// The headers of `message` as a JSON object for `schema`: typed values keep
// their type; a text value becomes an integer, number or boolean when the
// schema's property of that name has that type and the text reads as one.
nlohmann::json headers_json(const traffic::Message& message, const Json& schema);

}  // namespace mockforge::asyncapi
