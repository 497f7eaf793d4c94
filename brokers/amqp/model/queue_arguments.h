// RabbitMQ queue arguments (x-...) turned into storage queue options.
#pragma once

#include "brokers/amqp/codec/field_table.h"
#include "brokers/amqp/model/vhost.h"
#include "core/storage/queue.h"

namespace mockforge::amqp {

// Supported: x-message-ttl, x-max-length, x-max-length-bytes, x-overflow
// (drop-head, reject-publish), x-max-priority, x-queue-type "classic".
// Arguments RabbitMQ defines that are not implemented yet are refused with
// 540 NOT_IMPLEMENTED; invalid values with 406 PRECONDITION_FAILED. Other
// names are ignored, as RabbitMQ does.
// `resource` names the queue in reply texts: "queue 'q' in vhost '/'".
ModelResult<storage::QueueOptions> queue_options_from_arguments(const FieldTable& arguments,
                                                                std::string_view resource);

// 406 for a wrong type or value, as RabbitMQ: the dead-letter exchange and
// routing key must be strings and a routing key needs an exchange; x-expires
// a positive integer; x-single-active-consumer a boolean.
ModelResult<QueuePolicy> queue_policy_from_arguments(const FieldTable& arguments,
                                                     std::string_view resource);

// An integer field value of any integer type, if it holds one.
std::optional<int64_t> field_integer(const FieldValue& value);

}  // namespace mockforge::amqp
