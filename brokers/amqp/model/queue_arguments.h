// RabbitMQ queue arguments (x-...) turned into storage queue options and the
// broker's queue policy, checked as RabbitMQ 3.10 checks them.
#pragma once

#include <optional>
#include <string_view>

#include "brokers/amqp/codec/field_table.h"
#include "brokers/amqp/model/vhost.h"
#include "core/storage/queue.h"

namespace mockforge::amqp {

// Every argument RabbitMQ defines is checked twice: its value (406
// PRECONDITION_FAILED "invalid arg 'x-...' for queue 'q' in vhost '/': why"),
// then whether the queue type takes it (406 "... of queue type
// rabbit_classic_queue"). Classic queues take x-expires, x-message-ttl,
// x-dead-letter-exchange/-routing-key, x-max-length(-bytes), x-max-priority,
// x-overflow, x-queue-mode, x-queue-version, x-queue-master-locator,
// x-single-active-consumer; quorum queues (x-queue-type quorum) take
// x-expires, x-message-ttl, the dead-letter ones and x-dead-letter-strategy,
// x-max-length(-bytes), x-max-in-memory-length/-bytes, x-overflow,
// x-delivery-limit, x-quorum-initial-group-size, x-queue-leader-locator,
// x-single-active-consumer. Stream queues are refused with 540
// NOT_IMPLEMENTED. Names RabbitMQ does not define are ignored, as it does.
// Arguments about where a queue's replicas or pages live (modes, versions,
// locators, group sizes, in-memory limits) have nothing to act on in one
// process that keeps everything in memory: they are checked and kept (and
// compared on redeclare) only.
// `resource` names the queue in reply texts: "queue 'q' in vhost '/'".
ModelResult<storage::QueueOptions> queue_options_from_arguments(const FieldTable& arguments,
                                                                std::string_view resource);

// The broker's side of the arguments: dead-lettering, x-expires, single
// active consumer, the queue type and what it changes (delivery limit,
// requeue place, reject-publish-dlx). 406 for a wrong type or value, as
// RabbitMQ: the dead-letter exchange and routing key must be strings and a
// routing key needs an exchange; x-expires a positive integer;
// x-single-active-consumer a boolean. Call after queue_options_from_arguments
// accepted the same arguments.
ModelResult<QueuePolicy> queue_policy_from_arguments(const FieldTable& arguments,
                                                     std::string_view resource);

// 406 when the declaration's flags do not suit its queue type: a quorum
// queue must be durable, and neither exclusive nor auto-delete.
std::optional<ModelError> queue_flags_error(const QueueDefinition& definition,
                                            std::string_view resource);

// 406 for a server-named queue of a type that cannot have one (quorum and
// stream queues), as RabbitMQ answers before anything else of the declare.
std::optional<ModelError> server_named_queue_error(const FieldTable& arguments);

// An integer field value of any integer type, if it holds one.
std::optional<int64_t> field_integer(const FieldValue& value);

}  // namespace mockforge::amqp
