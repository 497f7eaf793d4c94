#include "core/net/tls.h"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <optional>
#include <stdexcept>

#include "core/log/logging.h"
#include "core/net/tls_built.h"
#include "core/net/transports.h"

// Asio SSL is compiled here, once (the rest of Asio: core/runtime/asio_impl.cpp).
#include <boost/asio/ssl/impl/src.hpp>

namespace mockforge::net {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace beast = boost::beast;

namespace {

// OpenSSL's reasons for the last failure, oldest first.
std::string openssl_errors() {
  std::string out;
  while (const unsigned long code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    if (!out.empty()) out += "; ";
    out += text;
  }
  return out.empty() ? std::string("unknown OpenSSL error") : out;
}

[[noreturn]] void fail(std::string_view what) {
  throw std::runtime_error(fmt::format("{}: {}", what, openssl_errors()));
}

// Why a handshake failed, in OpenSSL's words where it has some.
std::string handshake_failure_reason(const boost::system::error_code& error) {
  if (error.category() == asio::error::get_ssl_category()) {
    const char* reason = ERR_reason_error_string(static_cast<unsigned long>(error.value()));
    if (reason != nullptr) return reason;
  }
  if (error == asio::error::eof || error == ssl::error::stream_truncated)
    return "peer closed the connection during the handshake";
  return error.message();
}

// The subject of the peer's certificate, if it sent one and it was verified.
std::optional<PeerCertificate> verified_peer(SSL* ssl) {
  if (ssl == nullptr) return std::nullopt;
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return std::nullopt;
  PeerCertificate peer;
  X509_NAME* subject = X509_get_subject_name(cert);
  if (const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1); index >= 0) {
    ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
    unsigned char* utf8 = nullptr;
    if (const int length = ASN1_STRING_to_UTF8(&utf8, data); length >= 0) {
      peer.common_name.assign(reinterpret_cast<const char*>(utf8),
                              static_cast<std::size_t>(length));
      OPENSSL_free(utf8);
    }
  }
  if (BIO* out = BIO_new(BIO_s_mem())) {
    if (X509_NAME_print_ex(out, subject, 0, XN_FLAG_RFC2253) >= 0) {
      char* text = nullptr;
      const long length = BIO_get_mem_data(out, &text);
      if (length > 0) peer.distinguished_name.assign(text, static_cast<std::size_t>(length));
    }
    BIO_free(out);
  }
  return peer;
}

}  // namespace

namespace {

std::shared_ptr<TlsContext::Built> build(const TlsSettings& settings) {
  if (settings.cert_file.empty()) throw std::runtime_error("tls.cert_file is required");
  if (settings.key_file.empty()) throw std::runtime_error("tls.key_file is required");
  if (settings.client_auth != TlsSettings::ClientAuth::kNone && settings.ca_file.empty()) {
    throw std::runtime_error("tls.ca_file is required when tls.client_auth is not none");
  }
  ERR_clear_error();
  auto built = std::make_shared<TlsContext::Built>();
  SSL_CTX* ctx = built->context.native_handle();
  // Compression off, no renegotiation by clients, the server's cipher order.
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Idle connections give their read and write buffers back to OpenSSL.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  const int min_version =
      settings.min_version == TlsSettings::MinVersion::kTls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
  if (SSL_CTX_set_min_proto_version(ctx, min_version) != 1) fail("tls.min_version");
  if (!settings.ciphers.empty() && SSL_CTX_set_cipher_list(ctx, settings.ciphers.c_str()) != 1) {
    fail(fmt::format("tls.ciphers \"{}\"", settings.ciphers));
  }
  if (!settings.ciphersuites.empty() &&
      SSL_CTX_set_ciphersuites(ctx, settings.ciphersuites.c_str()) != 1) {
    fail(fmt::format("tls.ciphersuites \"{}\"", settings.ciphersuites));
  }
  if (SSL_CTX_use_certificate_chain_file(ctx, settings.cert_file.c_str()) != 1) {
    fail(fmt::format("tls.cert_file {}", settings.cert_file));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, settings.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    fail(fmt::format("tls.key_file {}", settings.key_file));
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    fail(fmt::format("tls.key_file {} does not match tls.cert_file {}", settings.key_file,
                     settings.cert_file));
  }
  if (!settings.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, settings.ca_file.c_str(), nullptr) != 1) {
      fail(fmt::format("tls.ca_file {}", settings.ca_file));
    }
    // The CAs a client may pick its certificate by.
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(settings.ca_file.c_str())) {
      SSL_CTX_set_client_CA_list(ctx, names);
    }
  }
  switch (settings.client_auth) {
    case TlsSettings::ClientAuth::kNone:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
      break;
    case TlsSettings::ClientAuth::kOptional:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
      break;
    case TlsSettings::ClientAuth::kRequired:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      break;
  }
  // No session cache across reloads is needed; a small one helps reconnects.
  SSL_CTX_set_session_id_context(ctx, reinterpret_cast<const unsigned char*>("mockforge"), 9);
  return built;
}

// Counts and logs the end of a handshake. `ssl` (when given) says whether
// OpenSSL finished it despite `error`: a TLS 1.3 server sends its session
// tickets after it has verified the client's Finished, and Asio reports the
// socket error of that last write as the handshake's. A client that closes
// right after its Finished, with a reset (openssl s_time, probes), makes that
// write fail: the handshake was done, the peer just left. It counts as a
// handshake, and the connection ends as any reset one does (not logged).
void note_handshake(TlsCounters& counters, const boost::system::error_code& error,
                    const std::string& peer, SSL* ssl = nullptr) {
  if (!error || (ssl != nullptr && SSL_is_init_finished(ssl) == 1)) {
    counters.handshakes.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (error == asio::error::operation_aborted) return;  // closed by us (shutdown, timeout)
  counters.handshake_failures.fetch_add(1, std::memory_order_relaxed);
  log::get("tls")->warn("TLS handshake with {} failed: {}", peer, handshake_failure_reason(error));
}

// TLS over TCP. The stream keeps Asio's two 17 KiB record buffers and
// OpenSSL's state for as long as the connection is open (see README.md).
class TlsTransport final : public Transport {
 public:
  TlsTransport(Socket socket, std::shared_ptr<TlsContext::Built> built,
               std::shared_ptr<TlsCounters> counters)
      : built_(std::move(built)),
        counters_(std::move(counters)),
        stream_(std::move(socket), built_->context) {}

  Executor executor() const override { return stream_.next_layer().get_executor(); }

  void async_handshake(HandshakeCompletion done) override {
    // The peer's address now, for the log: a reset socket no longer has one.
    stream_.async_handshake(ssl::stream_base::server,
                            [this, peer = remote_address(),
                             done = std::move(done)](const boost::system::error_code& error) {
                              note_handshake(*counters_, error, peer, stream_.native_handle());
                              done(error);
                            });
  }
  bool has_handshake() const override { return true; }

  // OpenSSL and Asio may hold decrypted or undecrypted bytes the socket no
  // longer shows, so reading is always attempted.
  void async_wait_readable(ReadableCompletion done) override {
    asio::post(executor(),
               asio::bind_allocator(done.get_allocator(), [done = std::move(done)] { done({}); }));
  }
  // A TLS read yields one record; a client that writes one small frame per
  // record (libmosquitto, rabbitmq-c) would then cost a read operation per
  // frame. The records that came in with it wait in OpenSSL's memory BIO, so
  // they are read at once, without a socket call.
  void async_read_some(asio::mutable_buffer into, ReadCompletion done) override {
    auto allocator = done.get_allocator();
    stream_.async_read_some(
        into, asio::bind_allocator(allocator,
                                   [this, into, done = std::move(done)](
                                       const boost::system::error_code& error, std::size_t bytes) {
                                     if (!error) bytes += read_buffered(into + bytes);
                                     done(error, bytes);
                                   }));
  }
  void async_write(asio::const_buffer bytes, WrittenCompletion done) override {
    asio::async_write(stream_, bytes, std::move(done));
  }

  // Sends close_notify and waits (at most kShutdownTimeout) for the peer's,
  // then closes the socket.
  void async_graceful_close(ClosedCompletion done) override {
    auto timer = std::make_shared<asio::steady_timer>(executor());
    timer->expires_after(kShutdownTimeout);
    timer->async_wait([this, timer](const boost::system::error_code& error) {
      if (error) return;
      boost::system::error_code ignored;
      stream_.next_layer().cancel(ignored);
    });
    stream_.async_shutdown([this, timer, done = std::move(done)](const boost::system::error_code&) {
      timer->cancel();
      close();
      done({});
    });
  }

  void close() override {
    boost::system::error_code ignored;
    stream_.next_layer().close(ignored);
  }
  std::string remote_address() const override { return format_endpoint(stream_.next_layer()); }
  std::optional<PeerCertificate> peer_certificate() const override {
    return verified_peer(stream_.native_handle());
  }
  bool is_tls() const override { return true; }
  bool is_orderly_close(const boost::system::error_code& error) const override {
    // A peer that closes without close_notify: as common as a TCP close.
    return error == ssl::error::stream_truncated || Transport::is_orderly_close(error);
  }

 private:
  static constexpr auto kShutdownTimeout = std::chrono::seconds(2);

  // Decrypts what OpenSSL already holds into `into`; stops at the first
  // record not complete in memory (SSL_read wants more input: no blocking,
  // as the BIO is a memory one) or at an error, which the next read through
  // Asio reports.
  std::size_t read_buffered(asio::mutable_buffer into) {
    SSL* ssl = stream_.native_handle();
    std::size_t total = 0;
    while (into.size() > 0) {
      const int n =
          SSL_read(ssl, into.data(),
                   static_cast<int>(std::min<std::size_t>(into.size(), std::size_t{1} << 30)));
      if (n <= 0) break;
      total += static_cast<std::size_t>(n);
      into += static_cast<std::size_t>(n);
    }
    return total;
  }

  std::shared_ptr<TlsContext::Built> built_;  // the SSL_CTX the stream's SSL uses
  std::shared_ptr<TlsCounters> counters_;
  mutable ssl::stream<Socket> stream_;  // mutable: get_executor() is not const
};

using TlsWebSocketStream = ssl::stream<beast::tcp_stream>;

// What a wss:// transport keeps of its TLS context.
struct TlsLayer {
  std::shared_ptr<TlsContext::Built> built;  // the SSL_CTX the stream's SSL uses
  std::shared_ptr<TlsCounters> counters;

  std::optional<PeerCertificate> peer_certificate(TlsWebSocketStream& stream) const {
    return verified_peer(stream.native_handle());
  }
};

// The TLS handshake under a wss:// upgrade.
asio::awaitable<void> server_layer_handshake(TlsWebSocketStream& stream, TlsLayer& layer,
                                             const Transport& transport) {
  const std::string peer = transport.remote_address();
  boost::system::error_code error;
  co_await stream.async_handshake(ssl::stream_base::server,
                                  asio::redirect_error(asio::use_awaitable, error));
  note_handshake(*layer.counters, error, peer, stream.native_handle());
  if (error) throw boost::system::system_error(error);
}

}  // namespace

}  // namespace mockforge::net

#include "core/net/websocket_transport_impl.h"

namespace mockforge::net {

template class BasicWebSocketTransport<TlsWebSocketStream, TlsLayer>;
using TlsWebSocketTransport = BasicWebSocketTransport<TlsWebSocketStream, TlsLayer>;

TlsContext::TlsContext(TlsSettings settings)
    : settings_(std::move(settings)),
      counters_(std::make_shared<TlsCounters>()),
      current_(build(settings_)) {}

TlsContext::~TlsContext() = default;

void TlsContext::reload() {
  auto rebuilt = build(settings_);
  std::lock_guard lock(mutex_);
  current_ = std::move(rebuilt);
}

std::shared_ptr<TlsContext::Built> TlsContext::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

void TlsContext::note_handshake(const boost::system::error_code& error, const std::string& peer,
                                ssl_st* ssl) const {
  net::note_handshake(*counters_, error, peer, ssl);
}

std::unique_ptr<Transport> TlsContext::make_transport(Socket socket,
                                                      const WebSocketOptions* websocket) const {
  std::shared_ptr<Built> built;
  {
    std::lock_guard lock(mutex_);
    built = current_;
  }
  if (websocket) {
    const Executor executor = socket.get_executor();
    ssl::context& context = built->context;
    return std::make_unique<TlsWebSocketTransport>(
        executor, *websocket, TlsLayer{std::move(built), counters_},
        asio::ip::tcp::socket(std::move(socket)), context);
  }
  return std::make_unique<TlsTransport>(std::move(socket), std::move(built), counters_);
}

}  // namespace mockforge::net
