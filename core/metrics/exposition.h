#pragma once

// Text exposition format 0.0.4 building blocks, shared by the registry's
// families.

#include <string>
#include <string_view>
#include <vector>

namespace mockforge::metrics::exposition {

void append_help_and_type(std::string& out, std::string_view name, std::string_view help,
                          std::string_view type);

// Appends `name{l1="v1",...} value\n`. extra_label/extra_value add one more
// label (histogram `le`) when extra_label is not empty.
void append_sample(std::string& out, std::string_view name,
                   const std::vector<std::string>& label_names,
                   const std::vector<std::string>& label_values, double value,
                   std::string_view extra_label = {}, std::string_view extra_value = {});

std::string format_value(double value);

}  // namespace mockforge::metrics::exposition
