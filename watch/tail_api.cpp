#include "watch/tail_api.h"

#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <ctime>
#include <memory>

#include "core/admin/http_server.h"
#include "core/control/broker_control.h"
#include "watch/tail.h"

namespace mockforge::watch {
namespace {

using nlohmann::json;

constexpr std::size_t kDefaultBuffer = 10000;
constexpr std::size_t kMaxBuffer = 1000000;
constexpr std::size_t kEventsPerWrite = 512;

std::string dump(const json& body) {
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Serves one reader as Server-Sent Events.
class TailStream : public admin::BodyStream {
 public:
  explicit TailStream(std::shared_ptr<TailReader> reader) : reader_(std::move(reader)) {}

  void start(std::function<void()> wake) override { reader_->set_wake(std::move(wake)); }

  std::string next() override {
    auto taken = reader_->take(kEventsPerWrite);
    std::string out;
    if (taken.dropped > 0) {
      dropped_total_ += taken.dropped;
      out += fmt::format(
          ": dropped {} events\nevent: dropped\ndata: {{\"dropped\":{},\"dropped_total\":{}}}\n\n",
          taken.dropped, taken.dropped, dropped_total_);
    }
    for (const auto& event : taken.events) {
      out += "data: ";
      out += dump(event_json(event));
      out += "\n\n";
    }
    return out;
  }

  std::string idle() override { return ": keep-alive\n\n"; }

  void close() override { reader_->close(); }

 private:
  std::shared_ptr<TailReader> reader_;
  uint64_t dropped_total_ = 0;
};

}  // namespace

std::string format_time_us(int64_t unix_micros) {
  const std::time_t seconds = static_cast<std::time_t>(unix_micros / 1000000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                     unix_micros % 1000000);
}

json event_json(const traffic::Event& event) {
  json out = {{"time", format_time_us(event.time_us)},
              {"time_us", event.time_us},
              {"protocol", std::string(traffic::to_string(event.protocol))},
              {"kind", std::string(traffic::to_string(event.kind))},
              {"client_id", event.client_id}};
  if (!event.connection.empty()) out["connection"] = event.connection;
  if (!event.topic.empty()) {
    out[event.protocol == traffic::Protocol::kAmqp ? "queue" : "topic"] = event.topic;
  }
  // "" is the default exchange: publish and deliver always say where.
  if (event.protocol == traffic::Protocol::kAmqp &&
      (event.kind == traffic::EventKind::kPublish || event.kind == traffic::EventKind::kDeliver ||
       !event.exchange.empty())) {
    out["exchange"] = event.exchange;
    out["routing_key"] = event.routing_key;
  }
  if (event.partition) out["partition"] = *event.partition;
  if (event.offset) out["offset"] = *event.offset;
  if (event.size) out["size"] = *event.size;
  if (event.count) out["count"] = *event.count;
  if (event.size) {
    if (control::is_utf8(event.preview)) {
      out["preview"] = event.preview;
    } else {
      out["preview_base64"] = control::base64_encode(event.preview);
    }
  }
  if (!event.detail.empty()) out["detail"] = event.detail;
  return out;
}

void register_tail_routes(admin::HttpServer& server, Tail& tail) {
  server.route("GET", "/__mockforge/api/tail", [&tail](const admin::HttpRequest& request) {
    TailFilter filter;
    std::size_t buffer = kDefaultBuffer;
    for (const auto& [name, value] : request.query) {
      if (name == "protocol") {
        filter.protocol = traffic::parse_protocol(value);
        if (!filter.protocol) {
          return admin::HttpResponse::error(400, "protocol must be kafka, mqtt or amqp");
        }
      } else if (name == "client") {
        filter.client = value;
      } else if (name == "topic") {
        filter.topic = value;
      } else if (name == "kinds") {
        std::string_view rest(value);
        while (!rest.empty()) {
          const auto comma = rest.find(',');
          const auto word = rest.substr(0, comma);
          const auto kind = traffic::parse_event_kind(word);
          if (!kind) {
            return admin::HttpResponse::error(
                400, fmt::format("unknown event kind '{}' (connect, disconnect, subscribe, "
                                 "unsubscribe, publish, deliver, ack, nack, error, fault)",
                                 word));
          }
          filter.kinds.insert(*kind);
          if (comma == std::string_view::npos) break;
          rest.remove_prefix(comma + 1);
        }
      } else if (name == "buffer") {
        const auto [end, error] =
            std::from_chars(value.data(), value.data() + value.size(), buffer);
        if (error != std::errc() || end != value.data() + value.size() || buffer == 0 ||
            buffer > kMaxBuffer) {
          return admin::HttpResponse::error(
              400, fmt::format("buffer must be a number of events from 1 to {}", kMaxBuffer));
        }
      } else {
        return admin::HttpResponse::error(
            400, "unknown query parameter '" + name + "' (protocol, client, topic, kinds, buffer)");
      }
    }
    if (auto problem = filter.check(); !problem.empty()) {
      return admin::HttpResponse::error(400, problem);
    }
    admin::HttpResponse response;
    response.content_type = "text/event-stream";
    response.headers.emplace_back("X-Accel-Buffering", "no");
    response.stream = std::make_shared<TailStream>(tail.open(std::move(filter), buffer));
    return response;
  });
}

}  // namespace mockforge::watch
