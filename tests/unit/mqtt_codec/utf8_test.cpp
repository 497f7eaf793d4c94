#include "brokers/mqtt/codec/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace mockforge::mqtt {
namespace {

TEST(MqttUtf8, AcceptsWellFormedText) {
  EXPECT_EQ(validate_mqtt_utf8(""), Utf8Status::valid);
  EXPECT_EQ(validate_mqtt_utf8("plain/ascii"), Utf8Status::valid);
  EXPECT_EQ(validate_mqtt_utf8("caf\xc3\xa9"), Utf8Status::valid);       // U+00E9
  EXPECT_EQ(validate_mqtt_utf8("\xe2\x82\xac"), Utf8Status::valid);      // U+20AC
  EXPECT_EQ(validate_mqtt_utf8("\xef\xbb\xbf"), Utf8Status::valid);      // U+FEFF is kept
  EXPECT_EQ(validate_mqtt_utf8("\xf0\xaa\x9b\x94"), Utf8Status::valid);  // U+2A6D4 (spec 1.5.4)
  EXPECT_EQ(validate_mqtt_utf8("\xf4\x8f\xbf\xbf"),
            Utf8Status::valid);  // U+10FFFF is a noncharacter
}

TEST(MqttUtf8, RejectsWhatTheSpecForbids) {
  EXPECT_EQ(validate_mqtt_utf8(std::string("a\0b", 3)), Utf8Status::contains_null);
  EXPECT_EQ(validate_mqtt_utf8("\xc0\x80"), Utf8Status::ill_formed);          // overlong U+0000
  EXPECT_EQ(validate_mqtt_utf8("\xc1\xbf"), Utf8Status::ill_formed);          // overlong
  EXPECT_EQ(validate_mqtt_utf8("\xe0\x80\xaf"), Utf8Status::ill_formed);      // overlong
  EXPECT_EQ(validate_mqtt_utf8("\xed\xa0\x80"), Utf8Status::ill_formed);      // U+D800 surrogate
  EXPECT_EQ(validate_mqtt_utf8("\xed\xbf\xbf"), Utf8Status::ill_formed);      // U+DFFF surrogate
  EXPECT_EQ(validate_mqtt_utf8("\xf4\x90\x80\x80"), Utf8Status::ill_formed);  // > U+10FFFF
  EXPECT_EQ(validate_mqtt_utf8("\xf8\x88\x80\x80\x80"), Utf8Status::ill_formed);
  EXPECT_EQ(validate_mqtt_utf8("\x80"), Utf8Status::ill_formed);          // lone continuation
  EXPECT_EQ(validate_mqtt_utf8("\xc3"), Utf8Status::ill_formed);          // truncated
  EXPECT_EQ(validate_mqtt_utf8("\xe2\x82"), Utf8Status::ill_formed);      // truncated
  EXPECT_EQ(validate_mqtt_utf8("\xe2\x28\xa1"), Utf8Status::ill_formed);  // bad continuation
  EXPECT_EQ(validate_mqtt_utf8("\xff"), Utf8Status::ill_formed);
}

TEST(MqttUtf8, ControlCharactersAndNoncharactersOnlyInStrictMode) {
  const auto strict = Utf8Strictness::strict;
  EXPECT_EQ(validate_mqtt_utf8("a\x01"
                               "b"),
            Utf8Status::valid);
  EXPECT_EQ(validate_mqtt_utf8("a\x01"
                               "b",
                               strict),
            Utf8Status::contains_control);
  EXPECT_EQ(validate_mqtt_utf8("\x1f", strict), Utf8Status::contains_control);
  EXPECT_EQ(validate_mqtt_utf8("\x7f", strict), Utf8Status::contains_control);
  EXPECT_EQ(validate_mqtt_utf8("\xc2\x9f", strict), Utf8Status::contains_control);      // U+009F
  EXPECT_EQ(validate_mqtt_utf8("\xc2\xa0", strict), Utf8Status::valid);                 // U+00A0
  EXPECT_EQ(validate_mqtt_utf8("\xef\xbf\xbf", strict), Utf8Status::contains_nonchar);  // U+FFFF
  EXPECT_EQ(validate_mqtt_utf8("\xef\xb7\x90", strict), Utf8Status::contains_nonchar);  // U+FDD0
  EXPECT_EQ(validate_mqtt_utf8("\xef\xbf\xbf"), Utf8Status::valid);
  EXPECT_EQ(validate_mqtt_utf8("tab\there", strict), Utf8Status::contains_control);
}

}  // namespace
}  // namespace mockforge::mqtt
