#include "core/traffic/hub.h"

#include <algorithm>
#include <string>

namespace mockforge::traffic {

std::string_view to_string(Protocol protocol) {
  switch (protocol) {
    case Protocol::kKafka:
      return "kafka";
    case Protocol::kMqtt:
      return "mqtt";
    case Protocol::kAmqp:
      return "amqp";
  }
  return "unknown";
}

std::optional<Protocol> parse_protocol(std::string_view name) {
  if (name == "kafka") return Protocol::kKafka;
  if (name == "mqtt") return Protocol::kMqtt;
  if (name == "amqp") return Protocol::kAmqp;
  return std::nullopt;
}

std::string_view to_string(Resource::Kind kind) {
  switch (kind) {
    case Resource::Kind::kTopic:
      return "topic";
    case Resource::Kind::kExchange:
      return "exchange";
    case Resource::Kind::kQueue:
      return "queue";
    case Resource::Kind::kBinding:
      return "binding";
    case Resource::Kind::kConsumerGroup:
      return "consumer group";
    case Resource::Kind::kSession:
      return "session";
    case Resource::Kind::kVhost:
      return "vhost";
    case Resource::Kind::kUser:
      return "user";
    case Resource::Kind::kPermission:
      return "permission";
    case Resource::Kind::kAcl:
      return "ACL";
  }
  return "unknown";
}

DecodedBatch::DecodedBatch(std::vector<Message> messages) : messages_(std::move(messages)) {
  for (const auto& message : messages_) bytes_ += message.payload.size();
}

std::string header_text(const HeaderValue& value) {
  struct Visitor {
    std::string operator()(const std::string& text) const { return text; }
    std::string operator()(int64_t number) const { return std::to_string(number); }
    std::string operator()(double number) const {
      std::string text = std::to_string(number);
      // std::to_string gives six decimals; drop the trailing zeros.
      if (text.find('.') != std::string::npos) {
        while (text.back() == '0') text.pop_back();
        if (text.back() == '.') text.pop_back();
      }
      return text;
    }
    std::string operator()(bool flag) const { return flag ? "true" : "false"; }
  };
  return std::visit(Visitor{}, value);
}

void Hub::attach(Protocol protocol, std::shared_ptr<Endpoint> endpoint) {
  std::lock_guard lock(mutex_);
  endpoints_[static_cast<std::size_t>(protocol)] = std::move(endpoint);
}

void Hub::detach(Protocol protocol, const Endpoint* endpoint) {
  std::lock_guard lock(mutex_);
  auto& slot = endpoints_[static_cast<std::size_t>(protocol)];
  if (slot.get() == endpoint) slot.reset();
}

bool Hub::attached(Protocol protocol) const { return endpoint(protocol) != nullptr; }

std::shared_ptr<Endpoint> Hub::endpoint(Protocol protocol) const {
  std::lock_guard lock(mutex_);
  return endpoints_[static_cast<std::size_t>(protocol)];
}

PublishResult Hub::publish(std::span<const Message> messages) { return publish(messages, true); }

PublishResult Hub::seed(std::span<const Message> messages) { return publish(messages, false); }

PublishResult Hub::publish(std::span<const Message> messages, bool observe) {
  PublishResult result;
  std::size_t begin = 0;
  while (begin < messages.size()) {
    // One call per run of messages of the same protocol.
    const Protocol protocol = messages[begin].protocol;
    std::size_t end = begin + 1;
    while (end < messages.size() && messages[end].protocol == protocol) ++end;
    auto target = endpoint(protocol);
    if (!target) {
      result.error = std::string(to_string(protocol)) + " is not enabled";
      return result;
    }
    auto run = messages.subspan(begin, end - begin);
    std::string refusal;
    if (gated()) {
      for (std::size_t i = 0; i < run.size(); ++i) {
        if (auto admission = admit(run[i]); admission.refused) {
          refusal = "refused: " + admission.reason;
          run = run.first(i);
          break;
        }
      }
    }
    const auto outcome = run.empty() ? PublishResult{} : target->publish(run);
    if (observe && observed()) {
      const auto taken = run.first(std::min(outcome.accepted, run.size()));
      const auto current = observers();
      for (const auto& message : taken) tell(*current, message);
      if (!current->batches.empty() && !taken.empty()) {
        const std::shared_ptr<const AcceptedBatch> batch =
            std::make_shared<DecodedBatch>(std::vector<Message>(taken.begin(), taken.end()));
        for (const auto& [token, observer] : current->batches) (*observer)(batch);
      }
    }
    result.accepted += outcome.accepted;
    if (!outcome.ok()) {
      result.error = outcome.error;
      return result;
    }
    if (!refusal.empty()) {
      result.error = std::move(refusal);
      return result;
    }
    begin = end;
  }
  return result;
}

std::string Hub::declare(const Resource& resource) {
  auto target = endpoint(resource.protocol);
  if (!target) return std::string(to_string(resource.protocol)) + " is not enabled";
  return target->declare(resource);
}

std::string Hub::check(const Resource& resource) {
  auto target = endpoint(resource.protocol);
  if (!target) return std::string(to_string(resource.protocol)) + " is not enabled";
  return target->check(resource);
}

ObserverToken Hub::observe(Observer observer) {
  std::lock_guard lock(mutex_);
  auto next = std::make_shared<Observers>(*observers_);
  const ObserverToken token = next_token_++;
  next->messages.emplace(token, std::make_shared<const Observer>(std::move(observer)));
  observers_ = std::move(next);
  observer_count_.fetch_add(1, std::memory_order_relaxed);
  return token;
}

ObserverToken Hub::observe_batches(BatchObserver observer) {
  std::lock_guard lock(mutex_);
  auto next = std::make_shared<Observers>(*observers_);
  const ObserverToken token = next_token_++;
  next->batches.emplace(token, std::make_shared<const BatchObserver>(std::move(observer)));
  observers_ = std::move(next);
  observer_count_.fetch_add(1, std::memory_order_relaxed);
  return token;
}

bool Hub::unobserve(ObserverToken token) {
  std::lock_guard lock(mutex_);
  if (!observers_->messages.contains(token) && !observers_->batches.contains(token)) return false;
  auto next = std::make_shared<Observers>(*observers_);
  next->messages.erase(token);
  next->batches.erase(token);
  observers_ = std::move(next);
  observer_count_.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

std::shared_ptr<const Hub::Observers> Hub::observers() const {
  std::lock_guard lock(mutex_);
  return observers_;
}

GateToken Hub::add_gate(Gate gate) {
  std::lock_guard lock(mutex_);
  auto next = std::make_shared<GateList>(*gates_);
  const GateToken token = next_token_++;
  next->emplace(token, std::make_shared<const Gate>(std::move(gate)));
  gates_ = std::move(next);
  gate_count_.fetch_add(1, std::memory_order_relaxed);
  return token;
}

bool Hub::remove_gate(GateToken token) {
  std::lock_guard lock(mutex_);
  if (!gates_->contains(token)) return false;
  auto next = std::make_shared<GateList>(*gates_);
  next->erase(token);
  gates_ = std::move(next);
  gate_count_.fetch_sub(1, std::memory_order_relaxed);
  return true;
}

Admission Hub::admit(const Message& message) const {
  std::shared_ptr<const GateList> gates;
  {
    std::lock_guard lock(mutex_);
    gates = gates_;
  }
  for (const auto& [token, gate] : *gates) {
    if (auto admission = (*gate)(message); admission.refused) return admission;
  }
  return Admission::accept();
}

void Hub::accepted(const Message& message) const {
  const auto current = observers();
  tell(*current, message);
  if (current->batches.empty()) return;
  const std::shared_ptr<const AcceptedBatch> batch = std::make_shared<DecodedBatch>(message);
  for (const auto& [token, observer] : current->batches) (*observer)(batch);
}

void Hub::accepted(const std::shared_ptr<const AcceptedBatch>& batch) const {
  const auto current = observers();
  if (!current->messages.empty() || events_.active()) {
    for (const auto& message : batch->messages()) tell(*current, message);
  }
  for (const auto& [token, observer] : current->batches) (*observer)(batch);
}

void Hub::tell(const Observers& observers, const Message& message) const {
  for (const auto& [token, observer] : observers.messages) (*observer)(message);
  if (events_.active()) {
    Event event;
    event.protocol = message.protocol;
    event.kind = EventKind::kPublish;
    event.client_id = message.client_id;
    if (message.protocol == Protocol::kAmqp) {
      event.exchange = message.destination;
      event.routing_key = message.routing_key;
    } else {
      event.topic = message.destination;
    }
    event.partition = message.partition;
    event.size = message.payload.size();
    event.preview = Events::preview(message.payload);
    if (message.protocol == Protocol::kMqtt) {
      event.detail = "qos " + std::to_string(message.qos) + (message.retain ? " retain" : "");
    }
    events_.emit(std::move(event));
  }
}

}  // namespace mockforge::traffic
