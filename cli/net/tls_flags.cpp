#include "cli/net/tls_flags.h"

namespace mockforge::cli::net {

void add_tls_flags(CLI::App& command, TlsOptions& tls, const std::string& key_flag) {
  const auto enable = [&tls](const std::string&) { tls.enabled = true; };
  command.add_flag("--tls", tls.enabled, "Connect over TLS, verifying with the system's CAs");
  command.add_option("--cafile", tls.ca_file, "PEM CA certificates to verify the broker with")
      ->each(enable)
      ->check(CLI::ExistingFile);
  command.add_option("--cert", tls.cert_file, "PEM client certificate (with " + key_flag + ")")
      ->each(enable)
      ->check(CLI::ExistingFile);
  command.add_option(key_flag, tls.key_file, "PEM private key of --cert")
      ->each(enable)
      ->check(CLI::ExistingFile);
  command
      .add_flag("--insecure", tls.insecure,
                "Do not verify the broker's certificate or name (implies --tls)")
      ->each(enable);
}

}  // namespace mockforge::cli::net
