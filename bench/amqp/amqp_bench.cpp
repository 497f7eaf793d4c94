// AMQP 0-9-1 benchmark client (rabbitmq-c). Publisher connections (--publishers, default 1)
// and a consumer connection, each in its own thread. Prints one JSON object on stdout.
//
//   amqp_bench --port P [--host H] [--mode direct|fanout] [--confirms] [--messages N]
//              [--size B] [--queues Q] [--prefetch 1000] [--window W] [--publishers P]
//              [--no-consumer] [--expect-all] [--quick] [--cafile F]
//
// --cafile F: amqps, verifying the broker with the CA certificates in F (the TLS port).
// direct: N messages through the default exchange to one queue.
// fanout: N messages to a topic exchange bound to Q queues (default 10) with "bench.#";
//         every queue gets every message.
// The consumer uses one channel per queue, basic.qos prefetch (per channel), manual acks
// (multiple=true every 100 deliveries and at the end). --confirms puts the publisher channel
// in confirm mode, with at most --window unconfirmed messages. Values start with their
// sequence number (each publisher has a range of its own), so each queue's consumer checks it
// got every message once, and in each publisher's order. publisher_cpu_s is the CPU time of
// the publisher threads: near publish_s times the publishers, the client limits the rate.
// --no-consumer only publishes (the queues are deleted at the end, with what they hold):
// how fast the publishers alone can go.
#include <amqp.h>
#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

double thread_cpu_s() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

double now_s() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

struct Options {
  std::string host = "127.0.0.1";
  int port = 5672;
  std::string mode = "direct";
  bool confirms = false;
  long messages = 200000;
  size_t size = 256;
  int queues = 1;
  int prefetch = 1000;
  long window = 1000;
  int publishers = 1;
  bool no_consumer = false;
  bool expect_all = false;
  std::string cafile;  // amqps (rabbitmq-c's OpenSSL socket) with this CA when set
};

[[noreturn]] void die(const char* what, const char* detail = "") {
  std::fprintf(stderr, "amqp_bench: %s %s\n", what, detail);
  std::exit(1);
}

void check(amqp_rpc_reply_t reply, const char* what) {
  if (reply.reply_type == AMQP_RESPONSE_NORMAL) return;
  if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION)
    die(what, amqp_error_string2(reply.library_error));
  die(what, "(server exception)");
}

amqp_connection_state_t open_connection(const Options& o) {
  amqp_connection_state_t conn = amqp_new_connection();
  amqp_socket_t* socket = nullptr;
  if (o.cafile.empty()) {
    socket = amqp_tcp_socket_new(conn);
  } else {
    socket = amqp_ssl_socket_new(conn);
    if (socket && amqp_ssl_socket_set_cacert(socket, o.cafile.c_str()) != AMQP_STATUS_OK)
      die("cafile", o.cafile.c_str());
  }
  if (!socket) die("socket");
  int status = amqp_socket_open(socket, o.host.c_str(), o.port);
  if (status != AMQP_STATUS_OK) die("connect", amqp_error_string2(status));
  check(amqp_login(conn, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest"), "login");
  return conn;
}

void close_connection(amqp_connection_state_t conn) {
  amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(conn);
}

struct Shared {
  std::atomic<bool> failed{false};
  double begin = 0;
};

struct PublishResult {
  long published = 0;
  long confirmed = 0;
  long nacked = 0;
  double seconds = 0;
  double cpu_seconds = 0;  // the publisher thread's own CPU time
};

// Reads one frame from the publisher's connection (confirms); returns false on timeout.
bool read_confirm(amqp_connection_state_t conn, std::vector<uint8_t>& acked, long& confirmed,
                  long& nacked, long& low, int timeout_s) {
  amqp_frame_t frame;
  timeval tv{timeout_s, 0};
  int status = amqp_simple_wait_frame_noblock(conn, &frame, &tv);
  if (status == AMQP_STATUS_TIMEOUT) return false;
  if (status != AMQP_STATUS_OK) die("publisher: read", amqp_error_string2(status));
  if (frame.frame_type != AMQP_FRAME_METHOD) return true;
  const amqp_method_number_t id = frame.payload.method.id;
  if (id == AMQP_BASIC_ACK_METHOD || id == AMQP_BASIC_NACK_METHOD) {
    uint64_t tag;
    bool multiple;
    if (id == AMQP_BASIC_ACK_METHOD) {
      auto* ack = static_cast<amqp_basic_ack_t*>(frame.payload.method.decoded);
      tag = ack->delivery_tag;
      multiple = ack->multiple;
    } else {
      auto* nack = static_cast<amqp_basic_nack_t*>(frame.payload.method.decoded);
      tag = nack->delivery_tag;
      multiple = nack->multiple;
    }
    long& counter = id == AMQP_BASIC_ACK_METHOD ? confirmed : nacked;
    if (tag >= acked.size()) die("publisher: confirm for an unknown delivery tag");
    long from = multiple ? low + 1 : static_cast<long>(tag);
    for (long t = from; t <= static_cast<long>(tag); ++t) {
      if (!acked[t]) {
        acked[t] = 1;
        ++counter;
      }
    }
    while (low + 1 < static_cast<long>(acked.size()) && acked[low + 1]) ++low;
    return true;
  }
  if (id == AMQP_CHANNEL_CLOSE_METHOD || id == AMQP_CONNECTION_CLOSE_METHOD) {
    die("publisher: the broker closed the channel or connection");
  }
  return true;
}

// Publishes sequence numbers [first, first + count) on a connection of its own.
void publish(const Options& o, const std::string& exchange, const std::string& routing_key,
             long first, long count, Shared& shared, PublishResult& result) {
  amqp_connection_state_t conn = open_connection(o);
  amqp_channel_open(conn, 1);
  check(amqp_get_rpc_reply(conn), "publisher: channel.open");
  if (o.confirms) {
    amqp_confirm_select(conn, 1);
    check(amqp_get_rpc_reply(conn), "publisher: confirm.select");
  }
  std::vector<char> value(o.size, 'x');
  amqp_basic_properties_t props;
  props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;
  props.delivery_mode = 1;  // transient: neither broker writes to disk
  std::vector<uint8_t> acked(o.confirms ? static_cast<size_t>(count) + 1 : 0, 0);
  long low = 0;  // every tag <= low is confirmed
  const double begin = now_s();
  const double cpu_begin = thread_cpu_s();
  for (long i = 0; i < count && !shared.failed; ++i) {
    uint64_t seq = static_cast<uint64_t>(first + i);
    std::memcpy(value.data(), &seq, sizeof(seq));
    amqp_bytes_t body{value.size(), value.data()};
    int status = amqp_basic_publish(conn, 1, amqp_cstring_bytes(exchange.c_str()),
                                    amqp_cstring_bytes(routing_key.c_str()), 0, 0, &props, body);
    if (status != AMQP_STATUS_OK) die("publish", amqp_error_string2(status));
    ++result.published;
    if (o.confirms) {
      while (result.published - result.confirmed - result.nacked >= o.window) {
        if (!read_confirm(conn, acked, result.confirmed, result.nacked, low, 30)) {
          die("publisher: no confirm for 30 s");
        }
      }
      while (amqp_frames_enqueued(conn) || amqp_data_in_buffer(conn)) {
        read_confirm(conn, acked, result.confirmed, result.nacked, low, 0);
      }
    }
  }
  while (o.confirms && result.confirmed + result.nacked < result.published) {
    if (!read_confirm(conn, acked, result.confirmed, result.nacked, low, 30)) {
      die("publisher: no confirm for 30 s");
    }
  }
  result.seconds = now_s() - begin;
  result.cpu_seconds = thread_cpu_s() - cpu_begin;
  close_connection(conn);
}

struct QueueCount {
  long received = 0;
  long duplicates = 0;
  long out_of_order = 0;
  long foreign = 0;
  std::vector<long> last_seq;  // per publisher
  uint64_t unacked_tag = 0;
  int unacked = 0;
  std::vector<uint8_t> seen;
};

int run(const Options& o) {
  const std::string suffix = std::to_string(getpid());
  const std::string exchange = o.mode == "fanout" ? "bench.topic." + suffix : "";
  std::vector<std::string> queues;
  for (int q = 0; q < o.queues; ++q) queues.push_back("bench." + suffix + "." + std::to_string(q));
  const std::string routing_key = o.mode == "fanout" ? "bench.x" : queues[0];

  // The consumer's connection declares everything, one channel per queue.
  amqp_connection_state_t conn = open_connection(o);
  std::vector<QueueCount> counts(queues.size());
  for (size_t q = 0; q < queues.size(); ++q) {
    const amqp_channel_t ch = static_cast<amqp_channel_t>(q + 1);
    amqp_channel_open(conn, ch);
    check(amqp_get_rpc_reply(conn), "channel.open");
    if (q == 0 && !exchange.empty()) {
      amqp_exchange_declare(conn, ch, amqp_cstring_bytes(exchange.c_str()),
                            amqp_cstring_bytes("topic"), 0, 0, 0, 0, amqp_empty_table);
      check(amqp_get_rpc_reply(conn), "exchange.declare");
    }
    amqp_queue_declare(conn, ch, amqp_cstring_bytes(queues[q].c_str()), 0, 0, 0, 0,
                       amqp_empty_table);
    check(amqp_get_rpc_reply(conn), "queue.declare");
    if (!exchange.empty()) {
      amqp_queue_bind(conn, ch, amqp_cstring_bytes(queues[q].c_str()),
                      amqp_cstring_bytes(exchange.c_str()), amqp_cstring_bytes("bench.#"),
                      amqp_empty_table);
      check(amqp_get_rpc_reply(conn), "queue.bind");
    }
    if (!o.no_consumer) {
      amqp_basic_qos(conn, ch, 0, static_cast<uint16_t>(o.prefetch), 0);
      check(amqp_get_rpc_reply(conn), "basic.qos");
      amqp_basic_consume(conn, ch, amqp_cstring_bytes(queues[q].c_str()), amqp_empty_bytes, 0, 0, 0,
                         amqp_empty_table);
      check(amqp_get_rpc_reply(conn), "basic.consume");
    }
    counts[q].seen.assign(static_cast<size_t>(o.messages), 0);
  }

  // Each publisher has a range of sequence numbers of its own.
  const long per_publisher = (o.messages + o.publishers - 1) / o.publishers;
  for (QueueCount& c : counts) {
    for (int p = 0; p < o.publishers; ++p) c.last_seq.push_back(p * per_publisher - 1);
  }
  Shared shared;
  std::vector<PublishResult> results(static_cast<size_t>(o.publishers));
  const double begin = now_s();
  std::vector<std::thread> publishers;
  for (int p = 0; p < o.publishers; ++p) {
    const long first = p * per_publisher;
    const long count = std::min(per_publisher, o.messages - first);
    publishers.emplace_back([&, p, first, count] {
      publish(o, exchange, routing_key, first, count, shared, results[static_cast<size_t>(p)]);
    });
  }

  const long expected = o.no_consumer ? 0 : o.messages * static_cast<long>(queues.size());
  long delivered = 0;
  bool ok = true;
  while (delivered < expected) {
    amqp_maybe_release_buffers(conn);
    amqp_envelope_t envelope;
    timeval timeout{10, 0};
    amqp_rpc_reply_t reply = amqp_consume_message(conn, &envelope, &timeout, 0);
    if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
      if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
          reply.library_error == AMQP_STATUS_TIMEOUT) {
        std::fprintf(stderr, "consumer: nothing for 10 s after %ld of %ld deliveries\n", delivered,
                     expected);
      } else if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
                 reply.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
        // A method other than basic.deliver (e.g. channel.close): read and report it.
        amqp_frame_t frame;
        if (amqp_simple_wait_frame(conn, &frame) == AMQP_STATUS_OK &&
            frame.frame_type == AMQP_FRAME_METHOD) {
          std::fprintf(stderr, "consumer: unexpected method 0x%08x\n", frame.payload.method.id);
        }
      } else {
        std::fprintf(stderr, "consumer: error %d\n", reply.library_error);
      }
      ok = false;
      break;
    }
    const size_t q = envelope.channel - 1;
    if (q >= counts.size()) die("consumer: delivery on an unknown channel");
    QueueCount& c = counts[q];
    uint64_t seq = UINT64_MAX;
    if (envelope.message.body.len == o.size)
      std::memcpy(&seq, envelope.message.body.bytes, sizeof(seq));
    if (seq >= static_cast<uint64_t>(o.messages)) {
      ++c.foreign;
    } else if (c.seen[seq]++) {
      ++c.duplicates;
    } else {
      ++c.received;
      ++delivered;
      long& last = c.last_seq[seq / static_cast<uint64_t>(per_publisher)];
      if (static_cast<long>(seq) != last + 1) ++c.out_of_order;
      last = static_cast<long>(seq);
    }
    c.unacked_tag = envelope.delivery_tag;
    if (++c.unacked >= 100 || c.received == o.messages) {
      amqp_basic_ack(conn, envelope.channel, c.unacked_tag, 1);
      c.unacked = 0;
    }
    amqp_destroy_envelope(&envelope);
  }
  const double seconds = now_s() - begin;
  if (!ok) shared.failed = true;
  PublishResult published;
  for (size_t p = 0; p < publishers.size(); ++p) {
    publishers[p].join();
    published.published += results[p].published;
    published.confirmed += results[p].confirmed;
    published.nacked += results[p].nacked;
    published.seconds = std::max(published.seconds, results[p].seconds);
    published.cpu_seconds += results[p].cpu_seconds;
  }
  const double total_seconds = std::max(seconds, published.seconds);

  long duplicates = 0, out_of_order = 0, foreign = 0;
  for (const QueueCount& c : counts) {
    duplicates += c.duplicates;
    out_of_order += c.out_of_order;
    foreign += c.foreign;
  }
  for (size_t q = 0; q < queues.size(); ++q) {
    amqp_queue_delete(conn, static_cast<amqp_channel_t>(q + 1),
                      amqp_cstring_bytes(queues[q].c_str()), 0, 0);
  }
  if (!exchange.empty()) amqp_exchange_delete(conn, 1, amqp_cstring_bytes(exchange.c_str()), 0);
  close_connection(conn);

  if (o.confirms && published.confirmed != o.messages) ok = false;
  if (o.expect_all && (delivered != expected || duplicates || foreign)) ok = false;
  std::printf(
      "{\"mode\": \"%s\", \"confirms\": %s, \"messages\": %ld, \"queues\": %zu, "
      "\"published\": %ld, \"confirmed\": %ld, \"nacked\": %ld, \"expected\": %ld, "
      "\"delivered\": %ld, \"missing\": %ld, \"duplicates\": %ld, \"out_of_order\": %ld, "
      "\"foreign\": %ld, \"publish_s\": %.6f, \"publisher_cpu_s\": %.6f, \"seconds\": %.6f, "
      "\"ok\": %s}\n",
      o.mode.c_str(), o.confirms ? "true" : "false", o.messages, queues.size(), published.published,
      published.confirmed, published.nacked, expected, delivered, expected - delivered, duplicates,
      out_of_order, foreign, published.seconds, published.cpu_seconds, total_seconds,
      ok ? "true" : "false");
  return ok ? 0 : 1;
}

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: amqp_bench --port P [--host H] [--mode direct|fanout] [--confirms]\n"
               "                  [--messages N] [--size B] [--queues Q] [--prefetch N]\n"
               "                  [--window W] [--publishers P] [--no-consumer] [--expect-all]\n"
               "                  [--quick] [--cafile F]\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  bool quick = false, queues_set = false, messages_set = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage();
      return argv[++i];
    };
    if (arg == "--host")
      o.host = value();
    else if (arg == "--cafile")
      o.cafile = value();
    else if (arg == "--port")
      o.port = std::atoi(value().c_str());
    else if (arg == "--mode")
      o.mode = value();
    else if (arg == "--confirms")
      o.confirms = true;
    else if (arg == "--messages") {
      o.messages = std::atol(value().c_str());
      messages_set = true;
    } else if (arg == "--size")
      o.size = static_cast<size_t>(std::atol(value().c_str()));
    else if (arg == "--queues") {
      o.queues = std::atoi(value().c_str());
      queues_set = true;
    } else if (arg == "--prefetch")
      o.prefetch = std::atoi(value().c_str());
    else if (arg == "--window")
      o.window = std::atol(value().c_str());
    else if (arg == "--publishers")
      o.publishers = std::atoi(value().c_str());
    else if (arg == "--no-consumer")
      o.no_consumer = true;
    else if (arg == "--expect-all")
      o.expect_all = true;
    else if (arg == "--quick")
      quick = true;
    else
      usage();
  }
  if (o.mode == "fanout" && !queues_set) o.queues = 10;
  if (o.mode == "direct") o.queues = 1;
  if (quick && !messages_set) o.messages = 5000;
  if ((o.mode != "direct" && o.mode != "fanout") || o.size < 8 || o.messages <= 0 ||
      o.queues <= 0 || o.prefetch <= 0 || o.prefetch > 65535 || o.window <= 0 ||
      o.publishers <= 0 || o.publishers > o.messages) {
    usage();
  }
  return run(o);
}
