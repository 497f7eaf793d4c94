// core/control: how mount() routes admin requests to a BrokerControl, and
// the payload encoding every broker shares.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "core/admin/http_server.h"
#include "core/control/broker_control.h"

namespace mockforge::control {
namespace {

// Records the calls it gets and answers with what it saw.
class RecordingControl : public BrokerControl {
 public:
  std::string protocol() const override { return "demo"; }
  Reply inspect(const Request& request) const override { return echo("inspect", request); }
  Reply remove(const Request& request) override { return echo("remove", request); }
  Reply purge(const Request& request) override { return echo("purge", request); }
  Reply reset(runtime::ResetConnections connections) override {
    return Reply::ok({{"call", "reset"}, {"connections", static_cast<int>(connections)}});
  }

 private:
  static Reply echo(const std::string& call, const Request& request) {
    if (request.path == std::vector<std::string>{"bad"}) request.query_int("n", 0);
    return Reply::ok({{"call", call}, {"path", request.path}, {"query", request.query}});
  }
};

class MountTest : public ::testing::Test {
 protected:
  MountTest() : server_(io_, {"127.0.0.1"}, 0) {
    mount(server_, std::make_shared<RecordingControl>());
  }

  nlohmann::json call(const std::string& method, const std::string& path, int expected_status = 200,
                      std::map<std::string, std::string> query = {}) {
    admin::HttpRequest request;
    request.method = method;
    request.path = path;
    request.query = std::move(query);
    const auto response = server_.dispatch(request);
    EXPECT_EQ(response.status, expected_status) << method << " " << path << ": " << response.body;
    return nlohmann::json::parse(response.body);
  }

  boost::asio::io_context io_;
  admin::HttpServer server_;
};

TEST_F(MountTest, MethodsGoToInspectRemovePurgeAndReset) {
  auto body = call("GET", "/__mockforge/api/demo/topics/a.b", 200, {{"x", "1"}});
  EXPECT_EQ(body["call"], "inspect");
  EXPECT_EQ(body["path"], nlohmann::json::array({"topics", "a.b"}));
  EXPECT_EQ(body["query"]["x"], "1");
  EXPECT_EQ(call("DELETE", "/__mockforge/api/demo/queues/q")["call"], "remove");
  body = call("POST", "/__mockforge/api/demo/queues/q/purge");
  EXPECT_EQ(body["call"], "purge");
  EXPECT_EQ(body["path"], nlohmann::json::array({"queues", "q"}));
  EXPECT_EQ(call("POST", "/__mockforge/api/demo/reset")["call"], "reset");
}

TEST_F(MountTest, SegmentsArePercentDecodedAndEmptyOnesDropped) {
  auto body = call("GET", "/__mockforge/api/demo/queues/email%2Fqueue+x//messages");
  EXPECT_EQ(body["path"], nlohmann::json::array({"queues", "email/queue+x", "messages"}));
}

TEST_F(MountTest, OtherPostsBadParametersAndOtherPrefixesAreErrors) {
  EXPECT_EQ(call("POST", "/__mockforge/api/demo/queues/q", 404)["error"]["status"], 404);
  EXPECT_THAT(call("GET", "/__mockforge/api/demo/bad", 400, {{"n", "x1"}})["error"]["message"]
                  .get<std::string>(),
              ::testing::HasSubstr("n must be an integer"));
  call("GET", "/__mockforge/api/other/topics", 404);
  call("PUT", "/__mockforge/api/demo/topics", 405);
}

TEST(Payload, TextStaysTextAndBinaryIsBase64) {
  EXPECT_EQ(payload_json("héllo"),
            (nlohmann::json{{"encoding", "utf8"}, {"data", "héllo"}, {"size", 6}}));
  EXPECT_EQ(payload_json(std::string("\xff\x00\x01", 3)),
            (nlohmann::json{{"encoding", "base64"}, {"data", "/wAB"}, {"size", 3}}));
  EXPECT_EQ(base64_encode("ab"), "YWI=");
  EXPECT_FALSE(is_utf8("\xc0\xaf"));  // overlong
  EXPECT_TRUE(is_utf8(""));
}

}  // namespace
}  // namespace mockforge::control
