#pragma once

// The order service: consumes orders.created with its consumer group and
// answers each order with an orders.confirmed event carrying the same key.

#include <atomic>
#include <string>
#include <thread>

class OrderService {
 public:
  explicit OrderService(std::string bootstrap_servers);
  ~OrderService();
  OrderService(const OrderService&) = delete;
  OrderService& operator=(const OrderService&) = delete;

  void start();
  void stop();
  int confirmed() const { return confirmed_.load(); }

 private:
  void run();

  std::string bootstrap_servers_;
  std::atomic<bool> running_{false};
  std::atomic<int> confirmed_{0};
  std::thread thread_;
};
