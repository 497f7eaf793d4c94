// Parsing mockforge.yaml: defaults, every value type, and the exact error messages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "core/config/config.h"

namespace mockforge::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Applies `yaml` to a default Config and returns the error texts.
std::vector<std::string> errors_of(std::string_view yaml, Config* out = nullptr) {
  Config config;
  std::vector<std::string> texts;
  for (const Error& error : apply_yaml_text(config, yaml, "mockforge.yaml")) {
    texts.push_back(error.to_string());
  }
  if (out != nullptr) *out = config;
  return texts;
}

Config parsed(std::string_view yaml) {
  Config config;
  const std::vector<std::string> errors = errors_of(yaml, &config);
  EXPECT_THAT(errors, IsEmpty()) << yaml;
  return config;
}

TEST(ConfigDefaults, MatchTheDocumentedDefaults) {
  const Config config;
  EXPECT_TRUE(config.kafka.enabled);
  EXPECT_EQ(config.kafka.port, 9092);
  EXPECT_TRUE(config.kafka.auto_create_topics);
  EXPECT_EQ(config.kafka.default_partitions, 1);
  EXPECT_EQ(config.kafka.max_frame_bytes, 104857600u);
  EXPECT_EQ(config.kafka.fixtures_dir, "");
  EXPECT_EQ(config.mqtt.port, 1883);
  EXPECT_EQ(config.mqtt.ws_port, 9001);
  EXPECT_EQ(config.amqp.port, 5672);
  EXPECT_EQ(config.amqp.frame_max, 131072u);
  EXPECT_EQ(config.amqp.channel_max, 2047);
  EXPECT_EQ(config.amqp.heartbeat_interval, std::chrono::seconds(60));
  EXPECT_EQ(config.admin.port, 9080);
  EXPECT_THAT(config.server.bind, ElementsAre("127.0.0.1", "::1"));
  EXPECT_EQ(config.storage.memory_cap, std::uint64_t{1} << 30);
  EXPECT_EQ(config.storage.retention_bytes, 0u);
  EXPECT_EQ(config.storage.retention_time, Duration(0));
  EXPECT_EQ(config.log.level, LogLevel::info);
  EXPECT_EQ(config.log.format, LogFormat::text);
}

TEST(ConfigDefaults, EmptyFileAndEmptySectionsGiveDefaults) {
  EXPECT_EQ(parsed(""), Config{});
  EXPECT_EQ(parsed("# only a comment\n"), Config{});
  EXPECT_EQ(parsed("kafka:\nmqtt:\n"), Config{});
  EXPECT_EQ(parsed("kafka: {}\n"), Config{});
}

// Catches a keys.def default outside its own range or enum: printing the defaults and parsing
// them back must succeed and give the defaults again.
TEST(ConfigDefaults, EveryDefaultIsValidForItsOwnKey) {
  Config config;
  EXPECT_THAT(apply_yaml_text(config, to_yaml(Config{}), "printed"), IsEmpty());
  EXPECT_EQ(config, Config{});
}

TEST(ConfigParse, ReadsEveryValueType) {
  const Config config = parsed(R"(
server:
  bind: [0.0.0.0, "::"]
  worker_threads: 4
  shutdown_timeout: 1500ms
log:
  level: DEBUG
  format: json
storage:
  memory_cap: 256MiB
  retention_bytes: 10MB
  retention_time: 2h
  snapshot_file: /tmp/state.bin
kafka:
  enabled: false
  port: 0
  auto_create_topics: no
  default_partitions: 3
  fixtures_dir: fixtures/kafka
mqtt:
  ws_port: 19001
  keep_alive_secs: 30
amqp:
  heartbeat_interval: 30
  frame_max: 4096
)");
  EXPECT_THAT(config.server.bind, ElementsAre("0.0.0.0", "::"));
  EXPECT_EQ(config.server.worker_threads, 4);
  EXPECT_EQ(config.server.shutdown_timeout, Duration(1500));
  EXPECT_EQ(config.log.level, LogLevel::debug);
  EXPECT_EQ(config.log.format, LogFormat::json);
  EXPECT_EQ(config.storage.memory_cap, 256u << 20);
  EXPECT_EQ(config.storage.retention_bytes, 10'000'000u);
  EXPECT_EQ(config.storage.retention_time, std::chrono::hours(2));
  EXPECT_EQ(config.storage.snapshot_file, "/tmp/state.bin");
  EXPECT_FALSE(config.kafka.enabled);
  EXPECT_EQ(config.kafka.port, 0);
  EXPECT_FALSE(config.kafka.auto_create_topics);
  EXPECT_EQ(config.kafka.default_partitions, 3);
  EXPECT_EQ(config.kafka.fixtures_dir, "fixtures/kafka");
  EXPECT_EQ(config.mqtt.ws_port, 19001);
  EXPECT_EQ(config.mqtt.keep_alive_secs, 30);
  EXPECT_EQ(config.amqp.heartbeat_interval, std::chrono::seconds(30));  // bare number: seconds
  EXPECT_EQ(config.amqp.frame_max, 4096u);
}

TEST(ConfigParse, StringListAcceptsSingleScalarAndCommaList) {
  EXPECT_THAT(parsed("server:\n  bind: 0.0.0.0\n").server.bind, ElementsAre("0.0.0.0"));
  EXPECT_THAT(parsed("server:\n  bind: 10.0.0.1, 10.0.0.2\n").server.bind,
              ElementsAre("10.0.0.1", "10.0.0.2"));
  EXPECT_THAT(parsed("server:\n  bind:\n    - 10.0.0.1\n    - ::1\n").server.bind,
              ElementsAre("10.0.0.1", "::1"));
}

TEST(ConfigErrors, PortNamesFileLineColumnAndKey) {
  EXPECT_THAT(errors_of("kafka:\n  port: abc\n"),
              ElementsAre("mockforge.yaml:2:3: kafka.port: expected a port number 0-65535, "
                          "got \"abc\""));
  EXPECT_THAT(errors_of("mqtt:\n  ws_port: 65536\n"),
              ElementsAre("mockforge.yaml:2:3: mqtt.ws_port: expected a port number 0-65535, "
                          "got \"65536\""));
  EXPECT_THAT(errors_of("admin:\n  port: -1\n"),
              ElementsAre("mockforge.yaml:2:3: admin.port: expected a port number 0-65535, "
                          "got \"-1\""));
}

TEST(ConfigErrors, IntegerRange) {
  EXPECT_THAT(errors_of("kafka:\n  default_partitions: 0\n"),
              ElementsAre("mockforge.yaml:2:3: kafka.default_partitions: expected an integer "
                          "1-10000, got \"0\""));
  EXPECT_THAT(errors_of("amqp:\n  channel_max: 1.5\n"),
              ElementsAre("mockforge.yaml:2:3: amqp.channel_max: expected an integer 1-65535, "
                          "got \"1.5\""));
  EXPECT_THAT(errors_of("kafka:\n  default_partitions: 99999999999999999999999\n"),
              ElementsAre("mockforge.yaml:2:3: kafka.default_partitions: expected an integer "
                          "1-10000, got \"99999999999999999999999\""));
}

TEST(ConfigParse, SlowReaderCaps) {
  const Config defaults;
  EXPECT_EQ(defaults.mqtt.max_unsent_bytes, std::uint64_t{4} << 20);
  EXPECT_EQ(defaults.amqp.max_unsent_bytes, std::uint64_t{4} << 20);
  EXPECT_EQ(defaults.kafka.max_inflight_requests, 16);
  const Config config = parsed(
      "mqtt:\n  max_unsent_bytes: 64KiB\namqp:\n  max_unsent_bytes: 1MiB\n"
      "kafka:\n  max_inflight_requests: 1\n");
  EXPECT_EQ(config.mqtt.max_unsent_bytes, 65536u);
  EXPECT_EQ(config.amqp.max_unsent_bytes, std::uint64_t{1} << 20);
  EXPECT_EQ(config.kafka.max_inflight_requests, 1);
  EXPECT_THAT(errors_of("mqtt:\n  max_unsent_bytes: 512\n"),
              ElementsAre("mockforge.yaml:2:3: mqtt.max_unsent_bytes: expected a byte size "
                          "1KiB-1GiB such as 64MiB, got \"512\""));
  EXPECT_THAT(errors_of("amqp:\n  max_unsent_bytes: 2GiB\n"),
              ElementsAre("mockforge.yaml:2:3: amqp.max_unsent_bytes: expected a byte size "
                          "1KiB-1GiB such as 64MiB, got \"2GiB\""));
  EXPECT_THAT(errors_of("kafka:\n  max_inflight_requests: 0\n"),
              ElementsAre("mockforge.yaml:2:3: kafka.max_inflight_requests: expected an "
                          "integer 1-1000, got \"0\""));
}

// The core/net cap per connection: past it a connection stops reading.
// Independent of the protocols' delivery caps (max_unsent_bytes): either may
// be the smaller.
TEST(ConfigParse, ConnectionUnsentCaps) {
  const Config defaults;
  EXPECT_EQ(defaults.kafka.max_connection_unsent_bytes, std::uint64_t{8} << 20);
  EXPECT_EQ(defaults.mqtt.max_connection_unsent_bytes, std::uint64_t{8} << 20);
  EXPECT_EQ(defaults.amqp.max_connection_unsent_bytes, std::uint64_t{8} << 20);
  const Config config = parsed(
      "kafka:\n  max_connection_unsent_bytes: 64KiB\n"
      "mqtt:\n  max_connection_unsent_bytes: 1GiB\n  max_unsent_bytes: 1KiB\n"
      "amqp:\n  max_connection_unsent_bytes: 64KiB\n  max_unsent_bytes: 1MiB\n");
  EXPECT_EQ(config.kafka.max_connection_unsent_bytes, 65536u);
  EXPECT_EQ(config.mqtt.max_connection_unsent_bytes, std::uint64_t{1} << 30);
  EXPECT_EQ(config.mqtt.max_unsent_bytes, 1024u);
  EXPECT_EQ(config.amqp.max_connection_unsent_bytes, 65536u);
  EXPECT_EQ(config.amqp.max_unsent_bytes, std::uint64_t{1} << 20);
  EXPECT_THAT(errors_of("kafka:\n  max_connection_unsent_bytes: 32KiB\n"),
              ElementsAre("mockforge.yaml:2:3: kafka.max_connection_unsent_bytes: expected a "
                          "byte size 64KiB-1GiB such as 64MiB, got \"32KiB\""));
  EXPECT_THAT(errors_of("mqtt:\n  max_connection_unsent_bytes: 2GiB\n"),
              ElementsAre("mockforge.yaml:2:3: mqtt.max_connection_unsent_bytes: expected a "
                          "byte size 64KiB-1GiB such as 64MiB, got \"2GiB\""));
  EXPECT_THAT(errors_of("amqp:\n  max_connection_unsent_bytes: lots\n"),
              ElementsAre("mockforge.yaml:2:3: amqp.max_connection_unsent_bytes: expected a "
                          "byte size 64KiB-1GiB such as 64MiB, got \"lots\""));
}

TEST(ConfigErrors, BoolEnumByteSizeDuration) {
  EXPECT_THAT(errors_of("kafka:\n  enabled: maybe\n"),
              ElementsAre("mockforge.yaml:2:3: kafka.enabled: expected true or false, got "
                          "\"maybe\""));
  EXPECT_THAT(errors_of("log:\n  format: xml\n"),
              ElementsAre("mockforge.yaml:2:3: log.format: expected one of text, json, got "
                          "\"xml\""));
  EXPECT_THAT(errors_of("log:\n  level: infp\n"),
              ElementsAre("mockforge.yaml:2:3: log.level: expected one of trace, debug, info, "
                          "warn, error, critical, off, got \"infp\" (did you mean \"info\"?)"));
  EXPECT_THAT(errors_of("storage:\n  retention_bytes: lots\n"),
              ElementsAre("mockforge.yaml:2:3: storage.retention_bytes: expected a byte size "
                          "such as 512KiB, 64MiB or 1GiB, got \"lots\""));
  EXPECT_THAT(errors_of("storage:\n  memory_cap: 512KiB\n"),
              ElementsAre("mockforge.yaml:2:3: storage.memory_cap: expected a byte size "
                          "1MiB-1TiB such as 64MiB, got \"512KiB\""));
  EXPECT_THAT(errors_of("storage:\n  retention_bytes: 99999999999TiB\n"),
              ElementsAre("mockforge.yaml:2:3: storage.retention_bytes: expected a byte size "
                          "such as 512KiB, 64MiB or 1GiB, got \"99999999999TiB\""));
  EXPECT_THAT(errors_of("server:\n  shutdown_timeout: soon\n"),
              ElementsAre("mockforge.yaml:2:3: server.shutdown_timeout: expected a duration "
                          "such as 500ms, 30s, 5m or 1h, got \"soon\""));
  EXPECT_THAT(errors_of("amqp:\n  heartbeat_interval: 70000\n"),
              ElementsAre("mockforge.yaml:2:3: amqp.heartbeat_interval: expected a duration "
                          "0s-65535s such as 30s, got \"70000\""));
}

TEST(ConfigErrors, WrongShapes) {
  EXPECT_THAT(errors_of("kafka:\n  port: [1, 2]\n"),
              ElementsAre("mockforge.yaml:2:3: kafka.port: expected a port number 0-65535, got "
                          "a list"));
  EXPECT_THAT(errors_of("kafka:\n  port:\n"),
              ElementsAre("mockforge.yaml:2:3: kafka.port: expected a port number 0-65535, got "
                          "nothing"));
  EXPECT_THAT(errors_of("kafka: 9092\n"),
              ElementsAre("mockforge.yaml:1:8: kafka: expected a mapping of kafka keys, got "
                          "\"9092\""));
  EXPECT_THAT(errors_of("- kafka\n"),
              ElementsAre("mockforge.yaml:1:1: expected a mapping of sections (server:, kafka:, "
                          "...), got a list"));
  EXPECT_THAT(errors_of("server:\n  bind: []\n"),
              ElementsAre("mockforge.yaml:2:3: server.bind: expected at least 1 entry, got 0"));
  EXPECT_THAT(errors_of("server:\n  bind:\n    - 127.0.0.1\n    - {a: b}\n"),
              ElementsAre("mockforge.yaml:4:7: server.bind: expected a string list entry, got "
                          "a mapping"));
}

TEST(ConfigErrors, UnknownKeysSuggestTheClosestKey) {
  EXPECT_THAT(errors_of("kafka:\n  prot: 1\n"),
              ElementsAre("mockforge.yaml:2:3: kafka.prot: unknown key, did you mean "
                          "\"kafka.port\"?"));
  EXPECT_THAT(errors_of("kafka:\n  partitions: 3\n"),
              ElementsAre("mockforge.yaml:2:3: kafka.partitions: unknown key, did you mean "
                          "\"kafka.default_partitions\"?"));
  EXPECT_THAT(errors_of("kafka:\n  ws_port: 1\n"),
              ElementsAre("mockforge.yaml:2:3: kafka.ws_port: unknown key, did you mean "
                          "\"mqtt.ws_port\"?"));
  EXPECT_THAT(errors_of("kafak:\n  port: 1\n"),
              ElementsAre("mockforge.yaml:1:1: kafak: unknown section, did you mean \"kafka\"?"));
  EXPECT_THAT(errors_of("kafka.port: 1\n"),
              ElementsAre("mockforge.yaml:1:1: kafka.port: unknown section; write it nested: "
                          "\"kafka:\" with \"port:\" indented below"));
  EXPECT_THAT(errors_of("admin:\n  zzz: 1\n"),
              ElementsAre("mockforge.yaml:2:3: admin.zzz: unknown key; admin keys are "
                          "enabled, port, bind, tls_port, tls_only, token, token_file"));
}

TEST(ConfigErrors, DuplicateKeysAreReported) {
  EXPECT_THAT(errors_of("kafka:\n  port: 1\n  port: 2\n"),
              ElementsAre("mockforge.yaml:3:3: kafka.port: duplicate key (first on line 2)"));
}

TEST(ConfigErrors, MalformedYamlNamesLineAndColumn) {
  const std::vector<std::string> errors = errors_of("kafka:\n  port: [1, 2\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], ::testing::StartsWith("mockforge.yaml:3:1: invalid YAML: "));
}

TEST(ConfigErrors, AllErrorsOfAFileAreCollectedAndGoodKeysStillApply) {
  Config config;
  const std::vector<std::string> errors = errors_of(R"(kafka:
  port: abc
  default_partitions: 4
mqtt:
  prot: 1
log:
  level: loud
)",
                                                    &config);
  EXPECT_EQ(errors.size(), 3u);
  EXPECT_EQ(config.kafka.default_partitions, 4);
  EXPECT_EQ(config.kafka.port, 9092);  // the bad value keeps the previous one
}

class TempFile {
 public:
  explicit TempFile(std::string_view contents)
      : path_(std::filesystem::temp_directory_path() /
              ("mockforge-config-test-" + std::to_string(::getpid()) + ".yaml")) {
    std::ofstream(path_) << contents;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

TEST(ConfigFile, ValidateFileNamesTheFile) {
  const TempFile file("kafka:\n  port: 9092\n  port2: 1\n");
  const std::vector<Error> errors = validate_file(file.path());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].origin, file.path().string());
  EXPECT_EQ(errors[0].line, 3);
  EXPECT_EQ(errors[0].column, 3);
  EXPECT_EQ(errors[0].key, "kafka.port2");
}

TEST(ConfigErrors, AsyncapiPlayEntriesAreRateEqualsFile) {
  const auto config = parsed("asyncapi:\n  play: [\"5=a.yaml\", \"0.5=dir/b=c.yaml\"]\n");
  EXPECT_THAT(config.asyncapi.play, ElementsAre("5=a.yaml", "0.5=dir/b=c.yaml"));
  const std::string expected =
      ": asyncapi.play: expected RATE=FILE with RATE messages per second (a number > 0, at "
      "most 1000000) and FILE an AsyncAPI document, got ";
  EXPECT_THAT(errors_of("asyncapi:\n  play:\n    - 5=a.yaml\n    - fast=a.yaml\n"),
              ElementsAre("mockforge.yaml:4:7" + expected + "\"fast=a.yaml\""));
  for (const char* bad : {"a.yaml", "0=a.yaml", "-1=a.yaml", "5=", "=a.yaml", "nan=a.yaml",
                          "2000000=a.yaml", "5x=a.yaml"}) {
    EXPECT_THAT(errors_of(std::string("asyncapi:\n  play: [\"") + bad + "\"]\n"),
                ElementsAre(::testing::EndsWith(expected + "\"" + bad + "\"")))
        << bad;
  }
}

TEST(ConfigErrors, UserVhostAndPermissionEntriesAreCheckedWhereTheyAre) {
  EXPECT_THAT(errors_of("amqp:\n  users:\n    - guest:guest\n    - nopassword\n"),
              ElementsAre("mockforge.yaml:4:7: amqp.users: expected name:password, got "
                          "\"nopassword\""));
  EXPECT_THAT(errors_of("amqp:\n  users: [\":nameless\"]\n"),
              ElementsAre("mockforge.yaml:2:11: amqp.users: expected name:password, got "
                          "\":nameless\""));
  EXPECT_THAT(errors_of("mqtt:\n  users: alice\n"),
              ElementsAre("mockforge.yaml:2:3: mqtt.users: expected name:password, got "
                          "\"alice\""));
  EXPECT_THAT(errors_of("amqp:\n  vhosts: [\"/\", \"\"]\n"),
              ElementsAre("mockforge.yaml:2:17: amqp.vhosts: a vhost name is 1 to 255 bytes, "
                          "got \"\""));
  EXPECT_THAT(errors_of("amqp:\n  permissions:\n    - guest\n    - \"guest / .* .*\"\n"),
              ElementsAre("mockforge.yaml:3:7: amqp.permissions: expected \"USER VHOST "
                          "[CONFIGURE WRITE READ]\", got \"guest\"",
                          "mockforge.yaml:4:7: amqp.permissions: expected \"USER VHOST "
                          "[CONFIGURE WRITE READ]\", got \"guest / .* .*\""));
  const std::vector<std::string> regex = errors_of("amqp:\n  permissions: [\"guest / ( .* .*\"]\n");
  ASSERT_EQ(regex.size(), 1u);
  EXPECT_THAT(regex[0], ::testing::StartsWith("mockforge.yaml:2:17: amqp.permissions: bad regular "
                                              "expression \"(\" in \"guest / ( .* .*\": "));
  // A key with a bad entry keeps its previous value.
  Config config;
  errors_of("amqp:\n  users: [\"a:b\", \"c\"]\n", &config);
  EXPECT_EQ(config.amqp.users, Config{}.amqp.users);
}

TEST(ConfigFile, ValidateFileChecksPermissionsAgainstUsersAndVhosts) {
  const TempFile file(R"(amqp:
  users: ["guest:guest", "admin:s3cret"]
  vhosts: ["/", "v2"]
  permissions:
    - "admin v2"
    - "nobody /"
    - "guest v3 .* .* .*"
mqtt:
  auth_enabled: true
)");
  std::vector<std::string> texts;
  for (const Error& error : validate_file(file.path())) texts.push_back(error.to_string());
  const std::string name = file.path().string();
  EXPECT_THAT(texts, ElementsAre(name + ":6:7: amqp.permissions: no user \"nobody\" in amqp.users "
                                        "(entry \"nobody /\")",
                                 name + ":7:7: amqp.permissions: no vhost \"v3\" in amqp.vhosts "
                                        "(entry \"guest v3 .* .* .*\")",
                                 name + ":9:3: mqtt.auth_enabled: needs at least one entry in "
                                        "mqtt.users"));
  const TempFile good(R"(amqp:
  users: ["guest:guest", "admin:s3cret"]
  vhosts: ["/", "v2"]
  permissions: ["admin v2 ^a ^b ^c", "guest /"]
mqtt:
  auth_enabled: true
  users: ["alice:pw"]
)");
  EXPECT_THAT(validate_file(good.path()), IsEmpty());
}

TEST(ConfigFile, IdentityKeysAreChecked) {
  const TempFile file(R"(amqp:
  users: ["guest:guest"]
  user_tags: ["guest administrator", "nobody monitoring"]
  auth_mechanisms: [PLAIN, GSSAPI]
  ssl_cert_login_from: serial_number
mqtt:
  use_identity_as_username: true
)");
  std::vector<std::string> texts;
  for (const Error& error : validate_file(file.path())) {
    texts.push_back(error.key + ": " + error.message);
  }
  EXPECT_THAT(texts, ::testing::UnorderedElementsAre(
                         "amqp.auth_mechanisms: expected an authentication mechanism mockforge "
                         "serves (PLAIN, AMQPLAIN, EXTERNAL), got \"GSSAPI\"",
                         ::testing::StartsWith("amqp.ssl_cert_login_from: "),
                         "amqp.user_tags: no user \"nobody\" in amqp.users (entry \"nobody "
                         "monitoring\")",
                         "mqtt.use_identity_as_username: needs tls.client_auth: required"));
  const TempFile malformed("amqp:\n  user_tags: [lonely]\n");
  texts.clear();
  for (const Error& error : validate_file(malformed.path())) {
    texts.push_back(error.key + ": " + error.message);
  }
  EXPECT_THAT(texts, ::testing::ElementsAre(
                         "amqp.user_tags: expected \"USER TAG [TAG...]\", got \"lonely\""));
  const TempFile good(R"(amqp:
  user_tags: ["guest administrator management"]
  auth_mechanisms: [EXTERNAL]
  ssl_cert_login_from: common_name
  loopback_users: []
mqtt:
  auth_enabled: true
  password_file: /nonexistent/read/at/serve
  use_identity_as_username: true
tls:
  client_auth: required
)");
  EXPECT_THAT(validate_file(good.path()), ::testing::IsEmpty());
}

TEST(ConfigFile, SubjectAsUsernameAndAdminTlsOnlyAreChecked) {
  const TempFile file("mqtt:\n  use_subject_as_username: true\nadmin:\n  tls_only: true\n");
  std::vector<std::string> texts;
  for (const Error& error : validate_file(file.path())) {
    texts.push_back(error.key + ": " + error.message);
  }
  EXPECT_THAT(texts, ::testing::UnorderedElementsAre(
                         "mqtt.use_subject_as_username: needs tls.client_auth: required",
                         "admin.tls_only: needs admin.tls_port"));
  const TempFile good(R"(mqtt:
  use_subject_as_username: true
admin:
  tls_only: true
  tls_port: 0
tls:
  client_auth: required
)");
  EXPECT_THAT(validate_file(good.path()), ::testing::IsEmpty());
}

TEST(ConfigFile, KafkaSaslMechanismsAreCheckedAndNeedUsers) {
  const TempFile file(R"(kafka:
  sasl_mechanisms: [PLAIN, GSSAPI]
)");
  std::vector<std::string> texts;
  for (const Error& error : validate_file(file.path())) texts.push_back(error.to_string());
  ASSERT_EQ(texts.size(), 1u);
  EXPECT_THAT(texts[0], ::testing::HasSubstr("kafka.sasl_mechanisms: expected a SASL mechanism "
                                             "mockforge serves (PLAIN, SCRAM-SHA-256, "
                                             "SCRAM-SHA-512, OAUTHBEARER), got \"GSSAPI\""));
  const TempFile no_users(R"(kafka:
  sasl_mechanisms: [SCRAM-SHA-256]
)");
  texts.clear();
  for (const Error& error : validate_file(no_users.path())) texts.push_back(error.to_string());
  const std::string name = no_users.path().string();
  EXPECT_THAT(texts, ElementsAre(name + ":2:3: kafka.sasl_mechanisms: needs at least one entry "
                                        "in kafka.sasl_users"));
  const TempFile good(R"(kafka:
  sasl_mechanisms: [SCRAM-SHA-512, PLAIN]
  sasl_users: ["alice:pw:with:colons"]
  sasl_scram_iterations: 8192
  sasl_session_lifetime: 5m
)");
  EXPECT_THAT(validate_file(good.path()), IsEmpty());
}

TEST(ConfigFile, KafkaOauthbearerNeedsNoUsersAndSuperUsersArePrincipals) {
  const TempFile good(R"(kafka:
  sasl_mechanisms: [OAUTHBEARER]
  sasl_oauthbearer_audience: [kafka]
  sasl_oauthbearer_clock_skew: 30s
  authorizer: acl
  super_users: ["User:admin"]
)");
  EXPECT_THAT(validate_file(good.path()), IsEmpty());
  const TempFile bad(R"(kafka:
  authorizer: ranger
  super_users: [admin]
)");
  std::vector<std::string> texts;
  for (const Error& error : validate_file(bad.path())) texts.push_back(error.to_string());
  ASSERT_EQ(texts.size(), 2u);
  EXPECT_THAT(texts[0], ::testing::HasSubstr("kafka.authorizer"));
  EXPECT_THAT(texts[1],
              ::testing::HasSubstr("expected a Kafka principal User:name, got \"admin\""));
}

TEST(ConfigFile, KafkaAclsAreCheckedAndNeedTheAuthorizer) {
  const TempFile good(R"(kafka:
  authorizer: acl
  acls:
    - "User:alice ALLOW WRITE TOPIC orders"
    - "User:* deny all topic secret- prefixed 10.0.0.7"
)");
  EXPECT_THAT(validate_file(good.path()), IsEmpty());
  const TempFile bad(R"(kafka:
  authorizer: acl
  acls: ["User:alice ALLOW WRITE TOPIC orders", "User:alice PERMIT WRITE TOPIC orders"]
)");
  std::vector<std::string> texts;
  for (const Error& error : validate_file(bad.path())) texts.push_back(error.to_string());
  ASSERT_EQ(texts.size(), 1u);
  EXPECT_THAT(texts[0], ::testing::HasSubstr("expected a permission: ALLOW or DENY, got "
                                             "\"User:alice PERMIT WRITE TOPIC orders\""));
  const TempFile off(R"(kafka:
  acls: ["User:alice ALLOW WRITE TOPIC orders"]
)");
  texts.clear();
  for (const Error& error : validate_file(off.path())) texts.push_back(error.to_string());
  ASSERT_EQ(texts.size(), 1u);
  EXPECT_THAT(texts[0], ::testing::HasSubstr("kafka.acls"));
  EXPECT_THAT(texts[0], ::testing::HasSubstr("needs kafka.authorizer: acl"));
}

TEST(ConfigFile, ValidFileHasNoErrors) {
  const TempFile file(to_yaml(Config{}, {.with_descriptions = true}));
  EXPECT_THAT(validate_file(file.path()), IsEmpty());
}

TEST(ConfigFile, MissingFileIsAnError) {
  const std::vector<Error> errors = validate_file("/nonexistent/mockforge.yaml");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].to_string(),
            "/nonexistent/mockforge.yaml: cannot read file: No such file or directory");
}

TEST(ConfigPrint, RoundTripsEveryKey) {
  Config changed;
  changed.server.bind = {"0.0.0.0", "quote\"and\\backslash", "comma, inside"};
  changed.server.shutdown_timeout = Duration(1500);
  changed.log.level = LogLevel::critical;
  changed.storage.memory_cap = 1234567;
  changed.storage.retention_time = std::chrono::minutes(5);
  changed.storage.snapshot_file = "path with: colon # and hash";
  changed.kafka.enabled = false;
  changed.kafka.port = 0;
  changed.kafka.fixtures_dir = "yes";  // must stay a string, not become a bool
  changed.mqtt.keep_alive_secs = 0;
  changed.metrics.path = "";
  for (const Config& original : {Config{}, changed}) {
    for (bool with_descriptions : {false, true}) {
      const std::string printed = to_yaml(original, {.with_descriptions = with_descriptions});
      Config reparsed;
      reparsed.kafka.port = 1;  // proves every key is printed: all of them get overwritten
      EXPECT_THAT(apply_yaml_text(reparsed, printed, "printed"), IsEmpty()) << printed;
      EXPECT_EQ(reparsed, original) << printed;
    }
  }
}

TEST(ConfigPrint, PrintsEveryKeyOnce) {
  const std::string printed = to_yaml(Config{});
  for (const KeySpec& key : keys()) {
    EXPECT_NE(printed.find("  " + key.name + ": " + key.default_text + "\n"), std::string::npos)
        << key.path;
  }
}

TEST(ConfigTable, PathsEnvVarsAndFlagsAreUniqueAndWellFormed) {
  std::set<std::string> paths;
  std::set<std::string> env_vars;
  std::set<std::string> flags;
  for (const KeySpec& key : keys()) {
    EXPECT_TRUE(paths.insert(key.path).second) << key.path;
    EXPECT_TRUE(env_vars.insert(key.env_var).second) << key.env_var;
    EXPECT_FALSE(key.description.empty()) << key.path;
    if (!key.flag.empty()) {
      EXPECT_TRUE(flags.insert(key.flag).second) << key.flag;
      EXPECT_TRUE(key.flag.starts_with("--")) << key.flag;
      EXPECT_EQ(find_flag(key.flag), &key);
    }
    EXPECT_EQ(find_key(key.path), &key);
  }
  // The test harness sets these; no key may collide with them.
  EXPECT_EQ(env_vars.count("MOCKFORGE_SOURCE_DIR"), 0u);
  EXPECT_EQ(env_vars.count("MOCKFORGE_BINARY_DIR"), 0u);
}

TEST(ConfigTable, DescribesKeysForTheCli) {
  const KeySpec* port = find_key("kafka.port");
  ASSERT_NE(port, nullptr);
  EXPECT_EQ(port->env_var, "MOCKFORGE_KAFKA_PORT");
  EXPECT_EQ(port->flag, "--kafka-port");
  EXPECT_EQ(port->flag_style, FlagStyle::takes_value);
  EXPECT_EQ(port->kind, ValueKind::port);
  EXPECT_EQ(port->default_text, "9092");
  EXPECT_EQ(find_flag("--no-kafka")->path, "kafka.enabled");
  EXPECT_EQ(find_flag("--no-kafka")->flag_style, FlagStyle::sets_false);
  EXPECT_EQ(find_flag("--bind")->kind, ValueKind::string_list);
  EXPECT_THAT(find_key("log.format")->allowed_values, ElementsAre("text", "json"));
  EXPECT_EQ(find_key("kafka.prot"), nullptr);
  EXPECT_EQ(find_flag("--nope"), nullptr);
}

}  // namespace
}  // namespace mockforge::config
