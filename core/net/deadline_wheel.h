#pragma once

// Idle deadlines of every connection of one io_context, in one timing wheel
// with one timer (core/net internals).
//
// A connection links itself into the slot of its deadline (0.1 s ticks, 512
// slots, so deadlines further out than 51.2 s wait for their round). Reads
// do not touch the wheel: when a slot comes due, each connection in it
// compares its current deadline (last read + timeout) with the time, and
// either fires (Connection::on_deadline) or moves to its new slot. The timer
// sleeps until the next slot that holds a connection, and not at all while
// the wheel is empty.
//
// The wheel is an Asio service of the io_context, touched only by the one
// thread that runs the context (connections call it from their executor).

#include <array>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>

#include "core/net/connection.h"

namespace mockforge::net {

class DeadlineWheel : public boost::asio::execution_context::service {
 public:
  static boost::asio::execution_context::id id;
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds kTick{100};
  static constexpr std::size_t kSlots = 512;

  explicit DeadlineWheel(boost::asio::execution_context& owner);
  ~DeadlineWheel() override;

  static DeadlineWheel& of(const Executor& executor);

  // (Re)links `connection` to be looked at once `due` has passed.
  void arm(Connection& connection, Clock::time_point due);
  // Unlinks `connection` if it is linked.
  static void disarm(Connection& connection);

 private:
  using Timer = boost::asio::basic_waitable_timer<Clock, boost::asio::wait_traits<Clock>,
                                                  boost::asio::io_context::executor_type>;

  void shutdown() override;
  int64_t tick_of(Clock::time_point at) const;  // rounded up
  void schedule(int64_t tick);
  void schedule_next();
  void on_timer(const boost::system::error_code& error);
  void process_slot(std::size_t slot, Clock::time_point now);

  boost::asio::io_context& context_;
  const Clock::time_point epoch_;
  std::array<detail::WheelLinks, kSlots> slots_;  // sentinels of circular lists
  int64_t done_tick_ = 0;                         // every tick up to this one was processed
  int64_t timer_tick_ = -1;                       // the tick the timer waits for; -1: none
  std::unique_ptr<Timer> timer_;
  bool processing_ = false;  // inside on_timer
  bool shut_down_ = false;
};

}  // namespace mockforge::net
