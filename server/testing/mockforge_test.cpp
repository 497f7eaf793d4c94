#include "server/testing/mockforge_test.h"

#include <fmt/format.h>

namespace mockforge::testing {

config::Config ephemeral_config() {
  config::Config config;
  config.server.bind = {"127.0.0.1", "::1"};
  config.server.worker_threads = 2;
  config.kafka.port = 0;
  config.mqtt.port = 0;
  config.mqtt.ws_port = 0;
  config.amqp.port = 0;
  config.admin.port = 0;
  config.log.level = config::LogLevel::warn;
  return config;
}

namespace {

uint16_t port_of(const Server& server, const std::string& listener) {
  const auto port = server.port(listener);
  if (!port) throw std::invalid_argument("mockforge has no listener named " + listener);
  return *port;
}

}  // namespace

void MockforgeTest::SetUp() {
  server_ = std::make_unique<Server>(make_config());
  server_->start();
}

void MockforgeTest::TearDown() {
  if (server_) server_->stop();
  server_.reset();
}

uint16_t MockforgeTest::port(const std::string& listener) const {
  return port_of(*server_, listener);
}

std::string MockforgeTest::address(const std::string& listener) const {
  return fmt::format("127.0.0.1:{}", port(listener));
}

void SharedMockforgeTest::SetUpTestSuite() {
  shared_ = std::make_unique<Server>(ephemeral_config());
  shared_->start();
}

void SharedMockforgeTest::TearDownTestSuite() {
  if (shared_) shared_->stop();
  shared_.reset();
}

void SharedMockforgeTest::SetUp() { shared_->reset(); }

uint16_t SharedMockforgeTest::port(const std::string& listener) {
  return port_of(*shared_, listener);
}

std::string SharedMockforgeTest::address(const std::string& listener) {
  return fmt::format("127.0.0.1:{}", port(listener));
}

}  // namespace mockforge::testing
