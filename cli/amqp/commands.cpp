#include "cli/amqp/commands.h"

#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "brokers/amqp/codec/json.h"
#include "cli/amqp/client.h"
#include "cli/net/admin_client.h"
#include "cli/net/http.h"
#include "cli/net/payload.h"
#include "cli/net/tls_flags.h"
#include "cli/run_command.h"

namespace mockforge::cli {
namespace {

using Clock = std::chrono::steady_clock;
namespace codec = ::mockforge::amqp;
using cli::amqp::AmqpError;

struct Common {
  std::string url = "amqp://guest:guest@localhost:5672/";
  double timeout = 10;
  cli::net::TlsOptions tls;  // also on with an amqps:// URL
};

void add_common(CLI::App& command, Common& common) {
  command.add_option("--url", common.url, "amqp://user:pass@host:port/vhost (amqps:// for TLS)")
      ->capture_default_str();
  cli::net::add_tls_flags(command, common.tls);
  command
      .add_option("--timeout", common.timeout,
                  "Seconds to wait for the broker's replies (connect, declare, confirms)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

std::chrono::milliseconds seconds_to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

cli::amqp::Client connect(const Common& common) {
  return cli::amqp::Client::connect(cli::amqp::parse_url(common.url), seconds_to_ms(common.timeout),
                                    common.tls);
}

// Integers become signed 64-bit ('l', what RabbitMQ expects for x-max-length,
// x-message-ttl...), true/false booleans, anything else a long string.
codec::FieldValue typed_value(const std::string& text) {
  if (text == "true") return true;
  if (text == "false") return false;
  if (!text.empty()) {
    std::size_t start = text[0] == '-' ? 1 : 0;
    bool digits = text.size() > start && text.size() - start <= 18;
    for (std::size_t i = start; i < text.size() && digits; ++i) {
      digits = text[i] >= '0' && text[i] <= '9';
    }
    if (digits) return static_cast<std::int64_t>(std::stoll(text));
  }
  return text;
}

codec::FieldTable typed_table(const std::vector<std::string>& pairs, std::string_view flag) {
  codec::FieldTable table;
  for (const auto& text : pairs) {
    auto [key, value] = net::split_key_value(text, flag);
    table.set(key, typed_value(value));
  }
  return table;
}

// Byte arrays and strings that are not UTF-8 as base64.
const codec::JsonBytes kJsonBytes{
    [](std::string_view text) {
      return net::is_utf8(text) ? nlohmann::json(std::string(text))
                                : nlohmann::json(net::base64_encode(text));
    },
    [](std::string_view bytes) { return nlohmann::json(net::base64_encode(bytes)); }};

nlohmann::json properties_json(const codec::BasicProperties& p) {
  return codec::basic_properties_json(p, kJsonBytes);
}

std::uint8_t small_number(const std::string& key, const std::string& value) {
  auto typed = typed_value(value);
  const auto* number = typed.get_if<std::int64_t>();
  if (number == nullptr || *number < 0 || *number > 255) {
    throw std::runtime_error("--property " + key + " expects a number 0-255, got '" + value + "'");
  }
  return static_cast<std::uint8_t>(*number);
}

void set_property(codec::BasicProperties& p, std::string key, const std::string& value) {
  for (auto& c : key) {
    if (c == '-') c = '_';
  }
  if (key == "content_type") {
    p.content_type = value;
  } else if (key == "content_encoding") {
    p.content_encoding = value;
  } else if (key == "delivery_mode") {
    p.delivery_mode = small_number(key, value);
  } else if (key == "priority") {
    p.priority = small_number(key, value);
  } else if (key == "correlation_id") {
    p.correlation_id = value;
  } else if (key == "reply_to") {
    p.reply_to = value;
  } else if (key == "expiration") {
    p.expiration = value;
  } else if (key == "message_id") {
    p.message_id = value;
  } else if (key == "timestamp") {
    auto typed = typed_value(value);
    const auto* number = typed.get_if<std::int64_t>();
    if (number == nullptr || *number < 0) {
      throw std::runtime_error("--property timestamp expects seconds since the epoch");
    }
    p.timestamp = static_cast<std::uint64_t>(*number);
  } else if (key == "type") {
    p.type = value;
  } else if (key == "user_id") {
    p.user_id = value;
  } else if (key == "app_id") {
    p.app_id = value;
  } else {
    throw std::runtime_error(
        "unknown --property '" + key +
        "' (known: content_type, content_encoding, delivery_mode, priority, correlation_id, "
        "reply_to, expiration, message_id, timestamp, type, user_id, app_id)");
  }
}

struct Delivery {
  std::string exchange;
  std::string routing_key;
  bool redelivered = false;
  std::uint64_t delivery_tag = 0;
  std::optional<std::uint32_t> message_count;
  codec::BasicProperties properties;
  std::string body;
};

void print_delivery(const Delivery& d, const std::string& format) {
  if (format == "json") {
    nlohmann::json out;
    out["exchange"] = d.exchange;
    out["routing_key"] = d.routing_key;
    out["redelivered"] = d.redelivered;
    out["delivery_tag"] = d.delivery_tag;
    if (d.message_count) out["message_count"] = *d.message_count;
    out["properties"] = properties_json(d.properties);
    net::put_bytes(out, "body", d.body);
    // Short strings (exchange, routing key, properties) are bytes on the wire.
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  } else {
    std::cout << d.body << std::endl;
  }
}

// ---- listings through mockforge's admin API -------------------------------------------------

struct AdminFlags {
  net::AdminApi api;
  std::string vhost = "/";
  std::string queue;
  std::string format = "text";
};

void add_admin_options(CLI::App& command, AdminFlags& flags) {
  net::add_admin_api_options(command, flags.api);
  command.add_option("--vhost", flags.vhost, "Virtual host")->capture_default_str();
  command.add_option("--format", flags.format, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  command.add_option("--timeout", flags.api.timeout, "Seconds to wait for the admin API")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

constexpr const char* kNoManagementHint =
    "these listings read mockforge's admin API (mockforge serve, admin port 9080 by default); "
    "a RabbitMQ broker answers them only through rabbitmqctl or its management plugin";

nlohmann::json admin_get(const AdminFlags& flags, const std::string& target,
                         const std::string& key) {
  auto rows = net::admin_get(flags.api, target, key, kNoManagementHint);
  if (!rows.is_array()) {
    throw std::runtime_error(flags.api.url + " is not mockforge's admin API (GET " + target +
                             ": no list '" + key + "'; " + kNoManagementHint + ")");
  }
  return rows;
}

std::string cell(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Tab-separated with a header line, as rabbitmqctl prints its lists.
void print_rows(
    const nlohmann::json& rows, const std::vector<std::string>& columns,
    const std::function<nlohmann::json(const nlohmann::json&, const std::string&)>& value) {
  for (std::size_t i = 0; i < columns.size(); ++i) std::cout << (i ? "\t" : "") << columns[i];
  std::cout << "\n";
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < columns.size(); ++i) {
      std::cout << (i ? "\t" : "") << cell(value(row, columns[i]));
    }
    std::cout << "\n";
  }
}

int queue_list_command(const AdminFlags& flags) {
  auto queues = admin_get(
      flags, "/__mockforge/api/amqp/queues?vhost=" + net::url_encode(flags.vhost), "queues");
  if (flags.format == "json") {
    std::cout << queues.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return 0;
  }
  print_rows(queues,
             {"name", "messages_ready", "messages_unacked", "consumers", "durable", "auto_delete",
              "exclusive", "arguments"},
             [](const nlohmann::json& row, const std::string& column) {
               return row.value(column, nlohmann::json());
             });
  return 0;
}

int bindings_list_command(const AdminFlags& flags) {
  auto bindings = admin_get(flags,
                            "/__mockforge/api/amqp/bindings?queue=" + net::url_encode(flags.queue) +
                                "&vhost=" + net::url_encode(flags.vhost),
                            "bindings");
  if (flags.format == "json") {
    std::cout << bindings.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return 0;
  }
  print_rows(bindings,
             {"source_name", "source_kind", "destination_name", "destination_kind", "routing_key",
              "arguments"},
             [](const nlohmann::json& row, const std::string& column) -> nlohmann::json {
               if (column == "source_name") return row.value("source", "");
               if (column == "source_kind") return "exchange";
               if (column == "destination_name") return row.value("destination", "");
               if (column == "destination_kind") return row.value("destination_type", "queue");
               return row.value(column, nlohmann::json());
             });
  return 0;
}

// ---- exchange / queue management ----------------------------------------------------------

struct ExchangeFlags {
  Common common;
  std::string name;
  std::string type = "direct";
  bool durable = false;
};

struct QueueFlags {
  Common common;
  std::string name;
  bool durable = false;
  std::vector<std::string> args;
};

struct BindFlags {
  Common common;
  std::string exchange;
  std::string queue;
  std::string routing_key;
};

void add_management(CLI::App& amqp, int& exit_code) {
  auto* exchange = amqp.add_subcommand("exchange", "Declare or delete exchanges");
  exchange->require_subcommand(1);
  {
    auto flags = std::make_shared<ExchangeFlags>();
    auto* declare = exchange->add_subcommand("declare", "exchange.declare");
    add_common(*declare, flags->common);
    declare->add_option("--name", flags->name, "Exchange name")->required();
    declare->add_option("--type", flags->type, "direct, fanout, topic, headers...")
        ->capture_default_str();
    declare->add_flag("--durable", flags->durable, "Survive a broker restart");
    declare->callback([flags, &exit_code] {
      run_command(exit_code, "mockforge amqp", [&] {
        auto client = connect(flags->common);
        codec::ExchangeDeclare method;
        method.exchange = flags->name;
        method.type = flags->type;
        method.durable = flags->durable;
        client.call<codec::ExchangeDeclareOk>(method);
        client.close();
        return 0;
      });
    });
  }
  {
    auto flags = std::make_shared<ExchangeFlags>();
    auto* remove = exchange->add_subcommand("delete", "exchange.delete");
    add_common(*remove, flags->common);
    remove->add_option("--name", flags->name, "Exchange name")->required();
    remove->callback([flags, &exit_code] {
      run_command(exit_code, "mockforge amqp", [&] {
        auto client = connect(flags->common);
        codec::ExchangeDelete method;
        method.exchange = flags->name;
        client.call<codec::ExchangeDeleteOk>(method);
        client.close();
        return 0;
      });
    });
  }

  auto* queue = amqp.add_subcommand("queue", "Declare, delete, purge, bind and unbind queues");
  queue->require_subcommand(1);
  {
    auto flags = std::make_shared<QueueFlags>();
    auto* declare = queue->add_subcommand(
        "declare",
        "queue.declare; prints 'name messages consumers' (an empty --name asks the "
        "broker for a name)");
    add_common(*declare, flags->common);
    declare->add_option("--name", flags->name, "Queue name")->required();
    declare->add_flag("--durable", flags->durable, "Survive a broker restart");
    declare->add_option("--arg", flags->args,
                        "Queue argument key=value (repeatable); integers are sent as signed "
                        "64-bit, true/false as booleans, the rest as strings");
    declare->callback([flags, &exit_code] {
      run_command(exit_code, "mockforge amqp", [&] {
        codec::QueueDeclare method;
        method.queue = flags->name;
        method.durable = flags->durable;
        method.arguments = typed_table(flags->args, "--arg");
        auto client = connect(flags->common);
        auto ok = client.call<codec::QueueDeclareOk>(method);
        client.close();
        std::cout << ok.queue << " " << ok.message_count << " " << ok.consumer_count << "\n";
        return 0;
      });
    });
  }
  {
    auto flags = std::make_shared<QueueFlags>();
    auto* remove = queue->add_subcommand("delete", "queue.delete; prints the messages deleted");
    add_common(*remove, flags->common);
    remove->add_option("--name", flags->name, "Queue name")->required();
    remove->callback([flags, &exit_code] {
      run_command(exit_code, "mockforge amqp", [&] {
        auto client = connect(flags->common);
        codec::QueueDelete method;
        method.queue = flags->name;
        auto ok = client.call<codec::QueueDeleteOk>(method);
        client.close();
        std::cout << ok.message_count << "\n";
        return 0;
      });
    });
  }
  {
    auto flags = std::make_shared<QueueFlags>();
    auto* purge = queue->add_subcommand("purge", "queue.purge; prints the messages purged");
    add_common(*purge, flags->common);
    purge->add_option("--name", flags->name, "Queue name")->required();
    purge->callback([flags, &exit_code] {
      run_command(exit_code, "mockforge amqp", [&] {
        auto client = connect(flags->common);
        codec::QueuePurge method;
        method.queue = flags->name;
        auto ok = client.call<codec::QueuePurgeOk>(method);
        client.close();
        std::cout << ok.message_count << "\n";
        return 0;
      });
    });
  }
  {
    auto flags = std::make_shared<AdminFlags>();
    auto* list = queue->add_subcommand(
        "list", "List queues with their counts (reads mockforge's admin API, not AMQP)");
    add_admin_options(*list, *flags);
    list->callback([flags, &exit_code] {
      run_command(exit_code, "mockforge amqp", [&] { return queue_list_command(*flags); });
    });
  }
  for (bool bind : {true, false}) {
    auto flags = std::make_shared<BindFlags>();
    auto* command =
        queue->add_subcommand(bind ? "bind" : "unbind", bind ? "queue.bind" : "queue.unbind");
    add_common(*command, flags->common);
    command->add_option("--exchange", flags->exchange, "Exchange name")->required();
    command->add_option("--queue", flags->queue, "Queue name")->required();
    command->add_option("--routing-key", flags->routing_key, "Binding key");
    command->callback([flags, bind, &exit_code] {
      run_command(exit_code, "mockforge amqp", [&] {
        auto client = connect(flags->common);
        if (bind) {
          codec::QueueBind method;
          method.queue = flags->queue;
          method.exchange = flags->exchange;
          method.routing_key = flags->routing_key;
          client.call<codec::QueueBindOk>(method);
        } else {
          codec::QueueUnbind method;
          method.queue = flags->queue;
          method.exchange = flags->exchange;
          method.routing_key = flags->routing_key;
          client.call<codec::QueueUnbindOk>(method);
        }
        client.close();
        return 0;
      });
    });
  }
}

// ---- publish -------------------------------------------------------------------------------

struct PublishFlags {
  Common common;
  std::string exchange;
  std::string routing_key;
  std::string body;
  std::string file;
  std::vector<std::string> headers;
  std::vector<std::string> properties;
  bool confirm = false;
  bool mandatory = false;
};

std::string returned_text(const codec::Command& command) {
  const auto& r = std::get<codec::BasicReturn>(command.method);
  return "returned: " + cli::amqp::describe_close(r.reply_code, r.reply_text, 0, 0) +
         " (exchange '" + r.exchange + "', routing key '" + r.routing_key + "')";
}

int publish_command(const CLI::App& command, const PublishFlags& flags) {
  std::vector<std::string> bodies;
  if (command.count("--body") > 0) {
    bodies.push_back(flags.body);
  } else if (command.count("--file") > 0) {
    bodies.push_back(net::read_file(flags.file));
  } else {
    bodies = net::read_lines(std::cin);
  }
  codec::BasicProperties properties;
  for (const auto& text : flags.properties) {
    auto [key, value] = net::split_key_value(text, "--property");
    set_property(properties, key, value);
  }
  if (!flags.headers.empty()) properties.headers = typed_table(flags.headers, "--header");

  auto client = connect(flags.common);
  if (flags.confirm) client.call<codec::ConfirmSelectOk>(codec::ConfirmSelect{});
  codec::BasicPublish publish;
  publish.exchange = flags.exchange;
  publish.routing_key = flags.routing_key;
  publish.mandatory = flags.mandatory;
  for (const auto& body : bodies) client.publish(publish, properties, body);

  int problems = 0;
  auto handle_async = [&](const codec::Command& async, std::set<std::uint64_t>& unconfirmed) {
    if (std::holds_alternative<codec::BasicReturn>(async.method)) {
      std::cerr << "mockforge amqp: " << returned_text(async) << "\n";
      ++problems;
      return;
    }
    auto settle = [&](std::uint64_t tag, bool multiple, bool ack) {
      auto end = multiple ? unconfirmed.upper_bound(tag) : unconfirmed.find(tag);
      if (!multiple && end == unconfirmed.end()) return;
      auto first = multiple ? unconfirmed.begin() : end;
      auto last = multiple ? end : std::next(end);
      for (auto it = first; it != last; ++it) {
        if (!ack) {
          std::cerr << "mockforge amqp: message " << *it << " nacked by the broker\n";
          ++problems;
        }
      }
      unconfirmed.erase(first, last);
    };
    if (const auto* ack = std::get_if<codec::BasicAck>(&async.method)) {
      settle(ack->delivery_tag, ack->multiple, true);
    } else if (const auto* nack = std::get_if<codec::BasicNack>(&async.method)) {
      settle(nack->delivery_tag, nack->multiple, false);
    }
  };

  std::set<std::uint64_t> unconfirmed;
  if (flags.confirm) {
    for (std::uint64_t tag = 1; tag <= bodies.size(); ++tag) unconfirmed.insert(tag);
    auto deadline = Clock::now() + seconds_to_ms(flags.common.timeout);
    while (!unconfirmed.empty()) {
      auto async = client.next_command(deadline);
      if (!async) {
        throw AmqpError(std::to_string(unconfirmed.size()) + " of " +
                        std::to_string(bodies.size()) + " messages unconfirmed after " +
                        std::to_string(flags.common.timeout) + " s");
      }
      handle_async(*async, unconfirmed);
    }
    std::cerr << "mockforge amqp: " << bodies.size() << " messages confirmed\n";
  } else if (flags.mandatory) {
    // The broker handles a channel's commands in order, so any basic.return
    // for the publishes precedes the reply to this synchronous no-op.
    client.call<codec::BasicQosOk>(codec::BasicQos{});
  }
  // Returns that arrived before the last ack (or before the qos-ok).
  while (auto async = client.next_command(Clock::now())) handle_async(*async, unconfirmed);
  client.close();
  return problems == 0 ? 0 : 1;
}

// ---- consume / get -------------------------------------------------------------------------

struct ConsumeFlags {
  Common common;
  std::string queue;
  int count = 0;
  bool ack = false;
  double wait = 0;
  std::string format = "text";
};

Delivery to_delivery(codec::Command& command) {
  Delivery d;
  if (auto* deliver = std::get_if<codec::BasicDeliver>(&command.method)) {
    d.exchange = deliver->exchange;
    d.routing_key = deliver->routing_key;
    d.redelivered = deliver->redelivered;
    d.delivery_tag = deliver->delivery_tag;
  } else if (auto* get_ok = std::get_if<codec::BasicGetOk>(&command.method)) {
    d.exchange = get_ok->exchange;
    d.routing_key = get_ok->routing_key;
    d.redelivered = get_ok->redelivered;
    d.delivery_tag = get_ok->delivery_tag;
    d.message_count = get_ok->message_count;
  }
  if (command.header) d.properties = command.header->properties;
  d.body = std::move(command.body);
  return d;
}

int consume_command(const ConsumeFlags& flags) {
  auto client = connect(flags.common);
  if (flags.count > 0) {
    codec::BasicQos qos;
    qos.prefetch_count = static_cast<std::uint16_t>(std::min(flags.count, 65535));
    client.call<codec::BasicQosOk>(qos);
  }
  codec::BasicConsume consume;
  consume.queue = flags.queue;
  consume.no_ack = false;  // unacked messages go back to the queue when we close
  auto ok = client.call<codec::BasicConsumeOk>(consume);
  auto deadline =
      flags.wait > 0 ? Clock::now() + seconds_to_ms(flags.wait) : Clock::time_point::max();
  int received = 0;
  while (flags.count == 0 || received < flags.count) {
    auto command = client.next_command(deadline);
    if (!command) break;
    if (std::holds_alternative<codec::BasicCancel>(command->method)) {
      throw AmqpError("the broker cancelled the consumer on queue '" + flags.queue +
                      "' (queue deleted?)");
    }
    if (!std::holds_alternative<codec::BasicDeliver>(command->method)) continue;
    auto delivery = to_delivery(*command);
    print_delivery(delivery, flags.format);
    if (flags.ack) {
      codec::BasicAck ack;
      ack.delivery_tag = delivery.delivery_tag;
      client.send_method(ack);
    }
    ++received;
  }
  codec::BasicCancel cancel;
  cancel.consumer_tag = ok.consumer_tag;
  client.call<codec::BasicCancelOk>(cancel);
  client.close();
  if (flags.count > 0 && received < flags.count) {
    std::cerr << "mockforge amqp: received " << received << " of " << flags.count
              << " messages within " << flags.wait << " s\n";
    return 1;
  }
  return 0;
}

int get_command(const ConsumeFlags& flags) {
  auto client = connect(flags.common);
  codec::BasicGet get;
  get.queue = flags.queue;
  get.no_ack = false;
  client.send_method(get);
  auto deadline = Clock::now() + seconds_to_ms(flags.common.timeout);
  for (;;) {
    auto command = client.next_command(deadline);
    if (!command)
      throw AmqpError("no reply to basic.get within " + std::to_string(flags.common.timeout) +
                      " s");
    if (std::holds_alternative<codec::BasicGetEmpty>(command->method)) {
      client.close();
      std::cerr << "mockforge amqp: queue '" << flags.queue << "' is empty\n";
      return 1;
    }
    if (!std::holds_alternative<codec::BasicGetOk>(command->method)) continue;
    auto delivery = to_delivery(*command);
    print_delivery(delivery, flags.format);
    if (flags.ack) {
      codec::BasicAck ack;
      ack.delivery_tag = delivery.delivery_tag;
      client.send_method(ack);
    }
    client.close();
    return 0;
  }
}

}  // namespace

void add_amqp_command(CLI::App& app, int& exit_code) {
  auto* amqp = app.add_subcommand("amqp", "AMQP 0-9-1 client: exchanges, queues, publish, consume");
  amqp->require_subcommand(1);
  add_management(*amqp, exit_code);

  auto publish_flags = std::make_shared<PublishFlags>();
  auto* publish = amqp->add_subcommand(
      "publish", "Publish --body, --file, or each line of stdin as one message");
  add_common(*publish, publish_flags->common);
  publish->add_option("--exchange", publish_flags->exchange, "Exchange ('' is the default)");
  publish->add_option("--routing-key", publish_flags->routing_key, "Routing key");
  auto* body = publish->add_option("--body", publish_flags->body, "Message body");
  publish->add_option("--file", publish_flags->file, "Send this file as one message")
      ->excludes(body);
  publish->add_option("--header", publish_flags->headers,
                      "Header key=value (repeatable; integers and true/false are typed)");
  publish->add_option("--property", publish_flags->properties,
                      "Basic property key=value (content_type, delivery_mode, priority, "
                      "correlation_id, reply_to, expiration, message_id, timestamp, type, "
                      "user_id, app_id, content_encoding)");
  publish->add_flag("--confirm", publish_flags->confirm,
                    "Use publisher confirms; wait for every ack, fail on nacks");
  publish->add_flag("--mandatory", publish_flags->mandatory,
                    "Ask for basic.return of unroutable messages; fail when one comes back");
  publish->callback([publish, publish_flags, &exit_code] {
    run_command(exit_code, "mockforge amqp",
                [&] { return publish_command(*publish, *publish_flags); });
  });

  auto consume_flags = std::make_shared<ConsumeFlags>();
  auto* consume = amqp->add_subcommand(
      "consume", "Consume and print messages; without --ack they return to the queue on exit");
  add_common(*consume, consume_flags->common);
  consume->add_option("--queue", consume_flags->queue, "Queue name")->required();
  consume
      ->add_option("--count", consume_flags->count,
                   "Exit after this many messages (fails if --wait ends first)")
      ->check(CLI::NonNegativeNumber);
  consume->add_flag("--ack", consume_flags->ack, "Acknowledge (remove) each printed message");
  consume->add_option("--wait", consume_flags->wait, "Stop after this many seconds (0: no limit)")
      ->check(CLI::NonNegativeNumber);
  consume->add_option("--format", consume_flags->format, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  consume->callback([consume_flags, &exit_code] {
    run_command(exit_code, "mockforge amqp", [&] { return consume_command(*consume_flags); });
  });

  auto get_flags = std::make_shared<ConsumeFlags>();
  auto* get = amqp->add_subcommand(
      "get", "basic.get one message; without --ack it returns to the queue on exit");
  add_common(*get, get_flags->common);
  get->add_option("--queue", get_flags->queue, "Queue name")->required();
  get->add_flag("--ack", get_flags->ack, "Acknowledge (remove) the message");
  get->add_option("--format", get_flags->format, "Output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  get->callback([get_flags, &exit_code] {
    run_command(exit_code, "mockforge amqp", [&] { return get_command(*get_flags); });
  });

  auto* bindings = amqp->add_subcommand("bindings", "List bindings");
  bindings->require_subcommand(1);
  auto bindings_flags = std::make_shared<AdminFlags>();
  auto* bindings_list = bindings->add_subcommand(
      "list", "List the bindings to a queue (reads mockforge's admin API, not AMQP)");
  bindings_list->add_option("--queue", bindings_flags->queue, "Queue name")->required();
  add_admin_options(*bindings_list, *bindings_flags);
  bindings_list->callback([bindings_flags, &exit_code] {
    run_command(exit_code, "mockforge amqp",
                [&] { return bindings_list_command(*bindings_flags); });
  });
}

}  // namespace mockforge::cli
