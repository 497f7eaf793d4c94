// The Kafka broker on the traffic seam (core/traffic/hub.h): the Endpoint
// appends neutral messages to storage as a producer's Produce would
// (RecordBatch v2, murmur2 partitioning for keyed messages, round robin
// otherwise), which wakes long-polling fetchers; and the records of an
// accepted Produce batch as neutral messages for the observers.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "brokers/kafka/codec/record_batch.h"
#include "core/storage/byte_arena.h"
#include "core/traffic/hub.h"

namespace mockforge::sasl {
class UserStore;
}  // namespace mockforge::sasl

namespace mockforge::kafka {

class BrokerState;

// `users`: where Kafka users from fixture files go (the SASL user store); null when SASL is off.
std::shared_ptr<traffic::Endpoint> make_traffic_endpoint(
    BrokerState& broker, std::shared_ptr<sasl::UserStore> users = nullptr);

// Why a topic a fixture file declares cannot be created as it is, or "": a
// legal name, and configs that CreateTopics would take. Needs no broker, so
// `mockforge fixtures validate` asks it too.
std::string check_topic_declaration(const traffic::Resource& topic);

// The records of one stored batch, as the observers see them.
std::vector<traffic::Message> to_traffic(const RecordBatchView& batch, const std::string& topic,
                                         int32_t partition, const std::string& client_id);

// The same, undecoded: the stored batch, shared with the log, that decodes
// its records when asked (core/traffic/batch.h), for the hub's batch
// observers. It keeps the stored bytes (and their arena chunk) alive.
std::shared_ptr<const traffic::AcceptedBatch> to_accepted_batch(storage::ByteSlice stored,
                                                                int32_t record_count,
                                                                const std::string& topic,
                                                                int32_t partition,
                                                                const std::string& client_id);

}  // namespace mockforge::kafka
