// Reading mockforge.yaml with yaml-cpp. Every problem in a document is reported with
// file:line:column and the full key path; processing continues after each error.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/config/key_table.h"
#include "core/yaml/load.h"

namespace mockforge::config::detail {
namespace {

std::string node_kind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Scalar:
      return double_quoted(node.Scalar());
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

class DocumentReader {
 public:
  DocumentReader(Config& config, std::string_view origin, ValueSources* sources,
                 DocumentPositions* positions)
      : config_(config), origin_(origin), sources_(sources), positions_(positions) {}

  std::vector<Error> read(std::string_view yaml) {
    YAML::Node root;
    try {
      root = yaml::load(std::string(yaml));
    } catch (const YAML::ParserException& error) {
      add(error.mark, "", "invalid YAML: " + error.msg);
      return std::move(errors_);
    }
    if (!root.IsDefined() || root.IsNull()) return std::move(errors_);
    if (!root.IsMap()) {
      add(root.Mark(), "",
          fmt::format("expected a mapping of sections (server:, kafka:, ...), got {}",
                      node_kind(root)));
      return std::move(errors_);
    }
    std::map<std::string, int> section_lines;
    for (const auto& item : root) {
      const YAML::Node& name_node = item.first;
      if (!name_node.IsScalar()) {
        add(name_node.Mark(), "", "expected a section name");
        continue;
      }
      const std::string section = name_node.Scalar();
      if (section == "bridges") {
        if (auto [previous, inserted] = section_lines.emplace(section, name_node.Mark().line + 1);
            !inserted) {
          add(name_node.Mark(), section,
              fmt::format("duplicate section (first on line {})", previous->second));
          continue;
        }
        read_bridges(item.second, name_node.Mark());
        continue;
      }
      if (!is_section(section)) {
        add(name_node.Mark(), section, unknown_section_message(section));
        continue;
      }
      if (auto [previous, inserted] = section_lines.emplace(section, name_node.Mark().line + 1);
          !inserted) {
        add(name_node.Mark(), section,
            fmt::format("duplicate section (first on line {})", previous->second));
        continue;
      }
      read_section(section, item.second, name_node.Mark());
    }
    return std::move(errors_);
  }

 private:
  static bool is_section(std::string_view name) {
    for (const SectionSpec& section : sections()) {
      if (section.name == name) return true;
    }
    return false;
  }

  static std::string unknown_section_message(const std::string& name) {
    if (find_key(name) == nullptr) return unknown_key_message(name);
    const auto dot = name.find('.');
    return fmt::format("unknown section; write it nested: \"{}:\" with \"{}:\" indented below",
                       name.substr(0, dot), name.substr(dot + 1));
  }

  void read_section(const std::string& section, const YAML::Node& body,
                    const YAML::Mark& section_mark) {
    if (body.IsNull()) return;  // "kafka:" with nothing below: all defaults
    if (!body.IsMap()) {
      add(mark_or(body.Mark(), section_mark), section,
          fmt::format("expected a mapping of {} keys, got {}", section, node_kind(body)));
      return;
    }
    std::map<std::string, int> key_lines;
    for (const auto& item : body) {
      const YAML::Node& name_node = item.first;
      if (!name_node.IsScalar()) {
        add(name_node.Mark(), section, "expected a key name");
        continue;
      }
      const std::string path = section + "." + name_node.Scalar();
      const KeyEntry* entry = find_entry(path);
      if (entry == nullptr) {
        add(name_node.Mark(), path, unknown_key_message(path));
        continue;
      }
      if (auto [previous, inserted] = key_lines.emplace(path, name_node.Mark().line + 1);
          !inserted) {
        add(name_node.Mark(), path,
            fmt::format("duplicate key (first on line {})", previous->second));
        continue;
      }
      read_value(*entry, item.second, name_node.Mark());
    }
  }

  // bridges: a list of rules, each a mapping with name, from: and to:.
  void read_bridges(const YAML::Node& body, const YAML::Mark& mark) {
    if (body.IsNull()) {
      config_.bridges.clear();
      return;
    }
    if (!body.IsSequence()) {
      add(mark_or(body.Mark(), mark), "bridges",
          fmt::format("expected a list of bridge rules, got {}", node_kind(body)));
      return;
    }
    std::vector<BridgeRule> rules;
    std::map<std::string, int> name_lines;
    bool ok = true;
    std::size_t index = 0;
    for (const YAML::Node& item : body) {
      const std::string path = fmt::format("bridges[{}]", index++);
      const YAML::Mark item_mark = mark_or(item.Mark(), mark);
      if (!item.IsMap()) {
        add(item_mark, path,
            fmt::format("expected a mapping (name, from, to), got {}", node_kind(item)));
        ok = false;
        continue;
      }
      BridgeRule rule;
      rule.name = fmt::format("bridge{}", index);
      std::map<std::string, YAML::Mark> marks;  // field -> where it was written
      marks["name"] = item_mark;
      marks["from.protocol"] = item_mark;
      marks["to.protocol"] = item_mark;
      bool item_ok = true;
      const std::size_t first_error = errors_.size();
      std::set<std::string> reported;  // fields with a type error
      for (const auto& field : item) {
        const std::string name = field.first.Scalar();
        const YAML::Mark field_mark = mark_or(field.first.Mark(), item_mark);
        if (name == "name") {
          if (!field.second.IsScalar()) {
            add(field_mark, path + ".name", "expected a name");
            item_ok = false;
            continue;
          }
          rule.name = field.second.Scalar();
          marks["name"] = field_mark;
        } else if (name == "from" || name == "to") {
          if (!field.second.IsMap()) {
            add(field_mark, path + "." + name,
                fmt::format("expected a mapping with protocol:, got {}", node_kind(field.second)));
            item_ok = false;
            continue;
          }
          BridgeSide& side = name == "from" ? rule.from : rule.to;
          marks[name + ".protocol"] = field_mark;
          for (const auto& entry : field.second) {
            const std::string key = entry.first.Scalar();
            const std::string field_path = name + "." + key;
            const YAML::Mark entry_mark = mark_or(entry.first.Mark(), field_mark);
            marks[field_path] = entry_mark;
            if (!entry.second.IsScalar()) {
              add(entry_mark, path + "." + field_path,
                  fmt::format("expected a value, got {}", node_kind(entry.second)));
              item_ok = false;
              continue;
            }
            if (auto why = assign_side(side, key, entry.second.Scalar()); !why.empty()) {
              add(entry_mark, path + "." + field_path, why);
              item_ok = false;
            }
          }
        } else {
          add(field_mark, path + "." + name, "unknown field; a rule has name, from and to");
          item_ok = false;
        }
      }
      for (std::size_t i = first_error; i < errors_.size(); ++i) reported.insert(errors_[i].key);
      // The rule's own checks, for the fields not already reported.
      for (const auto& [field, why] : check_bridge_rule(rule)) {
        if (reported.contains(path + "." + field)) continue;
        auto found = marks.find(field);
        add(found != marks.end() ? found->second : item_mark, path + "." + field, why);
        item_ok = false;
      }
      if (auto [previous, inserted] = name_lines.emplace(rule.name, marks["name"].line + 1);
          item_ok && !inserted) {
        add(marks["name"], path + ".name",
            fmt::format("duplicate bridge name (first on line {})", previous->second));
        item_ok = false;
      }
      if (!item_ok) {
        ok = false;
        continue;
      }
      rules.push_back(std::move(rule));
    }
    if (ok) {
      config_.bridges = std::move(rules);
      if (sources_ != nullptr) (*sources_)["bridges"] = Source::file;
    }
  }

  // One field of a rule's side; "" or why the value is wrong.
  static std::string assign_side(BridgeSide& side, const std::string& key,
                                 const std::string& value) {
    const auto integer = [&](int64_t min, int64_t max) -> std::optional<int64_t> {
      try {
        std::size_t used = 0;
        const int64_t n = std::stoll(value, &used);
        if (used == value.size() && n >= min && n <= max) return n;
      } catch (const std::exception&) {
      }
      return std::nullopt;
    };
    if (key == "protocol") {
      side.protocol = value;
    } else if (key == "topic") {
      side.topic = value;
    } else if (key == "topic_prefix") {
      side.topic_prefix = value;
    } else if (key == "topic_regex") {
      side.topic_regex = value;
    } else if (key == "filter") {
      side.filter = value;
    } else if (key == "exchange") {
      side.exchange = value;
    } else if (key == "routing_key") {
      side.routing_key = value;
    } else if (key == "vhost") {
      side.vhost = value;
    } else if (key == "key") {
      side.key = value;
    } else if (key == "partition") {
      auto n = integer(0, 1000000);
      if (!n) return "expected a partition number 0-1000000";
      side.partition = static_cast<int32_t>(*n);
    } else if (key == "qos") {
      auto n = integer(0, 2);
      if (!n) return "expected a QoS 0, 1 or 2";
      side.qos = static_cast<int>(*n);
    } else if (key == "retain") {
      if (value == "true" || value == "yes" || value == "on") {
        side.retain = true;
      } else if (value == "false" || value == "no" || value == "off") {
        side.retain = false;
      } else {
        return "expected true or false";
      }
    } else {
      return "unknown field; one of protocol, topic, topic_prefix, topic_regex, filter, "
             "exchange, routing_key, vhost, key, partition, qos, retain";
    }
    return {};
  }

  void read_value(const KeyEntry& entry, const YAML::Node& value, const YAML::Mark& key_mark) {
    const KeySpec& key = *entry.spec;
    std::optional<std::string> error;
    if (value.IsScalar()) {
      error = entry.assign_text(config_, value.Scalar());
    } else if (value.IsNull()) {
      if (key.kind == ValueKind::string) {
        error = entry.assign_text(config_, "");
      } else if (entry.assign_items != nullptr) {
        error = entry.assign_items(config_, {});
      } else {
        error = fmt::format("expected {}, got nothing", key.expectation);
      }
    } else if (value.IsSequence() && entry.assign_items != nullptr) {
      std::vector<std::string> items;
      std::vector<Position> item_positions;
      bool items_ok = true;
      for (const YAML::Node& item : value) {
        const YAML::Mark item_mark = mark_or(item.Mark(), key_mark);
        if (!item.IsScalar()) {
          add(item_mark, key.path,
              fmt::format("expected a string list entry, got {}", node_kind(item)));
          items_ok = false;
          continue;
        }
        // Each entry's own format, reported where the entry is.
        if (auto item_error = entry.check_item(item.Scalar())) {
          add(item_mark, key.path, *item_error);
          items_ok = false;
          continue;
        }
        items.push_back(item.Scalar());
        item_positions.push_back(position_of(item_mark));
      }
      if (!items_ok) return;
      error = entry.assign_items(config_, items);
      if (!error && positions_ != nullptr) positions_->items[key.path] = std::move(item_positions);
    } else {
      error = fmt::format("expected {}, got {}", key.expectation, node_kind(value));
    }
    if (error) {
      add(key_mark, key.path, *error);
      return;
    }
    if (sources_ != nullptr) (*sources_)[key.path] = Source::file;
    if (positions_ != nullptr) {
      positions_->keys[key.path] = position_of(key_mark);
      if (!value.IsSequence()) positions_->items.erase(key.path);
    }
  }

  static Position position_of(const YAML::Mark& mark) {
    if (mark.is_null()) return {};
    return {mark.line + 1, mark.column + 1};
  }

  static const YAML::Mark& mark_or(const YAML::Mark& mark, const YAML::Mark& fallback) {
    return mark.is_null() ? fallback : mark;
  }

  void add(const YAML::Mark& mark, std::string key, std::string message) {
    errors_.push_back(Error{origin_, mark.is_null() ? 0 : mark.line + 1,
                            mark.is_null() ? 0 : mark.column + 1, std::move(key),
                            std::move(message)});
  }

  Config& config_;
  std::string origin_;
  ValueSources* sources_;
  DocumentPositions* positions_;
  std::vector<Error> errors_;
};

}  // namespace

std::vector<Error> apply_yaml(Config& config, std::string_view yaml, std::string_view origin,
                              ValueSources* sources, DocumentPositions* positions) {
  return DocumentReader(config, origin, sources, positions).read(yaml);
}

std::vector<Error> apply_yaml_file(Config& config, const std::filesystem::path& file,
                                   ValueSources* sources, DocumentPositions* positions) {
  std::ifstream stream(file, std::ios::binary);
  if (!stream) {
    return {
        Error{file.string(), 0, 0, "", fmt::format("cannot read file: {}", std::strerror(errno))}};
  }
  std::ostringstream contents;
  contents << stream.rdbuf();
  return apply_yaml(config, contents.str(), file.string(), sources, positions);
}

}  // namespace mockforge::config::detail
