#include "brokers/mqtt/codec/properties.h"

#include <gtest/gtest.h>

#include <set>

namespace mockforge::mqtt {
namespace {

TEST(MqttPropertyTable, HasEveryMqtt5PropertyOnce) {
  const auto infos = all_property_infos();
  EXPECT_EQ(infos.size(), 27u);
  std::set<int> ids;
  for (const auto& info : infos) ids.insert(static_cast<int>(info.id));
  EXPECT_EQ(ids.size(), 27u);
  EXPECT_EQ(find_property_info(0x04), nullptr);
  EXPECT_EQ(find_property_info(0x2B), nullptr);
}

TEST(MqttPropertyTable, TypesFollowTheSpec) {
  EXPECT_EQ(property_info(PropertyId::payload_format_indicator).type, PropertyType::byte);
  EXPECT_EQ(property_info(PropertyId::message_expiry_interval).type,
            PropertyType::four_byte_integer);
  EXPECT_EQ(property_info(PropertyId::subscription_identifier).type,
            PropertyType::variable_byte_integer);
  EXPECT_EQ(property_info(PropertyId::server_keep_alive).type, PropertyType::two_byte_integer);
  EXPECT_EQ(property_info(PropertyId::correlation_data).type, PropertyType::binary_data);
  EXPECT_EQ(property_info(PropertyId::authentication_data).type, PropertyType::binary_data);
  EXPECT_EQ(property_info(PropertyId::user_property).type, PropertyType::utf8_string_pair);
  EXPECT_EQ(property_info(PropertyId::response_topic).type, PropertyType::utf8_string);
  EXPECT_EQ(property_info(PropertyId::maximum_packet_size).type, PropertyType::four_byte_integer);
  EXPECT_EQ(property_info(PropertyId::topic_alias).name, "Topic Alias");
}

TEST(MqttPropertyTable, PacketsEachPropertyMayAppearIn) {
  using C = PropertyContext;
  EXPECT_TRUE(is_property_allowed(PropertyId::will_delay_interval, C::will));
  EXPECT_FALSE(is_property_allowed(PropertyId::will_delay_interval, C::connect));
  EXPECT_TRUE(is_property_allowed(PropertyId::session_expiry_interval, C::disconnect));
  EXPECT_FALSE(is_property_allowed(PropertyId::session_expiry_interval, C::publish));
  EXPECT_TRUE(is_property_allowed(PropertyId::subscription_identifier, C::subscribe));
  EXPECT_FALSE(is_property_allowed(PropertyId::subscription_identifier, C::unsubscribe));
  EXPECT_TRUE(is_property_allowed(PropertyId::reason_string, C::pubcomp));
  EXPECT_FALSE(is_property_allowed(PropertyId::reason_string, C::connect));
  EXPECT_TRUE(is_property_allowed(PropertyId::server_reference, C::disconnect));
  EXPECT_TRUE(is_property_allowed(PropertyId::authentication_method, C::auth));
  EXPECT_FALSE(is_property_allowed(PropertyId::maximum_qos, C::connect));
  for (int context = 0; context <= static_cast<int>(C::auth); ++context) {
    EXPECT_TRUE(is_property_allowed(PropertyId::user_property, static_cast<C>(context)));
  }
  EXPECT_TRUE(may_repeat(PropertyId::subscription_identifier, C::publish));
  EXPECT_FALSE(may_repeat(PropertyId::subscription_identifier, C::subscribe));
  EXPECT_TRUE(may_repeat(PropertyId::user_property, C::connack));
  EXPECT_FALSE(may_repeat(PropertyId::content_type, C::publish));
}

TEST(MqttProperties, AccessorsKeepOrder) {
  Properties properties;
  properties.add_user_property("b", "1");
  properties.set(PropertyId::message_expiry_interval, 30u);
  properties.add_user_property("a", "2");
  properties.add_user_property("b", "3");
  properties.set(PropertyId::content_type, std::string("text/plain"));
  properties.set(PropertyId::correlation_data, Bytes{1, 2, 3});
  properties.set(PropertyId::message_expiry_interval, 60u);  // replaces in place

  EXPECT_EQ(properties.size(), 6u);
  EXPECT_EQ(properties.integer(PropertyId::message_expiry_interval), 60u);
  EXPECT_EQ(properties.entries()[1].id, PropertyId::message_expiry_interval);
  EXPECT_EQ(properties.string(PropertyId::content_type), "text/plain");
  ASSERT_TRUE(properties.binary(PropertyId::correlation_data).has_value());
  EXPECT_EQ(properties.binary(PropertyId::correlation_data)->size(), 3u);
  EXPECT_FALSE(properties.integer(PropertyId::topic_alias).has_value());
  EXPECT_FALSE(properties.integer(PropertyId::content_type).has_value());
  EXPECT_EQ(properties.user_properties(),
            (std::vector<StringPair>{{"b", "1"}, {"a", "2"}, {"b", "3"}}));

  properties.erase(PropertyId::user_property);
  EXPECT_EQ(properties.size(), 3u);
  EXPECT_FALSE(properties.contains(PropertyId::user_property));
}

}  // namespace
}  // namespace mockforge::mqtt
