#include "core/traffic/events.h"

#include <array>
#include <chrono>

namespace mockforge::traffic {
namespace {

constexpr std::array<std::string_view, kEventKindCount> kKindNames = {
    "connect", "disconnect", "subscribe", "unsubscribe", "publish",
    "deliver", "ack",        "nack",      "error",       "fault",
};

// Length of the longest prefix of `text` (at most `limit` bytes) that ends
// on a UTF-8 character boundary.
std::size_t utf8_cut(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return text.size();
  std::size_t cut = limit;
  // Step back over continuation bytes (10xxxxxx) to a lead byte, which the
  // cut would split; at most three.
  std::size_t back = 0;
  while (cut > 0 && back < 3 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
    --cut;
    ++back;
  }
  return cut;
}

}  // namespace

std::string_view to_string(EventKind kind) {
  const auto index = static_cast<std::size_t>(kind);
  return index < kKindNames.size() ? kKindNames[index] : "unknown";
}

std::optional<EventKind> parse_event_kind(std::string_view name) {
  for (std::size_t i = 0; i < kKindNames.size(); ++i) {
    if (kKindNames[i] == name) return static_cast<EventKind>(i);
  }
  return std::nullopt;
}

int64_t unix_micros_now() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Events::preview(std::string_view payload) {
  return std::string(payload.substr(0, utf8_cut(payload, kPreviewBytes)));
}

void Events::emit(Event event) const {
  if (event.time_us == 0) event.time_us = unix_micros_now();
  std::shared_ptr<const ListenerList> listeners;
  {
    std::lock_guard lock(mutex_);
    listeners = listeners_;
  }
  for (const auto& [token, listener] : *listeners) (*listener)(event);
}

uint64_t Events::listen(Listener listener) {
  std::lock_guard lock(mutex_);
  auto next = std::make_shared<ListenerList>(*listeners_);
  const uint64_t token = next_token_++;
  next->emplace(token, std::make_shared<const Listener>(std::move(listener)));
  listeners_ = std::move(next);
  listener_count_.store(listeners_->size(), std::memory_order_relaxed);
  if (also_counted_ != nullptr) also_counted_->fetch_add(1, std::memory_order_relaxed);
  return token;
}

bool Events::unlisten(uint64_t token) {
  std::lock_guard lock(mutex_);
  if (!listeners_->contains(token)) return false;
  auto next = std::make_shared<ListenerList>(*listeners_);
  next->erase(token);
  listeners_ = std::move(next);
  listener_count_.store(listeners_->size(), std::memory_order_relaxed);
  if (also_counted_ != nullptr) also_counted_->fetch_sub(1, std::memory_order_relaxed);
  return true;
}

}  // namespace mockforge::traffic
