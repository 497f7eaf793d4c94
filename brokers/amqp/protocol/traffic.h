// The AMQP broker on the traffic seam (core/traffic/hub.h). The endpoint
// publishes as basic.publish does without mandatory: routed through the
// exchange (and its exchange-to-exchange bindings and alternate exchange)
// into the queues, where consumers are woken, with TTLs, length limits and
// dead-lettering; a direct reply-to key reaches the requester. It declares
// exchanges, queues and bindings as their methods would from a connection
// that owns nothing, and declares them again after a reset (taking over the
// storage queues the reset restored), so what the seam declared is part of
// the state reset returns to.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/traffic/hub.h"

namespace mockforge::amqp {

class BrokerState;

// An accepted publish as the observers see it. `properties` is the encoded
// content header payload.
traffic::Message to_traffic(const std::string& exchange, const std::string& routing_key,
                            const std::string& properties, const std::string& body,
                            const std::string& vhost, const std::string& client_id);

// Why an exchange or a queue that does not exist yet could not be declared
// as `resource` defines it, or "" (other kinds: ""), with the texts a
// declare gives: the exchange's type, name and alternate-exchange argument,
// the queue's name, its arguments for its type and its flags. Needs no
// broker, so `mockforge fixtures validate` asks it too.
std::string check_new_declaration(const traffic::Resource& resource);

// Why a binding from an exchange of type `source_type` could not have its
// arguments, or "": a headers exchange refuses an x-match other than all,
// any, all-with-x or any-with-x (406, as queue.bind and exchange.bind say).
// With `source_type` empty, the predeclared amq.* exchanges are known by
// name and others are not checked.
std::string check_binding_arguments(const traffic::Resource& binding,
                                    const std::string& source_type);

class TrafficEndpoint : public traffic::Endpoint {
 public:
  explicit TrafficEndpoint(BrokerState& broker) : broker_(broker) {}

  traffic::PublishResult publish(std::span<const traffic::Message> messages) override;
  std::string declare(const traffic::Resource& resource) override;
  // An existing exchange or queue is declared again (which changes nothing
  // when equivalent, and is refused when not); a new one is only checked.
  std::string check(const traffic::Resource& resource) override;
  // After the vhosts were reset: declares everything declared so far again.
  void redeclare();

 private:
  // With `dry_run`, what check() does.
  std::string apply(const traffic::Resource& resource, bool dry_run = false);
  std::string publish_one(const traffic::Message& message);

  BrokerState& broker_;
  std::mutex mutex_;
  std::vector<traffic::Resource> declared_;  // in order, each once
};

}  // namespace mockforge::amqp
