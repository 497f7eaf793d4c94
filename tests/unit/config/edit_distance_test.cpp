#include "core/config/edit_distance.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace mockforge::config {
namespace {

TEST(EditDistance, CountsEditsAndTranspositions) {
  EXPECT_EQ(edit_distance("partitions", "partitions", 3), 0u);
  EXPECT_EQ(edit_distance("partitons", "partitions", 3), 1u);   // one deleted
  EXPECT_EQ(edit_distance("partitoins", "partitions", 3), 1u);  // two swapped
  EXPECT_EQ(edit_distance("port", "prot", 3), 1u);
  EXPECT_EQ(edit_distance("kitten", "sitting", 3), 3u);
  EXPECT_EQ(edit_distance("", "abc", 3), 3u);
}

TEST(EditDistance, AnythingPastTheLimitIsLimitPlusOne) {
  EXPECT_EQ(edit_distance("kitten", "sitting", 2), 3u);
  EXPECT_EQ(edit_distance("abcdef", "uvwxyz", 1), 2u);
  EXPECT_EQ(edit_distance("", "abc", 0), 1u);
  // A key thousands of characters long against a short name gives up at once.
  EXPECT_EQ(edit_distance(std::string(100000, 'p'), "port", 3), 4u);
  EXPECT_EQ(edit_distance(std::string(100000, 'p'), std::string(100001, 'p'), 3), 1u);
}

// The whole table, for comparison.
std::size_t full_table_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min(
          {d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

TEST(EditDistance, AgreesWithTheFullTableUpToTheLimit) {
  std::mt19937 random(7);
  const auto word = [&random] {
    std::string text(random() % 12, 'a');
    for (char& c : text) c = static_cast<char>('a' + random() % 3);
    return text;
  };
  for (int round = 0; round < 20000; ++round) {
    const std::string a = word(), b = word();
    const std::size_t limit = random() % 5;
    const std::size_t expected = std::min(full_table_distance(a, b), limit + 1);
    ASSERT_EQ(edit_distance(a, b, limit), expected) << a << " / " << b << " limit " << limit;
  }
}

}  // namespace
}  // namespace mockforge::config
