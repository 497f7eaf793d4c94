// The admin port's access control: bearer guard, loopback detection, token
// loading, the exposure check and snapshot path confinement.
#include "server/admin_access.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/admin/auth.h"
#include "core/admin/http_server.h"
#include "server/server.h"
#include "server/testing/mockforge_test.h"

namespace mockforge {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

admin::HttpRequest get(const std::string& path, const std::string& authorization = "") {
  admin::HttpRequest request;
  request.method = "GET";
  request.path = path;
  if (!authorization.empty()) request.headers["authorization"] = authorization;
  return request;
}

std::string header(const admin::HttpResponse& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}

TEST(BearerGuard, RefusesMissingAndWrongTokensWithAChallenge) {
  const auto guard = admin::bearer_guard("s3cret", {"/__mockforge/health"});
  auto missing = guard(get("/__mockforge/api/info"));
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 401);
  EXPECT_EQ(header(*missing, "WWW-Authenticate"), "Bearer realm=\"mockforge\"");
  auto wrong = guard(get("/__mockforge/api/info", "Bearer s3cre"));
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  EXPECT_THAT(header(*wrong, "WWW-Authenticate"), HasSubstr("error=\"invalid_token\""));
  EXPECT_TRUE(guard(get("/__mockforge/api/info", "Bearer s3cret0")));
  EXPECT_TRUE(guard(get("/__mockforge/api/info", "Basic s3cret")));
  EXPECT_TRUE(guard(get("/__mockforge/api/info", "s3cret")));
}

TEST(BearerGuard, AcceptsTheTokenAndLeavesOpenPathsOpen) {
  const auto guard = admin::bearer_guard("s3cret", {"/__mockforge/health"});
  EXPECT_FALSE(guard(get("/__mockforge/api/info", "Bearer s3cret")));
  EXPECT_FALSE(guard(get("/__mockforge/api/info", "bearer s3cret")));
  EXPECT_FALSE(guard(get("/__mockforge/health")));
}

TEST(Loopback, RecognisesLoopbackAddressesOnly) {
  for (const char* address : {"127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1", "localhost"}) {
    EXPECT_TRUE(admin::is_loopback_address(address)) << address;
  }
  for (const char* address :
       {"0.0.0.0", "::", "10.0.0.1", "192.168.1.1", "::ffff:10.0.0.1", "host"}) {
    EXPECT_FALSE(admin::is_loopback_address(address)) << address;
  }
}

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("mockforge-admin-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "snapshots" / "sub");
    fs::create_directories(root_ / "outside");
  }
  void TearDown() override { fs::remove_all(root_); }
  void write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }
  fs::path root_;
};

using LoadAdminToken = TempDir;

TEST_F(LoadAdminToken, ReadsTheFileAndDropsTrailingWhitespace) {
  write(root_ / "token", "abc123\n");
  config::AdminConfig admin;
  admin.token_file = (root_ / "token").string();
  EXPECT_EQ(load_admin_token(admin), "abc123");
  admin.token_file.clear();
  admin.token = "inline";
  EXPECT_EQ(load_admin_token(admin), "inline");
}

TEST_F(LoadAdminToken, RefusesBothKeysAMissingFileAndAnEmptyFile) {
  config::AdminConfig admin;
  admin.token = "a";
  admin.token_file = (root_ / "token").string();
  EXPECT_THROW(load_admin_token(admin), std::runtime_error);
  admin.token.clear();
  try {
    load_admin_token(admin);
    FAIL() << "a missing token file was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("admin.token_file"));
  }
  write(root_ / "token", " \n");
  EXPECT_THROW(load_admin_token(admin), std::runtime_error);
}

TEST(AdminExposure, NonLoopbackNeedsAToken) {
  config::AdminConfig admin;
  EXPECT_NO_THROW(check_admin_exposure(admin, ""));
  admin.bind = {"127.0.0.1", "0.0.0.0"};
  try {
    check_admin_exposure(admin, "");
    FAIL() << "a non-loopback admin port without a token was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("0.0.0.0"));
    EXPECT_THAT(e.what(), HasSubstr("admin.token"));
  }
  EXPECT_NO_THROW(check_admin_exposure(admin, "t"));
}

TEST(AdminExposure, ServerStartRefusesAnExposedAdminPortWithoutAToken) {
  auto config = testing::ephemeral_config();
  config.admin.bind = {"0.0.0.0"};
  Server server(config);
  try {
    server.start();
    FAIL() << "started with an exposed admin port and no token";
  } catch (const std::exception& e) {
    EXPECT_THAT(e.what(), HasSubstr("admin.token"));
  }
  EXPECT_FALSE(server.running());
}

using ConfinePath = TempDir;

// The refusal message, or "accepted: PATH".
std::string refusal(const std::string& dir, const std::string& requested) {
  const auto result = confine_path(dir, requested);
  if (const auto* path = std::get_if<fs::path>(&result)) return "accepted: " + path->string();
  return std::get<std::string>(result);
}

TEST_F(ConfinePath, AcceptsRelativeAndAbsolutePathsInside) {
  const auto dir = (root_ / "snapshots").string();
  const auto relative = confine_path(dir, "a.snap");
  ASSERT_TRUE(std::holds_alternative<fs::path>(relative)) << std::get<std::string>(relative);
  EXPECT_EQ(std::get<fs::path>(relative), fs::canonical(root_ / "snapshots") / "a.snap");
  const auto nested = confine_path(dir, "sub/b.snap");
  EXPECT_TRUE(std::holds_alternative<fs::path>(nested));
  const auto absolute = confine_path(dir, (root_ / "snapshots" / "c.snap").string());
  EXPECT_TRUE(std::holds_alternative<fs::path>(absolute));
}

TEST_F(ConfinePath, RefusesDotDotOutsidePathsSymlinksOutAndNoDirectory) {
  const auto dir = (root_ / "snapshots").string();
  EXPECT_THAT(refusal(dir, "../outside/x"), HasSubstr(".."));
  EXPECT_THAT(refusal(dir, "sub/../../x"), HasSubstr(".."));
  EXPECT_THAT(refusal(dir, (root_ / "outside" / "x").string()), HasSubstr("not inside"));
  EXPECT_THAT(refusal(dir, "/etc/passwd"), HasSubstr("not inside"));
  fs::create_directory_symlink(root_ / "outside", root_ / "snapshots" / "link");
  EXPECT_THAT(refusal(dir, "link/x.snap"), HasSubstr("not inside"));
  fs::create_symlink(root_ / "outside" / "target", root_ / "snapshots" / "file-link");
  EXPECT_THAT(refusal(dir, "file-link"), HasSubstr("not inside"));
  EXPECT_THAT(refusal(dir, "."), HasSubstr("not inside"));
  EXPECT_THAT(refusal("", "a.snap"), HasSubstr("storage.snapshot_dir"));
  EXPECT_THAT(refusal((root_ / "nope").string(), "a.snap"), HasSubstr("storage.snapshot_dir"));
}

}  // namespace
}  // namespace mockforge
