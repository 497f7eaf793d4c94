#pragma once

// TlsContext::Built: the Asio SSL context of a TlsContext, for the code that
// runs TLS streams itself (core/net/tls.cpp, the admin port's HTTPS in
// core/admin). Includes Asio SSL, so only those include it; Asio SSL is
// compiled once, in tls.cpp.

#include <boost/asio/ssl/context.hpp>

#include "core/net/tls.h"

namespace mockforge::net {

struct TlsContext::Built {
  boost::asio::ssl::context context{boost::asio::ssl::context::tls_server};
};

}  // namespace mockforge::net
