// docs/configuration.md must document every key and every flag exactly as the table says, and
// nothing that is not in the table. On failure the message gives the row to paste.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/config/config.h"

namespace mockforge::config {
namespace {

std::vector<std::string> doc_lines() {
  const char* source_dir = std::getenv("MOCKFORGE_SOURCE_DIR");
  if (source_dir == nullptr) ADD_FAILURE() << "MOCKFORGE_SOURCE_DIR is not set";
  const std::string path = std::string(source_dir ? source_dir : ".") + "/docs/configuration.md";
  std::ifstream file(path);
  if (!file) ADD_FAILURE() << "cannot read " << path;
  std::vector<std::string> lines;
  for (std::string line; std::getline(file, line);) lines.push_back(line);
  return lines;
}

bool contains_line(const std::vector<std::string>& lines, const std::string& wanted) {
  for (const std::string& line : lines) {
    if (line == wanted) return true;
  }
  return false;
}

// The text between the first pair of backticks of a table row: "| `kafka.port` | ..." -> kafka.port
std::string first_cell_code(const std::string& line) {
  if (!line.starts_with("| `")) return "";
  const std::size_t end = line.find('`', 3);
  return end == std::string::npos ? "" : line.substr(3, end - 3);
}

TEST(ConfigDocs, EveryKeyHasItsRow) {
  const std::vector<std::string> lines = doc_lines();
  for (const KeySpec& key : keys()) {
    const std::string row = key_table_row(key);
    EXPECT_TRUE(contains_line(lines, row))
        << "docs/configuration.md lacks (or has an outdated) row for " << key.path
        << "; expected this line in the " << key.section << " table:\n"
        << row;
  }
}

TEST(ConfigDocs, EveryFlagHasItsRow) {
  const std::vector<std::string> lines = doc_lines();
  for (const KeySpec& key : keys()) {
    if (key.flag.empty()) continue;
    const std::string row = flag_table_row(key);
    EXPECT_TRUE(contains_line(lines, row))
        << "docs/configuration.md lacks (or has an outdated) row for flag " << key.flag
        << "; expected this line in the flags table:\n"
        << row;
  }
}

TEST(ConfigDocs, EverySectionHasAHeading) {
  const std::vector<std::string> lines = doc_lines();
  for (const SectionSpec& section : sections()) {
    EXPECT_TRUE(contains_line(lines, "### `" + section.name + ":`"))
        << "docs/configuration.md lacks the heading: ### `" << section.name << ":`";
  }
}

TEST(ConfigDocs, DocumentsNoKeyOrFlagThatDoesNotExist) {
  for (const std::string& line : doc_lines()) {
    const std::string name = first_cell_code(line);
    if (name.starts_with("--")) {
      EXPECT_NE(find_flag(name), nullptr)
          << "docs/configuration.md documents unknown flag: " << line;
    } else if (name.find('.') != std::string::npos) {
      EXPECT_NE(find_key(name), nullptr) << "docs/configuration.md documents unknown key: " << line;
    }
  }
}

}  // namespace
}  // namespace mockforge::config
