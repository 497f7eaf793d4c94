#include "server/admin_access.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "core/admin/auth.h"

namespace mockforge {

std::string load_admin_token(const config::AdminConfig& admin) {
  if (!admin.token.empty() && !admin.token_file.empty()) {
    throw std::runtime_error("admin.token and admin.token_file are both set; set one of them");
  }
  if (admin.token_file.empty()) return admin.token;
  std::ifstream in(admin.token_file, std::ios::binary);
  if (!in)
    throw std::runtime_error(fmt::format("admin.token_file: cannot read {}", admin.token_file));
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string token = buffer.str();
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ' ||
                            token.back() == '\t')) {
    token.pop_back();
  }
  if (token.empty()) {
    throw std::runtime_error(fmt::format("admin.token_file: {} is empty", admin.token_file));
  }
  return token;
}

void check_admin_exposure(const config::AdminConfig& admin, const std::string& token) {
  if (!token.empty()) return;
  for (const auto& address : admin.bind) {
    if (!admin::is_loopback_address(address)) {
      throw std::runtime_error(fmt::format(
          "admin.bind includes {}, which is not a loopback address: anyone who can reach it "
          "could reset, snapshot and restore this server, so set admin.token or "
          "admin.token_file (or bind the admin port to 127.0.0.1/::1)",
          address));
    }
  }
}

std::variant<std::filesystem::path, std::string> confine_path(const std::string& dir,
                                                              const std::string& requested) {
  namespace fs = std::filesystem;
  if (dir.empty()) {
    return std::string("snapshot and restore over the admin API need storage.snapshot_dir");
  }
  if (requested.empty()) return std::string("the path is empty");
  const fs::path path(requested);
  for (const auto& part : path) {
    if (part == "..") return fmt::format("path {} has a '..' component", requested);
  }
  std::error_code ec;
  const fs::path base = fs::canonical(dir, ec);
  if (ec) return fmt::format("storage.snapshot_dir {}: {}", dir, ec.message());
  fs::path resolved = fs::weakly_canonical(path.is_absolute() ? path : base / path, ec);
  if (ec) return fmt::format("path {}: {}", requested, ec.message());
  // weakly_canonical leaves a dangling symlink as it is: judge its target.
  if (fs::is_symlink(fs::symlink_status(resolved, ec))) {
    const fs::path target = fs::read_symlink(resolved, ec);
    if (ec) return fmt::format("path {}: {}", requested, ec.message());
    resolved =
        fs::weakly_canonical(target.is_absolute() ? target : resolved.parent_path() / target, ec);
    if (ec) return fmt::format("path {}: {}", requested, ec.message());
  }
  auto [base_end, unused] =
      std::mismatch(base.begin(), base.end(), resolved.begin(), resolved.end());
  (void)unused;
  if (base_end != base.end() || resolved == base) {
    return fmt::format("path {} is not inside storage.snapshot_dir {} (symlinks are followed)",
                       requested, base.string());
  }
  return resolved;
}

}  // namespace mockforge
