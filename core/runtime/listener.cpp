#include "core/runtime/listener.h"

#include <fmt/format.h>
#include <unistd.h>

#include <boost/asio/steady_timer.hpp>

#include "core/log/logging.h"
#include "core/runtime/context_pool.h"

namespace mockforge::runtime {

namespace asio = boost::asio;
using asio::ip::tcp;

struct TcpListener::Acceptor {
  explicit Acceptor(asio::io_context& io) : acceptor(io) {}
  tcp::acceptor acceptor;
  bool open = true;
};

namespace {

// The same connected socket, registered with another io_context's reactor.
Socket move_to(Socket socket, asio::io_context& io, boost::system::error_code& ec) {
  const auto endpoint = socket.local_endpoint(ec);
  if (ec) return socket;
  const auto handle = socket.release(ec);
  if (ec) return socket;
  Socket moved(io);
  moved.assign(endpoint.protocol(), handle, ec);
  if (ec) ::close(handle);
  return moved;
}

bool is_missing_ipv6(const std::string& address, const boost::system::error_code& ec) {
  return address.find(':') != std::string::npos &&
         (ec == asio::error::address_family_not_supported ||
          ec == boost::system::errc::address_not_available);
}

}  // namespace

TcpListener::TcpListener(asio::io_context& io, std::string service,
                         const std::vector<std::string>& addresses, uint16_t port,
                         AcceptHandler on_accept)
    : io_(io),
      pool_(ContextPool::of(io)),
      service_(std::move(service)),
      on_accept_(std::move(on_accept)) {
  if (addresses.empty()) throw ListenError(fmt::format("{}: no bind address given", service_));
  // With port 0 another process may take our ephemeral port on the second
  // address between the two binds: retry a few times with a fresh port.
  constexpr int kAttempts = 8;
  for (int attempt = 1;; ++attempt) {
    try {
      bind_all(addresses, port);
      return;
    } catch (const ListenError&) {
      acceptors_.clear();
      if (port != 0 || attempt == kAttempts) throw;
    }
  }
}

TcpListener::~TcpListener() {
  // The runtime's threads are gone by now (see listener.h), so the sockets
  // can be closed here directly. A pending accept handler may still hold an
  // Acceptor inside the stopped io_context; closing releases the port anyway.
  for (const auto& acceptor : acceptors_) {
    boost::system::error_code ignored;
    acceptor->acceptor.close(ignored);
  }
}

void TcpListener::bind_all(const std::vector<std::string>& addresses, uint16_t port) {
  uint16_t chosen = port;
  for (const auto& address : addresses) {
    boost::system::error_code ec;
    const auto ip = asio::ip::make_address(address, ec);
    if (ec) {
      throw ListenError(fmt::format("{}: invalid bind address '{}'", service_, address));
    }
    const tcp::endpoint endpoint(ip, chosen);
    auto acceptor = std::make_shared<Acceptor>(io_);
    acceptor->acceptor.open(endpoint.protocol(), ec);
    if (!ec && ip.is_v6()) acceptor->acceptor.set_option(asio::ip::v6_only(true), ec);
    if (!ec) acceptor->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor->acceptor.bind(endpoint, ec);
    if (!ec) acceptor->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      if (is_missing_ipv6(address, ec) && addresses.size() > 1) {
        log::get("runtime")->warn("{}: IPv6 address {} not available here, skipping it", service_,
                                  address);
        continue;
      }
      throw ListenError(fmt::format("{}: cannot listen on {}:{}: {}", service_,
                                    ip.is_v6() ? "[" + address + "]" : address, chosen,
                                    ec.message()));
    }
    chosen = acceptor->acceptor.local_endpoint().port();
    acceptors_.push_back(std::move(acceptor));
  }
  if (acceptors_.empty()) {
    throw ListenError(fmt::format("{}: no usable bind address", service_));
  }
  port_ = chosen;
}

std::vector<std::string> TcpListener::endpoints() const {
  std::vector<std::string> out;
  for (const auto& a : acceptors_) {
    boost::system::error_code ec;
    const auto ep = a->acceptor.local_endpoint(ec);
    if (ec) continue;
    const auto addr = ep.address().to_string();
    out.push_back(ep.address().is_v6() ? fmt::format("[{}]:{}", addr, ep.port())
                                       : fmt::format("{}:{}", addr, ep.port()));
  }
  return out;
}

void TcpListener::start() {
  for (const auto& acceptor : acceptors_) accept_next(acceptor);
}

void TcpListener::accept_next(const std::shared_ptr<Acceptor>& acceptor) {
  acceptor->acceptor.async_accept(
      io_, [this, acceptor](boost::system::error_code ec, Socket socket) {
        if (ec == asio::error::operation_aborted || !acceptor->acceptor.is_open()) return;
        if (!ec && pool_) {
          // Placed now, by how busy the threads are now (context_pool.h).
          asio::io_context& peer = pool_->next();
          boost::system::error_code move_error;
          if (&peer != &io_) socket = move_to(std::move(socket), peer, move_error);
          if (move_error) {
            log::get("runtime")->warn("{}: could not hand a connection to its thread: {}", service_,
                                      move_error.message());
            accept_next(acceptor);
            return;
          }
        }
        if (!ec) {
          boost::system::error_code ignored;
          socket.set_option(tcp::no_delay(true), ignored);
          on_accept_(std::move(socket));
        } else {
          // Out of descriptors and the like: log, and try again shortly rather
          // than spinning on the same error.
          log::get("runtime")->warn("{}: accept failed: {}", service_, ec.message());
          auto retry = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(50));
          retry->async_wait([this, acceptor, retry](boost::system::error_code) {
            if (acceptor->acceptor.is_open()) accept_next(acceptor);
          });
          return;
        }
        accept_next(acceptor);
      });
}

void TcpListener::close() {
  for (const auto& acceptor : acceptors_) {
    // Closing must happen on the context's threads or before they run; asio
    // acceptors are not thread-safe, so post the close.
    asio::post(acceptor->acceptor.get_executor(), [acceptor] {
      boost::system::error_code ignored;
      acceptor->acceptor.close(ignored);
    });
  }
}

}  // namespace mockforge::runtime
