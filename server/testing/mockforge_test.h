#pragma once

// GoogleTest fixtures that run mockforge in-process on ephemeral loopback
// ports.
//
//   class OrdersTest : public mockforge::testing::MockforgeTest {};
//   TEST_F(OrdersTest, PublishesOrder) {
//     auto bootstrap = kafka_bootstrap();   // "127.0.0.1:<port>"
//     ...
//   }
//
// MockforgeTest starts a fresh server per test. SharedMockforgeTest starts one
// per test suite and resets it before each test, which takes milliseconds.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "server/server.h"

namespace mockforge::testing {

// Loopback only, every port ephemeral, warnings and errors logged.
config::Config ephemeral_config();

class MockforgeTest : public ::testing::Test {
 protected:
  // Override to change the configuration; start from ephemeral_config().
  virtual config::Config make_config() const { return ephemeral_config(); }

  void SetUp() override;
  void TearDown() override;

  Server& server() { return *server_; }
  uint16_t port(const std::string& listener) const;
  std::string address(const std::string& listener) const;  // "127.0.0.1:<port>"

 private:
  std::unique_ptr<Server> server_;
};

class SharedMockforgeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;

  static Server& server() { return *shared_; }
  static uint16_t port(const std::string& listener);
  static std::string address(const std::string& listener);

 private:
  static inline std::unique_ptr<Server> shared_;
};

}  // namespace mockforge::testing
