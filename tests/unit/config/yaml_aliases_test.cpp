// A YAML file whose aliases expand to billions of nodes ("billion laughs") is
// refused where it is read, at file:line, instead of exhausting memory.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "core/config/config.h"
#include "core/yaml/load.h"

namespace mockforge {
namespace {

using ::testing::HasSubstr;

// `key:` holding 10^levels scalars through aliases, in a few hundred bytes.
std::string alias_bomb(const std::string& key, int levels) {
  std::string text = key + ":\n  l0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int level = 1; level <= levels; ++level) {
    text += "  l" + std::to_string(level) + ": &a" + std::to_string(level) + " [";
    for (int i = 0; i < 10; ++i) text += (i ? ", *a" : "*a") + std::to_string(level - 1);
    text += "]\n";
  }
  return text;
}

TEST(YamlLoad, CountsAliasesAsOftenAsTheyAreUsed) {
  // 10 + 100 + 1,000 + 10,000 scalars and their lists: within the bound.
  EXPECT_NO_THROW(yaml::load(alias_bomb("ok", 3)));
  try {
    yaml::load(alias_bomb("bomb", 8));
    FAIL() << "an alias bomb was loaded";
  } catch (const YAML::ParserException& e) {
    EXPECT_THAT(e.msg, HasSubstr("aliases expand it beyond 1000000 nodes"));
    EXPECT_GE(e.mark.line, 1);
  }
  EXPECT_THROW(yaml::load(alias_bomb("small", 3), 1000), YAML::ParserException);
}

TEST(YamlLoad, AliasesCannotNestPastTheDepthBound) {
  // yaml-cpp bounds the text's nesting, not what an alias splices in: each
  // anchor wraps the one before in 300 lists, 3,000 levels in 10 anchors.
  std::string text = "a0: &a0 x\n";
  for (int i = 1; i <= 10; ++i) {
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " " + std::string(300, '[') +
            "*a" + std::to_string(i - 1) + std::string(300, ']') + "\n";
  }
  try {
    yaml::load(text);
    FAIL() << "a document 3,000 levels deep was loaded";
  } catch (const YAML::ParserException& e) {
    EXPECT_THAT(e.msg, HasSubstr("nests deeper than 512 levels with its aliases expanded"));
  }
}

TEST(YamlLoad, ConfigFilesReportTheBombAsInvalidYaml) {
  config::Config config;
  const auto errors = config::apply_yaml_text(config, alias_bomb("server", 8), "bomb.yaml");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].origin, "bomb.yaml");
  EXPECT_GT(errors[0].line, 1);
  EXPECT_THAT(errors[0].message, HasSubstr("invalid YAML: the document's aliases expand it"));
}

}  // namespace
}  // namespace mockforge
