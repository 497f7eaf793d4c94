#pragma once

// TLS for listeners: a TlsContext holds the server certificate, key, CA and
// policy (OpenSSL through Asio SSL); Connection::start with a TlsContext runs
// the connection over TLS. The Asio SSL and OpenSSL headers stay in tls.cpp.
//
// Reload: reload() reads the files again; connections accepted afterwards
// use the new certificates, open ones keep the ones they started with.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "core/net/transport.h"

struct ssl_st;  // OpenSSL's SSL

namespace mockforge::net {

struct TlsSettings {
  enum class MinVersion : uint8_t { kTls12, kTls13 };
  enum class ClientAuth : uint8_t { kNone, kOptional, kRequired };

  std::string cert_file;  // PEM: the certificate, then its chain
  std::string key_file;   // PEM, unencrypted
  std::string ca_file;    // PEM: CAs client certificates are verified against
  MinVersion min_version = MinVersion::kTls12;
  std::string ciphers;       // OpenSSL cipher list (TLS 1.2); empty: OpenSSL's default
  std::string ciphersuites;  // TLS 1.3 suites; empty: OpenSSL's default
  ClientAuth client_auth = ClientAuth::kNone;
};

// Handshakes of every connection of one TlsContext, for metrics.
struct TlsCounters {
  std::atomic<uint64_t> handshakes{0};
  std::atomic<uint64_t> handshake_failures{0};
};

class TlsContext {
 public:
  // Reads the files. Throws std::runtime_error naming the setting, the file
  // and OpenSSL's reason.
  explicit TlsContext(TlsSettings settings);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // Reads the files again; on error throws and keeps the current ones.
  void reload();

  const TlsSettings& settings() const { return settings_; }
  uint64_t handshakes() const { return counters_->handshakes.load(std::memory_order_relaxed); }
  uint64_t handshake_failures() const {
    return counters_->handshake_failures.load(std::memory_order_relaxed);
  }

  // core/net internals (Connection::start): a TLS transport over `socket`,
  // carrying a WebSocket when `websocket` is given.
  std::unique_ptr<Transport> make_transport(Socket socket, const WebSocketOptions* websocket) const;

  // The OpenSSL context (an asio::ssl::context), defined in tls_built.h.
  struct Built;

  // For servers that run their own TLS streams over these certificates (the
  // admin port's HTTPS, core/admin): the current context (after a reload(),
  // the new one; a stream keeps the one it was made with), and the count and
  // log of each handshake they run. Only code that includes
  // core/net/tls_built.h can use the context.
  std::shared_ptr<Built> current() const;
  // `ssl`: the stream's, so that a handshake OpenSSL finished counts as
  // done although the write after it failed (a peer that resets at once).
  void note_handshake(const boost::system::error_code& error, const std::string& peer,
                      ssl_st* ssl = nullptr) const;

 private:
  TlsSettings settings_;
  std::shared_ptr<TlsCounters> counters_;
  mutable std::mutex mutex_;
  std::shared_ptr<Built> current_;
};

}  // namespace mockforge::net
