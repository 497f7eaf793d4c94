// Mosquitto password files: $7$ (PBKDF2-SHA512) lines written by Debian's
// mosquitto_passwd 2.0.11, and a $6$ (salted SHA-512) line.
#include "brokers/mqtt/broker/password_file.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace mockforge::mqtt {
namespace {

constexpr const char* kFile =
    "# written by mosquitto_passwd -c -b pw.txt alice 's3cret pw'\n"
    "alice:$7$101$196tGT5/RjqeIMzQ$woDhxc4RIsiOZHHlDoFCX51fz/N1vIxUPqTo/9gsOmmTCvH0yhn8T/"
    "D6EvZBfec6B/GxDZs+aPFKYXTb/0iH9g==\n"
    "\n"
    "carol:$6$MDEyMzQ1Njc4OWFi$aCkWn4IQyaNfqCi3RptuboSR8yapcsD0CdjAEFrfGodpjoFLOIQEXKIqlTVJwawa"
    "SY30aO7pqA9ObW2pLAfSpw==\r\n";

TEST(MqttPasswordFile, VerifiesMosquittoPasswdHashes) {
  const auto users = parse_password_file(kFile, "pw.txt");
  ASSERT_EQ(users.size(), 2u);
  const PasswordHash& alice = users.at("alice");
  EXPECT_EQ(alice.kind, PasswordHash::Kind::kPbkdf2Sha512);
  EXPECT_EQ(alice.iterations, 101);
  EXPECT_EQ(alice.salt.size(), 12u);
  EXPECT_TRUE(verify_password(alice, "s3cret pw"));
  EXPECT_FALSE(verify_password(alice, "s3cret"));
  EXPECT_FALSE(verify_password(alice, ""));
  const PasswordHash& carol = users.at("carol");
  EXPECT_EQ(carol.kind, PasswordHash::Kind::kSha512);
  EXPECT_TRUE(verify_password(carol, "pw6"));
  EXPECT_FALSE(verify_password(carol, "pw7"));
}

TEST(MqttPasswordFile, RefusesWhatItCannotUseNamingTheLine) {
  const auto refused = [](const std::string& text) {
    try {
      parse_password_file(text, "pw.txt");
    } catch (const std::invalid_argument& error) {
      return std::string(error.what());
    }
    return std::string();
  };
  EXPECT_EQ(refused("dave:plaintext\n"),
            "pw.txt:1: user 'dave': not a mosquitto_passwd hash (plain-text passwords are "
            "refused)");
  EXPECT_EQ(refused("\nnocolon\n"), "pw.txt:2: expected user:hash as mosquitto_passwd writes");
  EXPECT_EQ(refused("e:$5$abc$def\n"),
            "pw.txt:1: user 'e': unknown hash type (mockforge reads $6$ and $7$)");
  EXPECT_EQ(refused("e:$7$x$MDEy$MDEy\n"), "pw.txt:1: user 'e': bad iteration count");
  EXPECT_EQ(refused("e:$7$10$!!$MDEy\n"), "pw.txt:1: user 'e': bad base64 salt");
  EXPECT_EQ(refused("e:$7$10$MDEy$MDEy\n"),
            "pw.txt:1: user 'e': bad base64 hash (64 bytes of SHA-512)");
}

}  // namespace
}  // namespace mockforge::mqtt
