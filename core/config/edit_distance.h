// How far apart two words are, for "did you mean ...?" suggestions.
#pragma once

#include <cstddef>
#include <string_view>

namespace mockforge::config {

// Optimal string alignment distance (Levenshtein plus adjacent transpositions) between a and b,
// or limit + 1 when it is more than limit. Words whose lengths differ by more than limit are not
// compared at all, so a long mistyped key costs no more than a short one.
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit);

}  // namespace mockforge::config
