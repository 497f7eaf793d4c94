// The server assembly in-process: ports, lifecycle, failures that undo start.
#include "server/server.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "core/metrics/registry.h"
#include "core/storage/engine.h"
#include "core/storage/log.h"
#include "server/testing/mockforge_test.h"

namespace mockforge {
namespace {

using ::testing::HasSubstr;

// A connected TCP socket to 127.0.0.1:port, or -1.
int connect_loopback(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

class ServerFixture : public testing::MockforgeTest {};

TEST_F(ServerFixture, AdminListensOnAnEphemeralPort) {
  const auto admin = port("admin");
  EXPECT_NE(admin, 0);
  const int fd = connect_loopback(admin);
  EXPECT_GE(fd, 0);
  ::close(fd);
  EXPECT_TRUE(server().running());
  EXPECT_THAT(server().info_json(), HasSubstr(fmt::format("\"admin\":{}", admin)));
}

TEST_F(ServerFixture, ResetDropsWhatTestsStoredAndStopIsIdempotent) {
  produce("reset.me", "gone after reset");
  ASSERT_NE(server().storage().logs().find("reset.me"), nullptr);
  server().reset();
  EXPECT_EQ(server().storage().logs().find("reset.me"), nullptr);
  server().stop();
  server().stop();
  EXPECT_FALSE(server().running());
}

TEST_F(ServerFixture, ProduceAndConsumeHelpersRoundTripKeyValueAndHeaders) {
  EXPECT_EQ(kafka_bootstrap(), fmt::format("127.0.0.1:{}", port("kafka")));
  EXPECT_EQ(mqtt_url(), fmt::format("tcp://127.0.0.1:{}", port("mqtt")));
  EXPECT_EQ(amqp_url(), fmt::format("amqp://guest:guest@127.0.0.1:{}/", port("amqp")));
  EXPECT_EQ(admin_url(), fmt::format("http://127.0.0.1:{}", port("admin")));

  EXPECT_EQ(produce("orders", "first", "k-1", {{"source", "test"}}, 0), 0);
  EXPECT_EQ(produce("orders", "second", std::nullopt, {}, 0), 1);
  auto messages = consume("orders", 2, std::chrono::seconds(2));
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].key, "k-1");
  EXPECT_EQ(messages[0].value, "first");
  ASSERT_EQ(messages[0].headers.size(), 1u);
  EXPECT_EQ(messages[0].headers[0].first, "source");
  EXPECT_EQ(messages[0].headers[0].second, "test");
  EXPECT_EQ(messages[1].offset, 1);
  EXPECT_FALSE(messages[1].key.has_value());
  // Consumed records are not returned again; a timeout returns what arrived.
  EXPECT_TRUE(consume("orders", 1, std::chrono::milliseconds(20)).empty());

  std::thread later([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    produce("orders", R"({"status":"skip"})", std::nullopt, {}, 0);
    produce("orders", R"({"status":"paid"})", std::nullopt, {}, 0);
  });
  auto paid = wait_for_message("orders", [](const testing::KafkaMessage& message) {
    return message.value && message.value->find("paid") != std::string::npos;
  });
  later.join();
  ASSERT_TRUE(paid.has_value());
  EXPECT_EQ(paid->offset, 3);
}

TEST_F(ServerFixture, PublishHelpersGoThroughTheBrokersAndExpectSeesThem) {
  publish_mqtt("sensors/zone-1", R"({"celsius": 85})", 1, true);
  auto verdict = expect(R"({"protocol": "mqtt", "topic": "sensors/+",
                           "match": {"json": [{"path": "$.celsius", "gte": 80}]}, "timeout_ms": 0})");
  EXPECT_TRUE(verdict.met) << verdict.message;

  EXPECT_THROW(publish_amqp("no.such.exchange", "k", "x"), std::runtime_error);
  publish_amqp("amq.topic", "notification.email.order", "hello");
  verdict =
      expect(R"({"protocol": "amqp", "exchange": "amq.topic", "routing_key": "notification.sms.*",
                      "timeout_ms": 0})");
  EXPECT_FALSE(verdict.met);
  ASSERT_EQ(verdict.closest_misses.size(), 1u);
  EXPECT_THAT(verdict.closest_misses[0].reasons[0], HasSubstr("notification.email.order"));

  // A reset starts a new window: what came before is not counted.
  server().reset();
  verdict = expect(R"({"protocol": "mqtt", "topic": "sensors/+", "timeout_ms": 0})");
  EXPECT_FALSE(verdict.met);
}

TEST(ServerLifecycle, PortInUseFailsStartNamingThePortAndLeavesNothingRunning) {
  auto config = testing::ephemeral_config();
  Server first(config);
  first.start();
  config.admin.port = *first.port("admin");
  Server second(config);
  try {
    second.start();
    FAIL() << "second server bound a port already in use";
  } catch (const std::exception& e) {
    EXPECT_THAT(e.what(), HasSubstr(std::to_string(config.admin.port)));
  }
  EXPECT_FALSE(second.running());
  first.stop();
  // The port is free again once the first server is gone: nothing of the
  // failed second server holds it.
  Server third(config);
  EXPECT_NO_THROW(third.start());
  third.stop();
}

TEST(ServerLifecycle, MetricsEndpointServesTheRegistry) {
  Server server(testing::ephemeral_config());
  server.start();
  server.metrics().counter("test_events_total", "Test events.").get().inc(2);
  const int fd = connect_loopback(*server.port("admin"));
  ASSERT_GE(fd, 0);
  const std::string request = "GET /__mockforge/metrics HTTP/1.0\r\nHost: localhost\r\n\r\n";
  ASSERT_EQ(::send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  std::string response;
  char buffer[4096];
  ssize_t n;
  while ((n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0)
    response.append(buffer, static_cast<size_t>(n));
  ::close(fd);
  EXPECT_THAT(response, ::testing::StartsWith("HTTP/1.0 200"));
  EXPECT_THAT(response, HasSubstr("\ntest_events_total 2\n"));
  server.stop();
}

}  // namespace
}  // namespace mockforge
