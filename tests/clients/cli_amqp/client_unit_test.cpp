// Offline checks of the client helpers: AMQP URLs, endpoints, payload
// rendering.
#include <gtest/gtest.h>

#include "cli/amqp/client.h"
#include "cli/mqtt/websocket.h"
#include "cli/net/payload.h"
#include "cli/net/tcp.h"

namespace mockforge::cli {
namespace {

TEST(CliAmqpUrl, DefaultsAndFullForm) {
  auto url = amqp::parse_url("amqp://");
  EXPECT_EQ(url.user, "guest");
  EXPECT_EQ(url.password, "guest");
  EXPECT_EQ(url.host, "localhost");
  EXPECT_EQ(url.port, 5672);
  EXPECT_EQ(url.vhost, "/");

  url = amqp::parse_url("amqp://al%40ice:p%3Ass@broker.example:5673/orders");
  EXPECT_EQ(url.user, "al@ice");
  EXPECT_EQ(url.password, "p:ss");
  EXPECT_EQ(url.host, "broker.example");
  EXPECT_EQ(url.port, 5673);
  EXPECT_EQ(url.vhost, "orders");

  EXPECT_EQ(amqp::parse_url("amqp://h/%2f").vhost, "/");
  EXPECT_EQ(amqp::parse_url("amqp://h/").vhost, "/");
  url = amqp::parse_url("amqp://u:p@[::1]:5680");
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.port, 5680);
  EXPECT_FALSE(url.tls);
}

TEST(CliAmqpUrl, AmqpsIsTlsOn5671) {
  auto url = amqp::parse_url("amqps://h");
  EXPECT_TRUE(url.tls);
  EXPECT_EQ(url.host, "h");
  EXPECT_EQ(url.port, 5671);
  EXPECT_EQ(amqp::parse_url("amqps://u:p@h:6000/v").port, 6000);
}

TEST(CliAmqpUrl, Rejects) {
  EXPECT_THROW(amqp::parse_url("amqpx://h"), amqp::AmqpError);
  EXPECT_THROW(amqp::parse_url("http://h"), amqp::AmqpError);
  EXPECT_THROW(amqp::parse_url("amqp://h:99999/"), amqp::AmqpError);
  EXPECT_THROW(amqp::parse_url("amqp://h/%zz"), amqp::AmqpError);
}

TEST(CliAmqpDescribe, NamesCodeAndMethod) {
  EXPECT_EQ(amqp::describe_close(404, "NOT_FOUND - no queue 'q'", 50, 10),
            "404 NOT_FOUND - no queue 'q' (queue.declare)");
  EXPECT_EQ(amqp::describe_close(312, "unroutable", 0, 0), "312 NO_ROUTE unroutable");
}

TEST(CliNet, Endpoints) {
  auto list = net::parse_endpoint_list("a:1,b,[::1]:3", 9092);
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0], (net::Endpoint{"a", 1}));
  EXPECT_EQ(list[1], (net::Endpoint{"b", 9092}));
  EXPECT_EQ(list[2], (net::Endpoint{"::1", 3}));
  EXPECT_EQ(list[2].to_string(), "[::1]:3");
  EXPECT_THROW(net::parse_endpoint_list("a,,b", 1), net::NetError);
  EXPECT_THROW(net::parse_endpoint(":5", 1), net::NetError);
  EXPECT_THROW(net::parse_endpoint("a:x", 1), net::NetError);
}

TEST(CliNet, ConnectRefusedNamesEndpoint) {
  try {
    // Port 1 on loopback: nothing listens there.
    net::TcpConnection::connect("127.0.0.1", 1, std::chrono::milliseconds(2000));
    FAIL() << "connected to port 1";
  } catch (const net::NetError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot connect to 127.0.0.1:1"), std::string::npos)
        << e.what();
  }
}

TEST(CliNet, PayloadHelpers) {
  EXPECT_EQ(net::base64_encode(""), "");
  EXPECT_EQ(net::base64_encode("f"), "Zg==");
  EXPECT_EQ(net::base64_encode("fo"), "Zm8=");
  EXPECT_EQ(net::base64_encode("foo"), "Zm9v");
  EXPECT_TRUE(net::is_utf8("h\xc3\xa9llo"));
  EXPECT_FALSE(net::is_utf8("\xc3"));
  EXPECT_FALSE(net::is_utf8("\xc0\x80"));      // overlong
  EXPECT_FALSE(net::is_utf8("\xed\xa0\x80"));  // surrogate
  auto kv = net::split_key_value("a=b=c", "--x");
  EXPECT_EQ(kv.first, "a");
  EXPECT_EQ(kv.second, "b=c");
  EXPECT_THROW(net::split_key_value("novalue", "--x"), std::runtime_error);
}

TEST(CliMqttWebSocket, AcceptKeyFromRfc6455) {
  EXPECT_EQ(mqtt::websocket_accept("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  auto digest = mqtt::sha1("abc");
  EXPECT_EQ(digest[0], 0xA9);
  EXPECT_EQ(digest[19], 0x9D);
}

}  // namespace
}  // namespace mockforge::cli
