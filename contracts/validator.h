#pragma once

// Live validation of published messages against loaded AsyncAPI documents.
// The Validator is a gate on the traffic hub (core/traffic/hub.h): every
// message a broker is about to accept, and every message published through
// the hub, is checked against the documents' channels (asyncapi/contract.h).
// A violation is counted (mockforge_validation_failures_total{protocol,
// channel}), logged with its JSON pointer and schema keyword and kept in a
// bounded list of recent violations; in reject mode the gate refuses the
// message and the broker says so in its protocol's own way.
//
// The gate is installed only while a document is loaded in warn or reject
// mode, so the brokers' hot path costs one relaxed atomic load otherwise.
// Thread-safe.

#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "asyncapi/contract.h"
#include "core/traffic/hub.h"

namespace mockforge::metrics {
class Registry;
}

namespace mockforge::contracts {

enum class Mode { kOff, kWarn, kReject };
std::string_view to_string(Mode mode);
std::optional<Mode> parse_mode(std::string_view text);

// One refused or warned message.
struct ViolationRecord {
  uint64_t sequence = 0;  // 1, 2, ... since start (not reset by clear())
  int64_t timestamp_ms = 0;
  traffic::Protocol protocol = traffic::Protocol::kKafka;
  std::string destination;  // MQTT/Kafka topic, AMQP exchange
  std::string routing_key;  // AMQP
  std::string client_id;
  std::string document;  // the document's path
  std::string channel;   // the channel's id
  Mode mode = Mode::kWarn;
  std::vector<asyncapi::Violation> violations;
  nlohmann::json to_json() const;
};

// A loaded document, as listed by the admin API.
struct DocumentInfo {
  std::string path;
  std::string title;
  std::string version;
  std::string asyncapi_version;
  Mode mode = Mode::kWarn;
  // Channels (by id) whose mode is not the document's: from the channel's
  // `x-mockforge-validate`, then asyncapi.channel_validate, then the load's own.
  std::map<std::string, Mode> channel_modes;
  std::size_t channels = 0;
  std::vector<std::string> declared;      // "kafka topic orders (3 partitions)", ...
  std::vector<std::string> not_declared;  // what a broker refused, with its reason
  nlohmann::json to_json() const;
};

struct Options {
  Mode mode = Mode::kWarn;  // for documents loaded without their own
  std::size_t max_violations = 1000;
  bool create_channels = true;
  // asyncapi.channel_validate: a mode per channel id, in any document.
  std::map<std::string, Mode> channel_modes = {};
};

class LoadError : public std::runtime_error {
 public:
  explicit LoadError(std::vector<std::string> errors);
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::vector<std::string> errors_;
};

class Validator {
 public:
  Validator(traffic::Hub& hub, metrics::Registry& metrics, Options options);
  ~Validator();
  Validator(const Validator&) = delete;
  Validator& operator=(const Validator&) = delete;

  // Reads a document and compiles its schemas; throws LoadError (each error
  // as "file:line: #/pointer: message") and changes nothing when it cannot.
  // A document of the same path replaces the one loaded before.
  // With `declare`, what its channels describe is declared on the brokers
  // (when options.create_channels); a start-up load declares later, once the
  // brokers run (declare_all()).
  // `channels` sets modes per channel id; naming a channel the document does
  // not have is a LoadError.
  DocumentInfo load(const std::filesystem::path& path, std::optional<Mode> mode,
                    bool declare = true, const std::map<std::string, Mode>& channels = {});
  // Loads config entries of asyncapi.documents: "FILE" or "MODE=FILE".
  DocumentInfo load_entry(const std::string& entry, bool declare = true);
  // Declares every loaded document's channels (after the brokers started).
  void declare_all();
  bool unload(const std::string& path);

  std::vector<DocumentInfo> documents() const;
  // Newest last.
  std::vector<ViolationRecord> violations() const;
  uint64_t violations_total() const;
  std::size_t clear_violations();

  // The gate: whether `message` may be accepted.
  traffic::Admission admit(const traffic::Message& message);

 private:
  struct Loaded;
  void install_gate_locked();
  struct Declared {
    std::vector<std::string> done;
    std::vector<std::string> refused;  // with the broker's reason
  };
  Declared declare(const Loaded& loaded);
  void record(const Loaded& loaded, const traffic::Message& message,
              const asyncapi::Verdict& verdict);

  traffic::Hub& hub_;
  metrics::Registry& metrics_;
  Options options_;
  mutable std::mutex mutex_;
  // Replaced as a whole on load/unload; the gate reads a snapshot.
  std::shared_ptr<const std::vector<std::shared_ptr<Loaded>>> loaded_;
  std::optional<traffic::GateToken> gate_;
  std::deque<ViolationRecord> recent_;
  uint64_t sequence_ = 0;
};

}  // namespace mockforge::contracts
