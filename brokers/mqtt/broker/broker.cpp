#include "brokers/mqtt/broker/broker.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "brokers/mqtt/broker/traffic.h"
#include "brokers/mqtt/codec/topic.h"

namespace mockforge::mqtt {

namespace {

std::string shared_key(std::string_view group, std::string_view filter) {
  std::string key(group);
  key += '\n';
  key += filter;
  return key;
}

std::string_view shared_filter_of(std::string_view key) { return key.substr(key.find('\n') + 1); }

struct PendingDelivery {
  Delivery delivery;
  bool any = false;
};

void merge(PendingDelivery& pending, const Message& message,
           const storage::SubscriptionOptions& options) {
  const auto granted =
      static_cast<QoS>(std::min<uint8_t>(static_cast<uint8_t>(message.qos), options.qos));
  if (!pending.any || granted > pending.delivery.qos) pending.delivery.qos = granted;
  if (message.retain && options.retain_as_published) pending.delivery.retain = true;
  if (options.subscription_identifier) {
    pending.delivery.subscription_identifiers.push_back(*options.subscription_identifier);
  }
  pending.any = true;
}

}  // namespace

Broker::Broker(BrokerOptions options, storage::RetainedStore& retained,
               storage::SessionStore& sessions, BrokerMetrics* metrics)
    : options_(options), retained_(retained), sessions_(sessions), metrics_(metrics) {
  std::lock_guard lock(mutex_);
  rebuild_index_locked();
}

Broker::~Broker() = default;

storage::TimePoint Broker::now() const { return storage::Clock::now(); }

bool Broker::has_room_for(const std::string& client_id) const {
  if (options_.max_connections == 0) return true;
  std::lock_guard lock(mutex_);
  // A takeover does not add a client.
  if (links_.contains(std::string_view(client_id))) return true;
  return links_.size() < options_.max_connections;
}

ConnectResult Broker::connect(const std::string& client_id, bool clean_start,
                              uint32_t session_expiry_seconds, std::shared_ptr<ClientLink> link) {
  ConnectResult result;
  std::shared_ptr<ClientLink> previous;
  {
    std::lock_guard lock(mutex_);
    if (auto it = links_.find(std::string_view(client_id)); it != links_.end()) {
      previous = (*it)->shared();
      links_.erase(it);
    }
    pending_wills_.erase(client_id);
    if (clean_start && sessions_.find(client_id)) remove_session_locked(client_id);
    auto opened = sessions_.open(client_id);
    result.session = opened.session;
    result.session_present = !opened.created;
    result.session->set_expiry_interval(session_expiry_seconds);
    result.session->set_offline_cap(options_.max_queued_messages);
    result.session->mark_connected();
    link->registered(result.session);
    links_.insert(link.get());
    if (auto it = hand_overs_.find(client_id); it != hand_overs_.end()) {
      result.resumed = std::move(it->second);
      hand_overs_.erase(it);
    }
    result.queued = result.session->take_offline();
    // The old connection hands its in-flight state over when it closes.
    result.awaiting_hand_over = previous && !clean_start;
    const uint64_t connected = links_.size();
    uint64_t maximum = stats_.clients_maximum.load();
    while (connected > maximum &&
           !stats_.clients_maximum.compare_exchange_weak(maximum, connected)) {
    }
  }
  if (previous) previous->take_over();
  if (metrics_ && !previous) metrics_->client_connected();
  return result;
}

void Broker::redeliver(const std::string& client_id, const ClientLink* from, Delivery delivery) {
  std::shared_ptr<ClientLink> successor;
  {
    std::lock_guard lock(mutex_);
    if (auto it = links_.find(std::string_view(client_id)); it != links_.end() && *it != from) {
      successor = (*it)->shared();
    } else {
      // Queued under the lock, as route() queues (a connect meanwhile would miss it).
      auto session = sessions_.find(client_id);
      if (!session) {
        dropped("session_ended");
        return;
      }
      auto queued = session->enqueue_offline(to_offline(delivery));
      if (!queued.ok() || !queued.value()) dropped(queued.ok() ? "queue_full" : "storage_full");
      return;
    }
  }
  successor->deliver(std::move(delivery));
}

void Broker::disconnected(const std::string& client_id, const ClientLink* link,
                          const storage::Session* session_used, uint32_t session_expiry_seconds,
                          SessionHandOver hand_over, std::optional<WillMessage> will) {
  std::optional<WillMessage> will_now;
  std::shared_ptr<ClientLink> successor;
  {
    std::lock_guard lock(mutex_);
    auto it = links_.find(std::string_view(client_id));
    if (it == links_.end() || *it != link) {
      // Taken over: the session lives on with the new connection. A will
      // without delay still goes out, since this connection did not end
      // normally; a delayed one is cancelled by the new connection.
      if (will && will->delay_seconds == 0) will_now = std::move(will);
      auto current = sessions_.find(client_id);
      if (it != links_.end() && current && current.get() == session_used) {
        successor = (*it)->shared();
      }
    } else {
      links_.erase(it);
      if (metrics_) metrics_->client_disconnected();
      auto session = sessions_.find(client_id);
      if (session_expiry_seconds == 0 || !session) {
        remove_session_locked(client_id);
        will_now = std::move(will);  // the session ended: the will goes now
      } else {
        session->set_expiry_interval(session_expiry_seconds);
        session->mark_disconnected(now());
        hand_overs_[client_id] = std::move(hand_over);
        if (will && will->delay_seconds == 0) {
          will_now = std::move(will);
        } else if (will) {
          const uint32_t delay = std::min(will->delay_seconds, session_expiry_seconds);
          pending_wills_[client_id] = {std::move(*will), now() + std::chrono::seconds(delay)};
        }
      }
    }
  }
  if (successor) successor->adopt(std::move(hand_over));
  if (will_now) send_will(*will_now);
}

std::size_t Broker::publish_from_client(const Message& message,
                                        const traffic::Message& as_traffic) {
  const std::size_t routed = publish(message);
  if (traffic_ != nullptr && traffic_->observed()) traffic_->accepted(as_traffic);
  return routed;
}

void Broker::send_will(const WillMessage& will) { publish_from_client(will.message); }

std::size_t Broker::publish_from_client(const Message& message) {
  const std::size_t routed = publish(message);
  if (traffic_ != nullptr && traffic_->observed()) traffic_->accepted(to_traffic(message));
  return routed;
}

traffic::Events* Broker::listening_events() const {
  return traffic_ != nullptr && traffic_->events().active() ? &traffic_->events() : nullptr;
}

void Broker::dropped(std::string_view reason) {
  stats_.publish_dropped.fetch_add(1, std::memory_order_relaxed);
  if (metrics_) metrics_->dropped(reason);
}

bool Broker::subscribe(const std::string& client_id, const std::string& filter,
                       storage::SubscriptionOptions options) {
  auto session = sessions_.find(client_id);
  if (!session) session = sessions_.open(client_id).session;  // dropped by a reset
  const bool is_new = session->subscribe(filter, options);
  std::lock_guard lock(mutex_);
  index_add_locked(client_id, filter, options);
  return is_new;
}

bool Broker::unsubscribe(const std::string& client_id, const std::string& filter) {
  auto session = sessions_.find(client_id);
  const bool existed = session && session->unsubscribe(filter);
  std::lock_guard lock(mutex_);
  index_remove_locked(client_id, filter);
  return existed;
}

std::vector<storage::RetainedEntry> Broker::retained_matching(const std::string& filter) const {
  const auto parsed = parse_topic_filter(filter);
  if (!parsed) return {};
  const std::string plain(parsed->filter);
  auto out = retained_.collect(
      [&plain](std::string_view topic) { return topic_matches(plain, topic); }, now());
  if (plain.starts_with("$SYS")) {
    std::lock_guard lock(mutex_);
    for (const auto& [topic, value] : sys_) {
      if (!topic_matches(plain, topic)) continue;
      storage::RetainedEntry entry;
      entry.topic = topic;
      entry.message.payload = storage::make_bytes(value);
      entry.message.stored_at = now();
      out.push_back(std::move(entry));
    }
  }
  return out;
}

std::map<std::string, std::string> Broker::sys_values() const {
  std::lock_guard lock(mutex_);
  return sys_;
}

void Broker::publish_sys(storage::TimePoint at) {
  const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(at - started_).count();
  auto count = [](const std::atomic<uint64_t>& counter) {
    return std::to_string(counter.load(std::memory_order_relaxed));
  };
  std::map<std::string, std::string> values;
  const std::size_t sessions = sessions_.size();
  std::size_t connected = 0;
  std::size_t subscriptions = 0;
  std::size_t shared_subscriptions = 0;
  {
    std::lock_guard lock(mutex_);
    connected = links_.size();
    for (const auto& [filter, subscribers] : plain_) subscriptions += subscribers.size();
    for (const auto& [key, group] : shared_) shared_subscriptions += group.members.size();
  }
  subscriptions += shared_subscriptions;
  const std::string prefix = "$SYS/broker/";
  values[prefix + "version"] = options_.version;
  values[prefix + "uptime"] = fmt::format("{} seconds", uptime);
  values[prefix + "clients/connected"] = std::to_string(connected);
  values[prefix + "clients/disconnected"] =
      std::to_string(sessions > connected ? sessions - connected : 0);
  values[prefix + "clients/total"] = std::to_string(std::max(sessions, connected));
  values[prefix + "clients/maximum"] = count(stats_.clients_maximum);
  values[prefix + "messages/received"] = count(stats_.packets_received);
  values[prefix + "messages/sent"] = count(stats_.packets_sent);
  values[prefix + "bytes/received"] = count(stats_.bytes_received);
  values[prefix + "bytes/sent"] = count(stats_.bytes_sent);
  values[prefix + "publish/messages/received"] = count(stats_.publish_received);
  values[prefix + "publish/messages/sent"] = count(stats_.publish_sent);
  values[prefix + "publish/messages/dropped"] = count(stats_.publish_dropped);
  values[prefix + "publish/bytes/received"] = count(stats_.publish_bytes_received);
  values[prefix + "publish/bytes/sent"] = count(stats_.publish_bytes_sent);
  values[prefix + "subscriptions/count"] = std::to_string(subscriptions);
  values[prefix + "shared_subscriptions/count"] = std::to_string(shared_subscriptions);
  values[prefix + "retained messages/count"] = std::to_string(retained_.size());
  // As Mosquitto: rate per minute over the last interval, folded into a
  // one-minute exponential moving average.
  const std::pair<const char*, const std::atomic<uint64_t>*> counted[] = {
      {"messages/received", &stats_.packets_received}, {"messages/sent", &stats_.packets_sent},
      {"publish/received", &stats_.publish_received},  {"publish/sent", &stats_.publish_sent},
      {"bytes/received", &stats_.bytes_received},      {"bytes/sent", &stats_.bytes_sent}};
  const double elapsed =
      last_load_update_ ? std::chrono::duration<double>(at - *last_load_update_).count() : 0.0;
  for (const auto& [name, counter] : counted) {
    auto& load = loads_[name];
    const uint64_t count = counter->load(std::memory_order_relaxed);
    if (elapsed > 0) {
      const double rate = static_cast<double>(count - load.last_count) * 60.0 / elapsed;
      const double exponent = std::exp(-elapsed / 60.0);
      load.per_minute = load.per_minute * exponent + rate * (1.0 - exponent);
    }
    if (elapsed > 0 || !last_load_update_) load.last_count = count;
    values[prefix + "load/" + name + "/1min"] = fmt::format("{:.2f}", load.per_minute);
  }
  if (elapsed > 0 || !last_load_update_) last_load_update_ = at;

  std::vector<std::pair<std::string, std::string>> changed;
  {
    std::lock_guard lock(mutex_);
    for (auto& [topic, value] : values) {
      auto& slot = sys_[topic];
      if (slot == value) continue;
      slot = value;
      changed.emplace_back(topic, value);
    }
  }
  for (const auto& [topic, value] : changed) {
    Message message;
    message.topic = topic;
    message.payload = std::make_shared<const Bytes>(value.begin(), value.end());
    message.retain = true;
    route(message);
  }
}

std::size_t Broker::publish(const Message& message) {
  if (metrics_) metrics_->published(message.topic);
  if (message.retain) {
    if (message.payload->empty()) {
      retained_.clear(message.topic);
    } else {
      storage::RetainedMessage stored;
      stored.payload =
          storage::make_bytes(std::string(message.payload->begin(), message.payload->end()));
      stored.qos = static_cast<uint8_t>(message.qos);
      stored.properties = store_properties(message.properties);
      stored.stored_at = now();
      stored.expires_at = message.expires_at;
      if (!retained_.set(message.topic, std::move(stored)).ok()) dropped("storage_full");
    }
  }
  return route(message);
}

std::size_t Broker::route(const Message& message) {
  auto shared_message = std::make_shared<const Message>(message);
  // One copy per client for its non-shared subscriptions (merged), and one more copy per
  // shared subscription that picks it: a shared subscription is a subscription of its own,
  // so a client in a group that also has a matching plain subscription gets two [MQTT-4.8.2].
  std::map<std::string, PendingDelivery> plain_targets;
  std::vector<std::pair<std::string, PendingDelivery>> targets;
  std::vector<std::pair<std::shared_ptr<ClientLink>, Delivery>> online;
  std::vector<std::pair<std::string, Delivery>> offline;
  // The publisher's own No Local subscription matched: it gets no copy, but
  // it counts as a match, as Mosquitto counts it (PUBACK 0x00, not 0x10).
  bool own_no_local = false;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [filter, subscribers] : plain_) {
      if (!topic_matches(filter, message.topic)) continue;
      for (const auto& [client_id, options] : subscribers) {
        if (options.no_local && client_id == message.publisher) {
          own_no_local = true;
          continue;
        }
        merge(plain_targets[client_id], message, options);
      }
    }
    if (own_no_local && plain_targets.contains(message.publisher)) own_no_local = false;
    targets.reserve(plain_targets.size());
    for (auto& target : plain_targets) targets.emplace_back(target.first, std::move(target.second));
    for (auto& [key, group] : shared_) {
      if (group.members.empty() || !topic_matches(shared_filter_of(key), message.topic)) continue;
      // Round robin, preferring connected members.
      std::size_t chosen = group.next % group.members.size();
      for (std::size_t i = 0; i < group.members.size(); ++i) {
        const std::size_t candidate = (group.next + i) % group.members.size();
        if (links_.contains(std::string_view(group.members[candidate].client_id))) {
          chosen = candidate;
          break;
        }
      }
      group.next = chosen + 1;
      const auto& member = group.members[chosen];
      auto& [client_id, pending] = targets.emplace_back(member.client_id, PendingDelivery{});
      merge(pending, message, member.options);
    }
    for (auto& [client_id, pending] : targets) {
      pending.delivery.message = shared_message;
      if (auto link = links_.find(std::string_view(client_id)); link != links_.end()) {
        online.emplace_back((*link)->shared(), std::move(pending.delivery));
      } else {
        offline.emplace_back(client_id, std::move(pending.delivery));
      }
    }
    // Queued under the lock: connect() takes a session's offline queue under it, so a
    // client connecting meanwhile either is found above or finds the message queued.
    for (auto& [client_id, delivery] : offline) {
      if (delivery.qos == QoS::at_most_once) {
        dropped("offline_qos0");
        continue;
      }
      auto session = sessions_.find(client_id);
      if (!session) continue;
      auto queued = session->enqueue_offline(to_offline(delivery));
      if (!queued.ok() || !queued.value()) dropped(queued.ok() ? "queue_full" : "storage_full");
    }
  }
  for (auto& [link, delivery] : online) link->deliver(std::move(delivery));
  return targets.size() + (own_no_local ? 1 : 0);
}

void Broker::tick(storage::TimePoint at) {
  const auto expired = sessions_.remove_expired(at);
  std::vector<WillMessage> wills;
  {
    std::lock_guard lock(mutex_);
    for (const auto& client_id : expired) {
      hand_overs_.erase(client_id);
      if (auto it = pending_wills_.find(client_id); it != pending_wills_.end()) {
        wills.push_back(std::move(it->second.will));
        pending_wills_.erase(it);
      }
    }
    if (!expired.empty()) rebuild_index_locked();
    for (auto it = pending_wills_.begin(); it != pending_wills_.end();) {
      if (it->second.due <= at) {
        wills.push_back(std::move(it->second.will));
        it = pending_wills_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const auto& will : wills) send_will(will);
}

std::size_t Broker::connected_clients() const {
  std::lock_guard lock(mutex_);
  return links_.size();
}

std::size_t Broker::subscription_count() const {
  std::lock_guard lock(mutex_);
  std::size_t count = 0;
  for (const auto& [filter, subscribers] : plain_) count += subscribers.size();
  for (const auto& [key, group] : shared_) count += group.members.size();
  return count;
}

std::vector<ClientInfo> Broker::clients() const {
  std::vector<ClientInfo> out;
  {
    std::lock_guard lock(mutex_);
    out.reserve(links_.size());
    for (const ClientLink* link : links_) out.push_back(link->describe());
  }
  std::sort(out.begin(), out.end(),
            [](const ClientInfo& a, const ClientInfo& b) { return a.client_id < b.client_id; });
  return out;
}

std::vector<SubscriptionInfo> Broker::subscriptions() const {
  std::vector<SubscriptionInfo> out;
  std::lock_guard lock(mutex_);
  for (const auto& [filter, subscribers] : plain_) {
    for (const auto& [client_id, options] : subscribers)
      out.push_back({client_id, filter, "", options});
  }
  for (const auto& [key, group] : shared_) {
    const auto newline = key.find('\n');
    for (const auto& member : group.members) {
      out.push_back(
          {member.client_id, key.substr(newline + 1), key.substr(0, newline), member.options});
    }
  }
  return out;
}

bool Broker::is_connected(std::string_view client_id) const {
  std::lock_guard lock(mutex_);
  return links_.contains(client_id);
}

bool Broker::remove_offline_session(const std::string& client_id) {
  std::lock_guard lock(mutex_);
  if (links_.contains(std::string_view(client_id)) || !sessions_.find(client_id)) return false;
  remove_session_locked(client_id);  // a pending will still goes out when due
  return true;
}

std::string Broker::declare_session(const std::string& client_id, uint32_t expiry_seconds,
                                    const storage::SubscriptionMap& subscriptions,
                                    const std::vector<Message>& queued, bool dry_run) {
  std::lock_guard lock(mutex_);
  if (links_.contains(std::string_view(client_id))) {
    return fmt::format("client {} is connected", client_id);
  }
  if (auto existing = sessions_.find(client_id)) {
    if (existing->subscriptions() == subscriptions) return {};
    return fmt::format("client {} has a session with other subscriptions", client_id);
  }
  if (dry_run) return {};
  auto session = sessions_.open(client_id).session;
  session->set_expiry_interval(expiry_seconds);
  session->set_offline_cap(options_.max_queued_messages);
  for (const auto& [filter, options] : subscriptions) {
    session->subscribe(filter, options);
    index_add_locked(client_id, filter, options);
  }
  session->mark_disconnected(now());
  for (const auto& message : queued) {
    Delivery delivery;
    delivery.message = std::make_shared<const Message>(message);
    delivery.qos = message.qos;
    delivery.retain = message.retain;
    auto stored = session->enqueue_offline(to_offline(delivery));
    if (!stored.ok()) return fmt::format("client {}: {}", client_id, stored.error().message);
    if (!stored.value()) {
      return fmt::format("client {}: more queued messages than mqtt.max_queued_messages ({})",
                         client_id, options_.max_queued_messages);
    }
  }
  return {};
}

std::size_t Broker::reset(bool disconnect_clients) {
  std::vector<std::shared_ptr<ClientLink>> dropped;
  {
    std::lock_guard lock(mutex_);
    pending_wills_.clear();
    hand_overs_.clear();
    rebuild_index_locked();
    if (disconnect_clients) {
      dropped.reserve(links_.size());
      for (ClientLink* link : links_) dropped.push_back(link->shared());
    }
  }
  for (const auto& link : dropped) link->session_dropped();
  return dropped.size();
}

void Broker::index_add_locked(const std::string& client_id, const std::string& filter,
                              const storage::SubscriptionOptions& options) {
  const auto parsed = parse_topic_filter(filter);
  if (!parsed) return;
  if (parsed->is_shared()) {
    auto& members = shared_[shared_key(parsed->share_name, parsed->filter)].members;
    auto it = std::find_if(members.begin(), members.end(),
                           [&](const Subscriber& member) { return member.client_id == client_id; });
    if (it != members.end()) {
      it->options = options;
    } else {
      members.push_back({client_id, options});
    }
  } else {
    plain_[std::string(parsed->filter)][client_id] = options;
  }
}

void Broker::index_remove_locked(const std::string& client_id, const std::string& filter) {
  const auto parsed = parse_topic_filter(filter);
  if (!parsed) return;
  if (parsed->is_shared()) {
    auto it = shared_.find(shared_key(parsed->share_name, parsed->filter));
    if (it == shared_.end()) return;
    std::erase_if(it->second.members,
                  [&](const Subscriber& member) { return member.client_id == client_id; });
    if (it->second.members.empty()) shared_.erase(it);
  } else {
    auto it = plain_.find(std::string(parsed->filter));
    if (it == plain_.end()) return;
    it->second.erase(client_id);
    if (it->second.empty()) plain_.erase(it);
  }
}

void Broker::remove_session_locked(const std::string& client_id) {
  if (auto session = sessions_.find(client_id)) {
    for (const auto& [filter, options] : session->subscriptions()) {
      index_remove_locked(client_id, filter);
    }
  }
  sessions_.remove(client_id);
  hand_overs_.erase(client_id);
}

void Broker::rebuild_index_locked() {
  plain_.clear();
  shared_.clear();
  for (const auto& client_id : sessions_.client_ids()) {
    auto session = sessions_.find(client_id);
    if (!session) continue;
    for (const auto& [filter, options] : session->subscriptions()) {
      index_add_locked(client_id, filter, options);
    }
  }
}

}  // namespace mockforge::mqtt
