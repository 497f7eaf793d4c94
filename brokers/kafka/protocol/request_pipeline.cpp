#include "brokers/kafka/protocol/request_pipeline.h"

#include "brokers/kafka/broker/error_codes.h"
#include "brokers/kafka/codec/errors.h"
#include "brokers/kafka/faults/kafka_faults.h"
#include "brokers/kafka/handlers/api_versions.h"
#include "brokers/kafka/handlers/registry.h"
#include "core/log/logging.h"
#include "core/traffic/events.h"
#include "mockforge/kafka/sasl_authenticate.h"
#include "mockforge/kafka/sasl_handshake.h"

namespace mockforge::kafka {

namespace {
constexpr std::size_t kSizePrefix = 4;
constexpr int32_t kMinRequestSize = 8;  // key, version, correlation id
}  // namespace

FrameCheck check_frame(std::span<const uint8_t> unread, std::size_t max_frame_bytes,
                       bool raw_sasl_token) {
  if (unread.size() < kSizePrefix) return {FrameCheck::Kind::kNeedMore, kSizePrefix, {}};
  int32_t size = static_cast<int32_t>((uint32_t{unread[0]} << 24) | (uint32_t{unread[1]} << 16) |
                                      (uint32_t{unread[2]} << 8) | uint32_t{unread[3]});
  if (size < (raw_sasl_token ? 0 : kMinRequestSize)) {
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
  bool sent = false;
  while (!slots.empty() && slots.front()->done) {
    auto slot = std::move(slots.front());
    slots.pop_front();
    if (sink != nullptr && slot->frame) sink->send(std::move(*slot->frame));
    sent = true;
  }
  if (sent && sink != nullptr) sink->answered(slots.size());
}

RequestPipeline::RequestPipeline(BrokerState& broker, Sink& sink,
                                 std::shared_ptr<ConnectionScheduler> scheduler,
                                 std::string local_host, int32_t local_port,
                                 std::string client_host, int32_t node_id, bool tls_listener)
    : broker_(broker),
      state_(std::make_shared<State>(State{&sink, {}, false, false, {}})),
      scheduler_(std::move(scheduler)),
      local_host_(std::move(local_host)),
      local_port_(local_port),
      client_host_(std::move(client_host)),
      node_id_(node_id),
      tls_listener_(tls_listener),
      sasl_(broker.options().sasl) {}

RequestPipeline::~RequestPipeline() { on_closed(); }

void RequestPipeline::on_closed() {
  if (!closed_ && client_id_) {
    if (auto* events = broker_.listening_events()) {
      traffic::Event event;
      event.protocol = traffic::Protocol::kKafka;
      event.kind = traffic::EventKind::kDisconnect;
      event.client_id = *client_id_;
      event.connection = client_host_;
      events->emit(std::move(event));
    }
  }
  closed_ = true;
  state_->sink = nullptr;
  state_->slots.clear();
  state_->held.clear();
}

std::size_t RequestPipeline::pending_responses() const { return state_->slots.size(); }

void RequestPipeline::close(const std::string& reason) {
  if (state_->sink == nullptr) return;
  state_->closing = true;
  state_->held.clear();
  // Answers already queued go out first; the rest are dropped with the connection,
  // including those that complete later (a long-polling Fetch): nothing is sent
  // after close.
  state_->flush();
  Sink* sink = state_->sink;
  state_->sink = nullptr;
  state_->slots.clear();
  sink->close(reason);
}

void RequestPipeline::on_frame(std::span<const uint8_t> frame) {
  if (state_->closing || state_->sink == nullptr) return;
  if (state_->holding) {
    state_->held.emplace_back(frame.begin(), frame.end());
    return;
  }
  handle_frame(frame);
}

void RequestPipeline::handle_frame(std::span<const uint8_t> frame) {
  if (sasl_.state() == SaslSession::State::kRawTokens) {
    handle_raw_sasl_token(frame.subspan(kSizePrefix));
    return;
  }
  Reader reader(frame.subspan(kSizePrefix));
  RequestHeader header;
  try {
    header = read_request_header(reader);
  } catch (const DecodeError& e) {
    close(std::string("malformed request header: ") + e.what());
    return;
  }
  const ServedApi* api = find_served_api(header.api_key);
  broker_.metrics().requests.with({std::string(api ? api->name : "unknown")}).inc();
  if (!client_id_) {
    client_id_ = header.client_id.value_or("");
    if (auto* events = broker_.listening_events()) {
      traffic::Event event;
      event.protocol = traffic::Protocol::kKafka;
      event.kind = traffic::EventKind::kConnect;
      event.client_id = *client_id_;
      event.connection = client_host_;
      event.detail = "first request " + std::string(api ? api->name : "unknown") + " v" +
                     std::to_string(header.api_version);
      events->emit(std::move(event));
    }
  }

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
  request->sasl = &sasl_;
  request->principal = sasl_.principal();
  request->node_id = node_id_;
  request->tls_listener = tls_listener_;
  if (!admit(request, *api, reader)) return;
  if (auto* faults = broker_.fault_set(); faults && faults->armed(traffic::Protocol::kKafka)) {
    if (apply_faults(request, *api, frame, reader)) return;
  }
  dispatch(request, *api, reader);
}

bool RequestPipeline::admit(const std::shared_ptr<Request>& request, const ServedApi& api,
                            Reader body) {
  if (!sasl_.required()) return true;
  const int16_t key = api.api_key;
  const bool sasl_api =
      key == SaslHandshakeRequest::kApiKey || key == SaslAuthenticateRequest::kApiKey;
  if (sasl_.state() == SaslSession::State::kAuthenticated) {
    // KIP-368: past the session's lifetime only a re-authentication may use the connection.
    if (key != SaslHandshakeRequest::kApiKey && sasl_.expired(SaslSession::Clock::now())) {
      state_->slots.pop_back();
      close("SASL session expired (kafka.sasl_session_lifetime) without re-authentication");
      return false;
    }
    return true;
  }
  if (sasl_api || (key == kApiVersionsKey && sasl_.state() == SaslSession::State::kHandshake)) {
    return true;
  }
  if (sasl_.state() == SaslSession::State::kAuthenticate) {
    // Kafka answers with the request's own error response, then closes.
    try {
      answer_with_error(request, body, error::kIllegalSaslState);
    } catch (const DecodeError&) {
    }
    close("unexpected " + std::string(api.name) + " request during SASL authentication");
    return false;
  }
  // Before SaslHandshake Kafka closes without an answer.
  state_->slots.pop_back();
  close("unexpected " + std::string(api.name) + " request during SASL handshake");
  return false;
}

void RequestPipeline::handle_raw_sasl_token(std::span<const uint8_t> token) {
  const auto answer = sasl_.authenticate(
      std::string_view(reinterpret_cast<const char*>(token.data()), token.size()),
      SaslSession::Clock::now());
  if (answer.error_code != error::kNone) {
    // Raw tokens carry no error: Kafka closes the connection.
    close("SASL authentication failed (" + sasl_.failure() + ")");
    return;
  }
  if (sasl_.state() == SaslSession::State::kAuthenticated) {
    log::get("kafka")->debug("{} authenticated as {}", client_host_, sasl_.principal());
  }
  Bytes frame(kSizePrefix + answer.token.size());
  const auto size = static_cast<uint32_t>(answer.token.size());
  frame[0] = static_cast<uint8_t>(size >> 24);
  frame[1] = static_cast<uint8_t>(size >> 16);
  frame[2] = static_cast<uint8_t>(size >> 8);
  frame[3] = static_cast<uint8_t>(size);
  std::copy(answer.token.begin(), answer.token.end(), frame.begin() + kSizePrefix);
  auto slot = std::make_shared<Slot>();
  slot->done = true;
  slot->frame = std::move(frame);
  state_->slots.push_back(std::move(slot));
  state_->flush();
}

void RequestPipeline::dispatch(const std::shared_ptr<Request>& request, const ServedApi& api,
                               Reader& body) {
  try {
    api.handle(request, body);
    if (sasl_.state() == SaslSession::State::kFailed) {
      close("SASL " + std::string(api.name) + " failed (" + sasl_.failure() + ")");
    }
  } catch (const DecodeError& e) {
    state_->slots.pop_back();
    close(std::string("malformed ") + std::string(api.name) + " request: " + e.what());
  } catch (const std::exception& e) {
    log::get("kafka")->error("{} request failed: {}", api.name, e.what());
    state_->slots.pop_back();
    close(std::string("internal error in ") + std::string(api.name) + ": " + e.what());
  }
}

bool RequestPipeline::apply_faults(const std::shared_ptr<Request>& request, const ServedApi& api,
                                   std::span<const uint8_t> frame, Reader body) {
  std::optional<faults::Firing> firing;
  try {
    const auto topics = request_topics(*request, body);
    faults::Subject subject;
    subject.protocol = traffic::Protocol::kKafka;
    subject.operation_id = api.api_key;
    subject.operation = api.name;
    for (const auto& [topic, partition] : topics) subject.topics.emplace_back(topic, partition);
    const auto client_id = request->client_id();
    subject.client = client_id;
    firing = broker_.fault_set()->evaluate(subject);
  } catch (const DecodeError&) {
    return false;  // the handler refuses the malformed body as usual
  }
  if (!firing) return false;
  using faults::ActionKind;
  switch (firing->action.kind) {
    case ActionKind::kError:
      try {
        answer_with_error(request, body, static_cast<int16_t>(firing->action.code));
      } catch (const DecodeError& e) {
        state_->slots.pop_back();
        close(std::string("malformed ") + std::string(api.name) + " request: " + e.what());
      }
      return true;
    case ActionKind::kClose:
      state_->slots.pop_back();
      close("fault rule " + firing->rule + " closed the connection");
      return true;
    case ActionKind::kDrop:
      request->reply_nothing();
      return true;
    case ActionKind::kLatency:
    case ActionKind::kThrottle:
    case ActionKind::kPause: {
      if (firing->delay.count() <= 0) return false;
      // Held, with every later frame of this connection, until the delay ends.
      state_->holding = true;
      auto copy = std::make_shared<Bytes>(frame.begin(), frame.end());
      const std::size_t body_offset = kSizePrefix + (frame.size() - kSizePrefix - body.remaining());
      std::weak_ptr<State> weak_state = state_;
      const ServedApi* held_api = &api;
      scheduler_->run_after(
          firing->delay, [this, weak_state, request, held_api, copy, body_offset] {
            const auto state = weak_state.lock();
            if (!state || state->sink == nullptr || state->closing) return;
            Reader held_body(std::span<const uint8_t>(*copy).subspan(body_offset));
            state->holding = false;
            dispatch(request, *held_api, held_body);
            release_held();
          });
      return true;
    }
    default:
      return false;  // AMQP actions: the resolver refuses them for Kafka
  }
}

void RequestPipeline::release_held() {
  while (!state_->holding && !state_->closing && state_->sink != nullptr && !state_->held.empty()) {
    const Bytes frame = std::move(state_->held.front());
    state_->held.pop_front();
    handle_frame(frame);
  }
}

}  // namespace mockforge::kafka
