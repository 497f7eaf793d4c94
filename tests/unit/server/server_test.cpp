// The server assembly in-process: ports, lifecycle, failures that undo start.
#include "server/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/metrics/registry.h"
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

TEST_F(ServerFixture, ResetIsFastAndStopIsIdempotent) {
  EXPECT_GE(server().reset(), 0);
  server().stop();
  server().stop();
  EXPECT_FALSE(server().running());
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

TEST(ServerLifecycle, MetricsEndpointRendersRegistry) {
  Server server(testing::ephemeral_config());
  server.start();
  server.metrics().counter("test_events_total", "Test events.").get().inc(2);
  EXPECT_THAT(server.metrics().render(), HasSubstr("test_events_total 2\n"));
  server.stop();
}

}  // namespace
}  // namespace mockforge
