// Environment and flag overrides, and precedence: defaults < file < environment < flags.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "core/config/config.h"

namespace mockforge::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

EnvironmentLookup fake_environment(std::map<std::string, std::string> variables) {
  return [variables = std::move(variables)](const std::string& name) -> std::optional<std::string> {
    if (auto found = variables.find(name); found != variables.end()) return found->second;
    return std::nullopt;
  };
}

std::vector<std::string> texts(const std::vector<Error>& errors) {
  std::vector<std::string> result;
  for (const Error& error : errors) result.push_back(error.to_string());
  return result;
}

class ConfigFileFixture : public ::testing::Test {
 protected:
  void write(std::string_view contents) { std::ofstream(path_) << contents; }
  void TearDown() override { std::filesystem::remove(path_); }
  std::filesystem::path path_ = std::filesystem::temp_directory_path() /
                                ("mockforge-override-test-" + std::to_string(::getpid()) + ".yaml");
};

TEST(ConfigOverride, AppliesValidatedValues) {
  Config config;
  EXPECT_EQ(apply_override(config, "kafka.port", "19092", Source::flag), std::nullopt);
  EXPECT_EQ(config.kafka.port, 19092);
  EXPECT_EQ(apply_override(config, "server.bind", "0.0.0.0, ::", Source::flag), std::nullopt);
  EXPECT_THAT(config.server.bind, ElementsAre("0.0.0.0", "::"));
  EXPECT_EQ(apply_override(config, "kafka.enabled", "false", Source::flag), std::nullopt);
  EXPECT_FALSE(config.kafka.enabled);
  EXPECT_EQ(apply_override(config, "log.level", "warn", Source::flag), std::nullopt);
  EXPECT_EQ(config.log.level, LogLevel::warn);
}

TEST(ConfigOverride, FlagErrorsNameTheFlag) {
  Config config;
  std::optional<Error> error = apply_override(config, "kafka.port", "abc", Source::flag);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->to_string(),
            "--kafka-port: kafka.port: expected a port number 0-65535, got \"abc\"");
  EXPECT_EQ(config.kafka.port, 9092);

  error = apply_override(config, "kafka.default_partitions", "0", Source::flag);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->to_string(),
            "command line: kafka.default_partitions: expected an integer 1-10000, got \"0\"");

  error = apply_override(config, "kafka.partitons", "3", Source::flag);
  ASSERT_TRUE(error);
  EXPECT_EQ(
      error->to_string(),
      "command line: kafka.partitons: unknown key, did you mean \"kafka.default_partitions\"?");

  error = apply_override(config, "server.bind", " , ", Source::flag);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->to_string(), "--bind: server.bind: expected at least 1 entry, got 0");
}

TEST(ConfigEnvironment, ReadsDerivedVariableNames) {
  Config config;
  EXPECT_THAT(apply_environment(config, fake_environment({{"MOCKFORGE_KAFKA_PORT", "1234"},
                                                          {"MOCKFORGE_MQTT_WS_PORT", "0"},
                                                          {"MOCKFORGE_LOG_FORMAT", "json"},
                                                          {"MOCKFORGE_SERVER_BIND", "0.0.0.0"},
                                                          {"MOCKFORGE_AMQP_ENABLED", "off"},
                                                          {"UNRELATED", "x"}})),
              IsEmpty());
  EXPECT_EQ(config.kafka.port, 1234);
  EXPECT_EQ(config.mqtt.ws_port, 0);
  EXPECT_EQ(config.log.format, LogFormat::json);
  EXPECT_THAT(config.server.bind, ElementsAre("0.0.0.0"));
  EXPECT_FALSE(config.amqp.enabled);
}

TEST(ConfigEnvironment, ConnectionUnsentCaps) {
  Config config;
  EXPECT_THAT(
      apply_environment(config,
                        fake_environment({{"MOCKFORGE_KAFKA_MAX_CONNECTION_UNSENT_BYTES", "64KiB"},
                                          {"MOCKFORGE_MQTT_MAX_CONNECTION_UNSENT_BYTES", "1MiB"},
                                          {"MOCKFORGE_AMQP_MAX_CONNECTION_UNSENT_BYTES", "2MiB"}})),
      IsEmpty());
  EXPECT_EQ(config.kafka.max_connection_unsent_bytes, 65536u);
  EXPECT_EQ(config.mqtt.max_connection_unsent_bytes, std::uint64_t{1} << 20);
  EXPECT_EQ(config.amqp.max_connection_unsent_bytes, std::uint64_t{2} << 20);
}

TEST(ConfigEnvironment, BadValuesNameTheVariableAndAllAreReported) {
  Config config;
  EXPECT_THAT(texts(apply_environment(config, fake_environment({{"MOCKFORGE_KAFKA_PORT", "x"},
                                                                {"MOCKFORGE_LOG_LEVEL", "loud"}}))),
              ElementsAre("MOCKFORGE_LOG_LEVEL: log.level: expected one of trace, debug, info, "
                          "warn, error, critical, off, got \"loud\"",
                          "MOCKFORGE_KAFKA_PORT: kafka.port: expected a port number 0-65535, "
                          "got \"x\""));
}

TEST_F(ConfigFileFixture, FlagBeatsEnvironmentBeatsFileBeatsDefault) {
  write(R"(kafka:
  port: 1001
mqtt:
  port: 2001
amqp:
  port: 3001
)");
  const LoadResult result = load({
      .file = path_,
      .environment =
          fake_environment({{"MOCKFORGE_MQTT_PORT", "2002"}, {"MOCKFORGE_AMQP_PORT", "3002"}}),
      .flags = {{"amqp.port", "3003"}},
  });
  EXPECT_THAT(result.errors, IsEmpty());
  EXPECT_EQ(result.config.kafka.port, 1001);  // file
  EXPECT_EQ(result.config.mqtt.port, 2002);   // env over file
  EXPECT_EQ(result.config.amqp.port, 3003);   // flag over env and file
  EXPECT_EQ(result.config.admin.port, 9080);  // default
  EXPECT_EQ(result.sources.at("kafka.port"), Source::file);
  EXPECT_EQ(result.sources.at("mqtt.port"), Source::environment);
  EXPECT_EQ(result.sources.at("amqp.port"), Source::flag);
  EXPECT_EQ(result.sources.count("admin.port"), 0u);

  const std::string printed = to_yaml(result.config, {.sources = &result.sources});
  EXPECT_NE(printed.find("  port: 1001  # from the config file\n"), std::string::npos) << printed;
  EXPECT_NE(printed.find("  port: 2002  # from MOCKFORGE_MQTT_PORT\n"), std::string::npos);
  EXPECT_NE(printed.find("  port: 3003  # from --amqp-port\n"), std::string::npos);
  EXPECT_NE(printed.find("  port: 9080\n"), std::string::npos);
}

TEST_F(ConfigFileFixture, LoadCollectsErrorsOfEveryLayer) {
  write("kafka:\n  port: x\n");
  const LoadResult result = load({
      .file = path_,
      .environment = fake_environment({{"MOCKFORGE_MQTT_PORT", "y"}}),
      .flags = {{"amqp.port", "z"}},
  });
  EXPECT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 3u);
  EXPECT_EQ(result.errors[0].origin, path_.string());
  EXPECT_EQ(result.errors[1].origin, "MOCKFORGE_MQTT_PORT");
  EXPECT_EQ(result.errors[2].origin, "--amqp-port");
}

TEST_F(ConfigFileFixture, PermissionsAreCheckedAgainstTheFinalUsersAndVhosts) {
  write("amqp:\n  users: [\"guest:guest\", \"admin:pw\"]\n  permissions:\n    - admin /\n");
  // Valid as a file; the environment then drops the user the file's entry names.
  LoadResult result = load({
      .file = path_,
      .environment = fake_environment({{"MOCKFORGE_AMQP_USERS", "guest:guest"}}),
  });
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].to_string(),
            path_.string() +
                ":4:7: amqp.permissions: no user \"admin\" in amqp.users (entry \"admin /\")");
  // A bad entry from the environment or a flag names the variable or the flag.
  result = load({.environment = fake_environment({{"MOCKFORGE_AMQP_PERMISSIONS", "guest v9"}}),
                 .flags = {{"mqtt.users", "bob"}}});
  std::vector<std::string> texts;
  for (const Error& error : result.errors) texts.push_back(error.to_string());
  EXPECT_THAT(texts, ElementsAre("command line: mqtt.users: expected name:password, got \"bob\"",
                                 "MOCKFORGE_AMQP_PERMISSIONS: amqp.permissions: no vhost \"v9\" "
                                 "in amqp.vhosts (entry \"guest v9\")"));
}

TEST(ConfigLoad, NoFileGivesDefaultsWithOverrides) {
  const LoadResult result =
      load({.environment = fake_environment({}), .flags = {{"kafka.enabled", "false"}}});
  EXPECT_TRUE(result.ok());
  Config expected;
  expected.kafka.enabled = false;
  EXPECT_EQ(result.config, expected);
}

}  // namespace
}  // namespace mockforge::config
