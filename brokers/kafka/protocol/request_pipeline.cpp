#include "brokers/kafka/protocol/request_pipeline.h"

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/codec/errors.h"
#include "brokers/kafka/handlers/api_versions.h"
#include "brokers/kafka/handlers/registry.h"
#include "core/log/logging.h"

namespace mockforge::kafka {

namespace {
constexpr std::size_t kSizePrefix = 4;
constexpr int32_t kMinRequestSize = 8;  // key, version, correlation id
}  // namespace

FrameCheck check_frame(std::span<const uint8_t> unread, std::size_t max_frame_bytes) {
  if (unread.size() < kSizePrefix) return {FrameCheck::Kind::kNeedMore, kSizePrefix, {}};
  int32_t size = static_cast<int32_t>((uint32_t{unread[0]} << 24) | (uint32_t{unread[1]} << 16) |
                                      (uint32_t{unread[2]} << 8) | uint32_t{unread[3]});
  if (size < kMinRequestSize) {
    return {FrameCheck::Kind::kInvalid, 0, "request size " + std::to_string(size) + " too small"};
  }
  if (static_cast<std::size_t>(size) > max_frame_bytes) {
    return {FrameCheck::Kind::kInvalid, 0,
            "request size " + std::to_string(size) + " above kafka.max_frame_bytes"};
  }
  std::size_t total = kSizePrefix + static_cast<std::size_t>(size);
  if (unread.size() < total) return {FrameCheck::Kind::kNeedMore, total, {}};
  return {FrameCheck::Kind::kComplete, total, {}};
}

void RequestPipeline::State::flush() {
  while (!slots.empty() && slots.front()->done) {
    auto slot = std::move(slots.front());
    slots.pop_front();
    if (sink != nullptr && slot->frame) sink->send(std::move(*slot->frame));
  }
}

RequestPipeline::RequestPipeline(BrokerState& broker, Sink& sink,
                                 std::shared_ptr<ConnectionScheduler> scheduler,
                                 std::string local_host, int32_t local_port,
                                 std::string client_host)
    : broker_(broker),
      state_(std::make_shared<State>(State{&sink, {}, false})),
      scheduler_(std::move(scheduler)),
      local_host_(std::move(local_host)),
      local_port_(local_port),
      client_host_(std::move(client_host)) {}

RequestPipeline::~RequestPipeline() { on_closed(); }

void RequestPipeline::on_closed() {
  state_->sink = nullptr;
  state_->slots.clear();
}

std::size_t RequestPipeline::pending_responses() const { return state_->slots.size(); }

void RequestPipeline::on_frame(std::span<const uint8_t> frame) {
  if (state_->closing || state_->sink == nullptr) return;
  Reader reader(frame.subspan(kSizePrefix));
  RequestHeader header;
  auto close = [&](const std::string& reason) {
    state_->closing = true;
    // Answers already queued go out first; the rest are dropped with the connection.
    state_->flush();
    state_->sink->close(reason);
  };
  try {
    header = read_request_header(reader);
  } catch (const DecodeError& e) {
    close(std::string("malformed request header: ") + e.what());
    return;
  }
  const ServedApi* api = find_served_api(header.api_key);
  broker_.metrics().requests.with({std::string(api ? api->name : "unknown")}).inc();

  auto slot = std::make_shared<Slot>();
  state_->slots.push_back(slot);
  std::weak_ptr<State> weak_state = state_;
  auto responder = [weak_state, slot](std::optional<Bytes> response) {
    auto state = weak_state.lock();
    if (!state) return;
    slot->done = true;
    slot->frame = std::move(response);
    state->flush();
  };

  bool supported = api != nullptr && header.api_version >= api->min_version &&
                   header.api_version <= api->max_version;
  if (!supported && header.api_key == kApiVersionsKey) {
    // Answer in v0 with our ranges so the client can retry with a version we know.
    auto response = served_api_versions(error::kUnsupportedVersion);
    responder(encode_response_frame(header.correlation_id, kApiVersionsKey, 0, response));
    broker_.metrics()
        .request_errors.with({"ApiVersions", std::string(error::name(error::kUnsupportedVersion))})
        .inc();
    return;
  }
  if (!supported) {
    state_->slots.pop_back();
    close("unsupported API key " + std::to_string(header.api_key) + " version " +
          std::to_string(header.api_version));
    return;
  }
  auto request = std::make_shared<Request>(broker_, header, local_host_, local_port_, client_host_,
                                           scheduler_, responder);
  try {
    api->handle(request, reader);
  } catch (const DecodeError& e) {
    state_->slots.pop_back();
    close(std::string("malformed ") + std::string(api->name) + " request: " + e.what());
  } catch (const std::exception& e) {
    log::get("kafka")->error("{} request failed: {}", api->name, e.what());
    state_->slots.pop_back();
    close(std::string("internal error in ") + std::string(api->name) + ": " + e.what());
  }
}

}  // namespace mockforge::kafka
