// Boost.Asio and Boost.Beast are built in separate-compilation mode: their
// implementation is compiled once, here, instead of in every translation unit.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
