// The Kafka broker's side of fault injection (faults/): names for rules (API
// names and keys, error codes), what a request looks like to a rule, and the
// error responses a rule can answer with. RequestPipeline is the one seam
// that calls it, where a request is dispatched.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "brokers/kafka/handlers/handler.h"
#include "faults/fault_set.h"

namespace mockforge::kafka {

// Resolves Kafka rules: match.api (a served API's name, any case, or its
// key), action.code (an error name such as NOT_LEADER_OR_FOLLOWER, or a
// number). Refuses an error action on an API that cannot answer with one.
void register_fault_resolver(faults::FaultSet& faults);

// The topic-partitions a request names (Produce, Fetch, ListOffsets,
// OffsetCommit, OffsetFetch, Metadata); empty for other APIs. Throws
// DecodeError on a malformed body.
std::vector<std::pair<std::string, int32_t>> request_topics(const Request& request, Reader body);

// Answers the request with `code` on every partition it names (or as its
// top-level error). Throws DecodeError on a malformed body.
void answer_with_error(const RequestPtr& request, Reader body, int16_t code);

}  // namespace mockforge::kafka
