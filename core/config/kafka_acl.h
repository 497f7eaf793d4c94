#pragma once

// A Kafka ACL as kafka.acls entries and fixture files (kafka: acls:) write it, with Kafka's
// enum names (case-insensitive, as Kafka's fromString reads them) turned into the wire values
// the broker stores (brokers/kafka/broker/acl_store.h). Header-only, no broker code: the
// configuration, the fixture loader and the Kafka broker all read it.

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace mockforge::config {

struct KafkaAcl {
  std::string principal;  // "User:alice", "User:*"
  std::string host = "*";
  int8_t operation = 0;
  int8_t permission = 3;     // ALLOW
  int8_t resource_type = 0;  // TOPIC, GROUP, ...
  std::string resource_name;
  int8_t pattern_type = 3;  // LITERAL
  bool operator==(const KafkaAcl&) const = default;
};

namespace kafka_acl_detail {

using Names = std::vector<std::pair<std::string_view, int8_t>>;

inline std::optional<int8_t> lookup(const Names& names, std::string_view name) {
  for (const auto& [known, value] : names) {
    if (known.size() == name.size() &&
        std::equal(known.begin(), known.end(), name.begin(), [](char a, char b) {
          return a == std::toupper(static_cast<unsigned char>(b));
        })) {
      return value;
    }
  }
  return std::nullopt;
}

inline std::string listed(const Names& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i].first;
  }
  return out;
}

// org.apache.kafka.common.acl.AclOperation, AclPermissionType,
// org.apache.kafka.common.resource.ResourceType, PatternType (the concrete values only).
inline const Names& operations() {
  static const Names names = {{"ALL", 2},
                              {"READ", 3},
                              {"WRITE", 4},
                              {"CREATE", 5},
                              {"DELETE", 6},
                              {"ALTER", 7},
                              {"DESCRIBE", 8},
                              {"CLUSTER_ACTION", 9},
                              {"DESCRIBE_CONFIGS", 10},
                              {"ALTER_CONFIGS", 11},
                              {"IDEMPOTENT_WRITE", 12},
                              {"CREATE_TOKENS", 13},
                              {"DESCRIBE_TOKENS", 14}};
  return names;
}
inline const Names& permissions() {
  static const Names names = {{"ALLOW", 3}, {"DENY", 2}};
  return names;
}
inline const Names& resource_types() {
  static const Names names = {
      {"TOPIC", 2}, {"GROUP", 3}, {"CLUSTER", 4}, {"TRANSACTIONAL_ID", 5}, {"DELEGATION_TOKEN", 6},
      {"USER", 7}};
  return names;
}
inline const Names& pattern_types() {
  static const Names names = {{"LITERAL", 3}, {"PREFIXED", 4}};
  return names;
}

}  // namespace kafka_acl_detail

// Why a field's value is not one of Kafka's names; nullopt when it is (and `out` is set).
inline std::optional<std::string> kafka_acl_operation(std::string_view name, int8_t& out) {
  const auto& names = kafka_acl_detail::operations();
  if (auto value = kafka_acl_detail::lookup(names, name)) {
    out = *value;
    return std::nullopt;
  }
  return "expected an operation: " + kafka_acl_detail::listed(names);
}
inline std::optional<std::string> kafka_acl_permission(std::string_view name, int8_t& out) {
  const auto& names = kafka_acl_detail::permissions();
  if (auto value = kafka_acl_detail::lookup(names, name)) {
    out = *value;
    return std::nullopt;
  }
  return "expected a permission: " + kafka_acl_detail::listed(names);
}
inline std::optional<std::string> kafka_acl_resource_type(std::string_view name, int8_t& out) {
  const auto& names = kafka_acl_detail::resource_types();
  if (auto value = kafka_acl_detail::lookup(names, name)) {
    out = *value;
    return std::nullopt;
  }
  return "expected a resource type: " + kafka_acl_detail::listed(names);
}
inline std::optional<std::string> kafka_acl_pattern_type(std::string_view name, int8_t& out) {
  const auto& names = kafka_acl_detail::pattern_types();
  if (auto value = kafka_acl_detail::lookup(names, name)) {
    out = *value;
    return std::nullopt;
  }
  return "expected a pattern type: " + kafka_acl_detail::listed(names);
}
// "Type:name" with both parts non-empty, as Kafka's SecurityUtils.parseKafkaPrincipal wants.
inline std::optional<std::string> kafka_acl_principal(std::string_view principal) {
  const auto colon = principal.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == principal.size()) {
    return "expected a principal Type:name (User:alice, User:*)";
  }
  return std::nullopt;
}
// The resource name for the type: not empty, and kafka-cluster for CLUSTER (as CreateAcls
// checks).
inline std::optional<std::string> kafka_acl_resource_name(int8_t resource_type,
                                                          std::string_view name) {
  if (name.empty()) return "expected a non-empty resource name";
  if (resource_type == 4 && name != "kafka-cluster") {
    return "the only valid name for the CLUSTER resource is kafka-cluster";
  }
  return std::nullopt;
}

// kafka.acls: "PRINCIPAL PERMISSION OPERATION RESOURCE_TYPE NAME [PATTERN_TYPE [HOST]]",
// whitespace-separated; PATTERN_TYPE defaults to LITERAL and HOST to *.
inline std::variant<KafkaAcl, std::string> parse_kafka_acl(std::string_view entry) {
  std::vector<std::string> fields;
  std::string field;
  for (char c : entry) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!field.empty()) fields.push_back(std::move(field));
      field.clear();
    } else {
      field += c;
    }
  }
  if (!field.empty()) fields.push_back(std::move(field));
  if (fields.size() < 5 || fields.size() > 7) {
    return std::string(
        "expected \"PRINCIPAL PERMISSION OPERATION RESOURCE_TYPE NAME [PATTERN_TYPE [HOST]]\"");
  }
  KafkaAcl acl;
  acl.principal = fields[0];
  acl.resource_name = fields[4];
  if (auto problem = kafka_acl_principal(acl.principal)) return *problem;
  if (auto problem = kafka_acl_permission(fields[1], acl.permission)) return *problem;
  if (auto problem = kafka_acl_operation(fields[2], acl.operation)) return *problem;
  if (auto problem = kafka_acl_resource_type(fields[3], acl.resource_type)) return *problem;
  if (auto problem = kafka_acl_resource_name(acl.resource_type, acl.resource_name)) {
    return *problem;
  }
  if (fields.size() > 5) {
    if (auto problem = kafka_acl_pattern_type(fields[5], acl.pattern_type)) return *problem;
  }
  if (fields.size() > 6) acl.host = fields[6];
  return acl;
}

}  // namespace mockforge::config
