#pragma once

// Forward declarations of the process-wide objects that brokers, fixtures and
// the server assembly pass around by reference, so their headers need not
// pull in Asio or the full definitions.

namespace boost::asio {
class io_context;
}
namespace mockforge::config {
struct Config;
}
namespace mockforge::storage {
class Engine;
}
namespace mockforge::metrics {
class Registry;
}
namespace mockforge::admin {
class HttpServer;
}
namespace mockforge::traffic {
class Hub;
}
namespace mockforge::faults {
class FaultSet;
}
namespace mockforge::net {
class TlsContext;
}
