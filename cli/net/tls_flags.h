// --tls, --cafile, --cert, --key and --insecure for the client commands, as
// mosquitto_pub spells them; any of them turns TLS on.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/net/tcp.h"

namespace mockforge::cli::net {

// `tls` must outlive the parse. `key_flag`: the private key's flag, for
// commands whose --key means something else (kafka produce: --tls-key).
void add_tls_flags(CLI::App& command, TlsOptions& tls, const std::string& key_flag = "--key");

}  // namespace mockforge::cli::net
