#include "core/config/edit_distance.h"

#include <algorithm>
#include <vector>

namespace mockforge::config {

std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit) {
  const std::size_t over = limit + 1;
  const std::size_t gap = a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
  if (gap > limit) return over;
  // Three rows of the dynamic programming table (two back for transpositions, one back, this
  // one), computed only within `limit` of the diagonal: a cell further off needs more than
  // `limit` insertions or deletions, so it counts as `over`.
  std::vector<std::size_t> before(b.size() + 1, over), previous(b.size() + 1, over),
      current(b.size() + 1, over);
  for (std::size_t j = 0; j <= std::min(b.size(), limit); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    const std::size_t first = i > limit ? i - limit : 1;
    const std::size_t last = std::min(b.size(), i + limit);
    // The cells either side of the band hold what the next rows may read (the buffers are
    // reused, so they would otherwise hold a row from three back).
    current[first - 1] = i <= limit ? i : over;
    if (last + 1 <= b.size()) current[last + 1] = over;
    std::size_t row_best = current[first - 1];
    for (std::size_t j = first; j <= last; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      std::size_t cell = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cell = std::min(cell, before[j - 2] + 1);
      }
      current[j] = std::min(cell, over);
      row_best = std::min(row_best, current[j]);
    }
    // Every later row's cells are at least the smallest of this row.
    if (row_best > limit) return over;
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

}  // namespace mockforge::config
