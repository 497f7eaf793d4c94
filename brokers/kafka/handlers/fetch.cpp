// Fetch (1): serves stored batches as received; long-polls up to max_wait_ms until min_bytes
// are available, woken by storage's wait_for_data and bounded by a timer on the strand.
// read_committed (isolation level 1) stops at the last stable offset and lists the aborted
// transactions in the returned range, so clients drop their records.
#include "mockforge/kafka/fetch.h"

#include <atomic>
#include <set>

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/broker/transaction_coordinator.h"
#include "brokers/kafka/codec/record_batch.h"
#include "brokers/kafka/handlers/authorize.h"
#include "brokers/kafka/handlers/handler.h"
#include "brokers/kafka/handlers/node_endpoints.h"
#include "brokers/kafka/handlers/topic_ids.h"

namespace mockforge::kafka {
namespace {

struct FetchState {
  RequestPtr request;
  FetchRequest parsed;
  std::vector<std::function<void()>> cancels;
  bool done = false;
};

struct Built {
  FetchResponse response;
  std::size_t bytes = 0;
  bool has_error = false;
  // Partitions to wait on when not enough bytes are there: (partition, offset).
  std::vector<std::pair<std::shared_ptr<storage::Partition>, int64_t>> waits;
  std::vector<std::pair<std::string, int64_t>> consumed;  // topic, records
  std::set<int32_t> leaders;  // named in current_leader fields (KIP-951)
};

Built build(FetchState& state) {
  Built built;
  Request& request = *state.request;
  auto& logs = request.broker.storage().logs();
  std::size_t budget = static_cast<std::size_t>(std::max(state.parsed.max_bytes, 0));
  const bool read_committed = state.parsed.isolation_level == 1;
  const TransactionCoordinator& transactions = request.broker.transactions();
  for (const auto& wanted : state.parsed.topics) {
    FetchResponse::FetchableTopicResponse topic_result;
    topic_result.topic = wanted.topic;
    topic_result.topic_id = wanted.topic_id;
    std::shared_ptr<storage::Topic> topic =
        request.version() >= 13 ? logs.find(to_topic_id(wanted.topic_id)) : logs.find(wanted.topic);
    const bool may_read =
        authorized(request, acl::kRead, acl::kTopic, topic ? topic->name() : wanted.topic);
    for (const auto& fetch : wanted.partitions) {
      FetchResponse::PartitionData data;
      data.partition_index = fetch.partition;
      data.records = Bytes{};  // empty, never null: librdkafka rejects a null record set
      auto partition = topic && may_read ? topic->partition(fetch.partition) : nullptr;
      int16_t leader_error = error::kNone;
      if (partition) {
        // Consumers fetch from the leader; KIP-392 follower fetching is not offered.
        leader_error =
            request.check_leader(topic->name(), fetch.partition, fetch.current_leader_epoch);
      }
      if (!may_read) {
        data.error_code = error::kTopicAuthorizationFailed;
        data.high_watermark = -1;
      } else if (!partition) {
        data.error_code = request.version() >= 13 && !topic ? error::kUnknownTopicId
                                                            : error::kUnknownTopicOrPartition;
        data.high_watermark = -1;
      } else if (leader_error != error::kNone) {
        data.error_code = leader_error;
        data.high_watermark = -1;
        if (leader_error == error::kNotLeaderOrFollower ||
            leader_error == error::kFencedLeaderEpoch) {
          // KIP-951: where the partition is led now (v12+; endpoints v16+).
          const Cluster::Leadership leadership =
              request.broker.cluster().leadership(topic->name(), fetch.partition);
          data.current_leader = {leadership.leader, leadership.epoch};
          built.leaders.insert(leadership.leader);
        }
      } else {
        std::size_t limit = std::min<std::size_t>(
            static_cast<std::size_t>(std::max(fetch.partition_max_bytes, 0)), budget);
        // Kafka returns at least one batch for the first partition with data, so a batch
        // larger than the limits still makes progress.
        if (limit == 0 && built.bytes == 0) limit = 1;
        auto read = partition->read(fetch.fetch_offset, std::max<std::size_t>(limit, 1));
        if (!read.ok()) {
          data.error_code = read.code() == storage::ErrorCode::kOffsetOutOfRange
                                ? error::kOffsetOutOfRange
                                : error::kUnknownTopicOrPartition;
          data.high_watermark = partition->high_watermark();
          data.log_start_offset = partition->log_start_offset();
        } else {
          const TopicPartitionKey key{topic->name(), fetch.partition};
          const int64_t stable = transactions.last_stable_offset(key, read->high_watermark);
          data.high_watermark = read->high_watermark;
          data.last_stable_offset = stable;
          data.log_start_offset = read->log_start_offset;
          Bytes records;
          int64_t record_count = 0;
          int64_t next_offset = fetch.fetch_offset;
          for (const auto& batch : read->batches) {
            if (limit == 0) break;
            if (read_committed && batch.base_offset >= stable) break;
            if (!records.empty() && records.size() + batch.size_bytes() > limit) break;
            records.insert(records.end(), batch.bytes.data(),
                           batch.bytes.data() + batch.bytes.size());
            record_count += batch.record_count;
            next_offset = batch.next_offset();
          }
          // Null for read_uncommitted, as Kafka sends it.
          data.aborted_transactions = std::nullopt;
          if (read_committed) {
            data.aborted_transactions.emplace();
            for (const auto& aborted :
                 transactions.aborted_transactions(key, fetch.fetch_offset, next_offset)) {
              data.aborted_transactions->push_back({aborted.producer_id, aborted.first_offset});
            }
          }
          if (records.empty()) {
            // read_committed waits for the stable offset to move: any append
            // past the high watermark (the marker that closes the transaction).
            int64_t wait_offset = fetch.fetch_offset;
            if (read_committed && stable < read->high_watermark) {
              wait_offset = std::max(wait_offset, read->high_watermark);
            }
            built.waits.emplace_back(partition, wait_offset);
          } else {
            budget -= std::min(budget, records.size());
            built.bytes += records.size();
            built.consumed.emplace_back(topic->name(), record_count);
          }
          data.records = std::move(records);
        }
      }
      if (data.error_code != 0) built.has_error = true;
      topic_result.partitions.push_back(std::move(data));
    }
    built.response.responses.push_back(std::move(topic_result));
  }
  built.response.node_endpoints =
      node_endpoints<FetchResponse::NodeEndpoint>(request, built.leaders);
  return built;
}

// One deliver event per partition that returned records: first offset,
// record count, batch bytes, and the first record's value as the preview.
void emit_deliveries(const Request& request, const FetchResponse& response) {
  for (const auto& topic : response.responses) {
    for (const auto& partition : topic.partitions) {
      if (!partition.records || partition.records->empty()) continue;
      traffic::Event event;
      event.kind = traffic::EventKind::kDeliver;
      event.topic = topic.topic;
      event.partition = partition.partition_index;
      event.size = partition.records->size();
      try {
        const auto batches = split_record_batches(*partition.records, true);
        uint64_t count = 0;
        for (const auto& batch : batches) count += batch.header.record_count;
        event.count = count;
        if (!batches.empty()) {
          event.offset = batches.front().header.base_offset;
          const auto records = decode_records(batches.front());
          if (!records.empty() && records.front().value) {
            const auto& value = *records.front().value;
            event.preview = traffic::Events::preview(
                std::string_view(reinterpret_cast<const char*>(value.data()), value.size()));
          }
        }
      } catch (const std::exception&) {
        // Stored batches validated when produced; a preview is not worth failing over.
      }
      request.emit_event(std::move(event));
    }
  }
}

void finish(const std::shared_ptr<FetchState>& state, Built built) {
  state->done = true;
  for (auto& cancel : state->cancels) cancel();
  state->cancels.clear();
  for (const auto& topic : built.response.responses) {
    for (const auto& partition : topic.partitions)
      state->request->count_error(partition.error_code);
  }
  auto& metrics = state->request->broker.metrics();
  for (const auto& [topic, records] : built.consumed) {
    metrics.messages_consumed.with({topic}).inc(static_cast<double>(records));
  }
  metrics.bytes_consumed.inc(static_cast<double>(built.bytes));
  if (state->request->events_on()) emit_deliveries(*state->request, built.response);
  state->request->reply(built.response);
}

// Builds the response; answers it if it is enough or the deadline passed, else waits again.
void attempt(const std::shared_ptr<FetchState>& state, bool deadline_passed) {
  if (state->done) return;
  // Drop the storage waiters of the previous round (the deadline timer stays, at index 0).
  for (std::size_t i = 1; i < state->cancels.size(); ++i) state->cancels[i]();
  if (!state->cancels.empty()) state->cancels.resize(1);
  Built built = build(*state);
  bool enough = built.bytes >= static_cast<std::size_t>(std::max(state->parsed.min_bytes, 1)) ||
                built.has_error || built.waits.empty();
  if (enough || deadline_passed || state->parsed.max_wait_ms <= 0) {
    finish(state, std::move(built));
    return;
  }
  std::weak_ptr<FetchState> weak = state;
  auto scheduler = state->request->scheduler;
  for (auto& [partition, offset] : built.waits) {
    auto fired = std::make_shared<std::atomic<bool>>(false);
    auto token = partition->wait_for_data(offset, [weak, scheduler, fired](storage::WaitOutcome) {
      if (fired->exchange(true)) return;
      scheduler->post([weak] {
        if (auto state = weak.lock()) attempt(state, false);
      });
    });
    if (token != storage::kWaitFiredImmediately) {
      state->cancels.push_back([partition = partition, token] { partition->cancel_wait(token); });
    }
  }
}

void handle(const RequestPtr& request, Reader& body) {
  auto state = std::make_shared<FetchState>();
  state->request = request;
  state->parsed.decode(body, request->version());
  if (state->parsed.max_wait_ms > 0) {
    // The timer holds the state until the deadline or until finish() cancels it.
    state->cancels.push_back(request->scheduler->run_after(
        std::chrono::milliseconds(state->parsed.max_wait_ms), [state] { attempt(state, true); }));
    attempt(state, false);
  } else {
    attempt(state, true);
  }
}

}  // namespace

extern const HandlerSpec kFetchHandler{1, 4, 16, &handle};

}  // namespace mockforge::kafka
