#pragma once

// The release version (CMake's PROJECT_VERSION) and the git revision the
// binary was built from ("unknown" outside a git checkout).

#include <string_view>

namespace mockforge::build {

std::string_view version();
std::string_view git_revision();

}  // namespace mockforge::build
