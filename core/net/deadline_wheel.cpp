#include "core/net/deadline_wheel.h"

#include <boost/asio.hpp>

namespace mockforge::net {

namespace asio = boost::asio;

asio::execution_context::id DeadlineWheel::id;

namespace {

void make_empty(detail::ListLinks& sentinel) { sentinel.prev = sentinel.next = &sentinel; }

void unlink(detail::ListLinks& links) {
  links.prev->next = links.next;
  links.next->prev = links.prev;
  links.prev = links.next = nullptr;
}

void link_before(detail::ListLinks& sentinel, detail::ListLinks& links) {
  links.prev = sentinel.prev;
  links.next = &sentinel;
  sentinel.prev->next = &links;
  sentinel.prev = &links;
}

}  // namespace

DeadlineWheel::DeadlineWheel(asio::execution_context& owner)
    : asio::execution_context::service(owner),
      context_(static_cast<asio::io_context&>(owner)),
      epoch_(Clock::now()) {
  for (auto& slot : slots_) make_empty(slot);
}

DeadlineWheel::~DeadlineWheel() { shutdown(); }

DeadlineWheel& DeadlineWheel::of(const Executor& executor) {
  return asio::use_service<DeadlineWheel>(executor.context());
}

void DeadlineWheel::shutdown() {
  // The context is going away: forget every connection (their destructors,
  // run later as the context drops its handlers, must not come back here).
  for (auto& slot : slots_) {
    while (slot.next != &slot) unlink(*slot.next);
  }
  timer_.reset();
  shut_down_ = true;
}

int64_t DeadlineWheel::tick_of(Clock::time_point at) const {
  if (at <= epoch_) return 0;
  const auto since = at - epoch_;
  return (since + kTick - Clock::duration(1)) / kTick;
}

void DeadlineWheel::arm(Connection& connection, Clock::time_point due) {
  disarm(connection);
  if (shut_down_) return;
  const int64_t tick = std::max(tick_of(due), done_tick_ + 1);
  link_before(slots_[static_cast<std::size_t>(tick) % kSlots],
              static_cast<detail::WheelLinks&>(connection));
  // While slots are processed, the timer is set once at the end.
  if (!processing_ && (timer_tick_ < 0 || tick < timer_tick_)) schedule(tick);
}

void DeadlineWheel::disarm(Connection& connection) {
  auto& links = static_cast<detail::WheelLinks&>(connection);
  if (links.linked()) unlink(links);
}

void DeadlineWheel::schedule(int64_t tick) {
  if (!timer_) timer_ = std::make_unique<Timer>(context_.get_executor());
  timer_tick_ = tick;
  // Re-arming cancels a pending wait; its handler sees operation_aborted.
  timer_->expires_at(epoch_ + tick * kTick);
  timer_->async_wait([this](const boost::system::error_code& error) { on_timer(error); });
}

void DeadlineWheel::schedule_next() {
  for (std::size_t i = 1; i <= kSlots; ++i) {
    const int64_t tick = done_tick_ + static_cast<int64_t>(i);
    auto& slot = slots_[static_cast<std::size_t>(tick) % kSlots];
    if (slot.next != &slot) {
      schedule(tick);
      return;
    }
  }
  // Empty: the timer sleeps until the next arm().
}

void DeadlineWheel::on_timer(const boost::system::error_code& error) {
  if (error || shut_down_) return;  // re-armed (a new wait is pending) or going away
  timer_tick_ = -1;
  const auto now = Clock::now();
  const int64_t now_tick = (now - epoch_) / kTick;
  // Every tick since the last one (after a stall, one round at most).
  int64_t tick = std::max(done_tick_ + 1, now_tick - static_cast<int64_t>(kSlots) + 1);
  processing_ = true;
  for (; tick <= now_tick; ++tick) {
    done_tick_ = tick;
    process_slot(static_cast<std::size_t>(tick) % kSlots, now);
  }
  processing_ = false;
  done_tick_ = std::max(done_tick_, now_tick);
  if (!shut_down_) schedule_next();
}

void DeadlineWheel::process_slot(std::size_t slot, Clock::time_point now) {
  // Move the slot's connections to a local list first: firing one may close
  // others (and unlink them from wherever they are) or re-arm it.
  detail::WheelLinks due;
  make_empty(due);
  auto& sentinel = slots_[slot];
  if (sentinel.next == &sentinel) return;
  due.next = sentinel.next;
  due.prev = sentinel.prev;
  due.next->prev = &due;
  due.prev->next = &due;
  make_empty(sentinel);
  while (due.next != &due) {
    auto& links = static_cast<detail::WheelLinks&>(*due.next);
    unlink(links);
    auto& connection = static_cast<Connection&>(links);
    // Linked connections are alive (they unlink before they are destroyed).
    const auto keep = connection.weak_from_this().lock();
    if (!keep || connection.finished_ || !connection.has_deadline()) continue;
    const auto due = connection.deadline(now);
    if (due <= now) {
      connection.on_deadline();
    } else {
      arm(connection, due);
    }
  }
}

}  // namespace mockforge::net
