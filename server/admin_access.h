// Who may use the admin port and which files its snapshot and restore may
// touch.
#pragma once

#include <filesystem>
#include <string>
#include <variant>

#include "core/config/config.h"

namespace mockforge {

// The admin bearer token from admin.token or admin.token_file (trailing
// whitespace dropped); empty when neither is set. Throws std::runtime_error
// naming the key when both are set or the file cannot be read or is empty.
std::string load_admin_token(const config::AdminConfig& admin);

// Throws std::runtime_error when the admin port binds a non-loopback address
// and `token` is empty.
void check_admin_exposure(const config::AdminConfig& admin, const std::string& token);

// `requested` (relative to `dir`, or absolute inside it) resolved through
// symlinks; or an error message when `dir` is empty or missing, or the path
// has a ".." component or resolves outside `dir`.
std::variant<std::filesystem::path, std::string> confine_path(const std::string& dir,
                                                              const std::string& requested);

}  // namespace mockforge
