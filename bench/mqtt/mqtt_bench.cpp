// MQTT benchmark client (libmosquitto, MQTT 3.1.1). All clients of a run live in this one
// process and one thread, driven by poll() through libmosquitto's external-loop functions
// (mosquitto_socket, mosquitto_loop_read/write/misc). Prints one JSON object on stdout.
//
// Throughput: S subscribers subscribe to one topic at QoS q, then one publisher publishes N
// messages at QoS q. The publisher stays at most --window messages ahead of the slowest
// subscriber (an end-to-end window, so neither broker has to queue or drop), and each value
// starts with its sequence number, so every subscriber checks it got each message once.
//
//   mqtt_bench --port P throughput [--qos 0|1] [--subscribers S] [--messages N] [--size B]
//              [--window W] [--rate R] [--expect-all] [--quick]
// With --rate, the publisher also stays at most R messages per second since the start
// (0, the default: as fast as the window allows).
//
// Idle connections: opens C connections (CONNECT/CONNACK), prints {"connected": C, ...},
// then holds them until stdin closes, and disconnects.
//
//   mqtt_bench --port P idle [--connections C] [--quick]
//
// --cafile F: every client connects over TLS (the broker's TLS port), verifying the server with
// the CA certificates in F (libmosquitto's mosquitto_tls_set).
#include <mosquitto.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

double now_s() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

struct Options {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string mode;
  int qos = 0;
  int subscribers = 1;
  long messages = 200000;
  size_t size = 100;
  long window = 1000;
  double rate = 0;  // messages per second; 0: unpaced
  int connections = 10000;
  bool expect_all = false;
  bool quick = false;
  std::string cafile;  // TLS when set
};

struct Client {
  mosquitto* mosq = nullptr;
  bool connected = false;
  bool subscribed = false;
  bool failed = false;
  long received = 0;
  long duplicates = 0;
  long out_of_order = 0;
  long foreign = 0;
  long last_seq = -1;
  std::vector<uint8_t> seen;
};

size_t g_size = 100;

void on_connect(mosquitto*, void* obj, int rc) {
  auto* c = static_cast<Client*>(obj);
  if (rc == 0) {
    c->connected = true;
  } else {
    c->failed = true;
    std::fprintf(stderr, "CONNACK refused: %s\n", mosquitto_connack_string(rc));
  }
}

void on_subscribe(mosquitto*, void* obj, int, int count, const int* granted) {
  auto* c = static_cast<Client*>(obj);
  if (count < 1 || granted[0] > 2) {
    c->failed = true;
    std::fprintf(stderr, "SUBACK refused\n");
  } else {
    c->subscribed = true;
  }
}

void on_message(mosquitto*, void* obj, const mosquitto_message* m) {
  auto* c = static_cast<Client*>(obj);
  uint64_t seq = UINT64_MAX;
  if (static_cast<size_t>(m->payloadlen) == g_size && g_size >= sizeof(seq)) {
    std::memcpy(&seq, m->payload, sizeof(seq));
  }
  if (seq >= c->seen.size()) {
    ++c->foreign;
    return;
  }
  if (c->seen[seq]++) {
    ++c->duplicates;
    return;
  }
  ++c->received;
  if (static_cast<long>(seq) != c->last_seq + 1) ++c->out_of_order;
  c->last_seq = static_cast<long>(seq);
}

void on_disconnect(mosquitto*, void* obj, int rc) {
  auto* c = static_cast<Client*>(obj);
  c->connected = false;
  if (rc != 0) c->failed = true;
}

// One poll() round over `clients`: reads what arrived (callbacks run), writes what is queued,
// and runs keep-alive housekeeping. Returns false if a client's connection broke.
bool pump(std::vector<Client*>& clients, int timeout_ms) {
  std::vector<pollfd> fds(clients.size());
  for (size_t i = 0; i < clients.size(); ++i) {
    fds[i].fd = mosquitto_socket(clients[i]->mosq);
    fds[i].events = POLLIN | (mosquitto_want_write(clients[i]->mosq) ? POLLOUT : 0);
    fds[i].revents = 0;
  }
  int n = poll(fds.data(), fds.size(), timeout_ms);
  if (n < 0 && errno != EINTR) return false;
  bool ok = true;
  for (size_t i = 0; i < clients.size(); ++i) {
    mosquitto* m = clients[i]->mosq;
    if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
      // libmosquitto reads one packet per call when nothing is queued: drain the socket.
      for (int k = 0; k < 4096; ++k) {
        errno = 0;
        int rc = mosquitto_loop_read(m, 1);
        if (rc != MOSQ_ERR_SUCCESS) {
          std::fprintf(stderr, "read: %s\n", mosquitto_strerror(rc));
          ok = false;
          break;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      }
    }
    if ((fds[i].revents & POLLOUT) || mosquitto_want_write(m)) {
      int rc = mosquitto_loop_write(m, 1);
      if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_NO_CONN) {
        std::fprintf(stderr, "write: %s\n", mosquitto_strerror(rc));
        ok = false;
      }
    }
    mosquitto_loop_misc(m);
  }
  return ok;
}

mosquitto* new_client(const std::string& id, Client* c, int keepalive, const Options& o) {
  mosquitto* m = mosquitto_new(id.c_str(), true, c);
  if (!m) {
    std::perror("mosquitto_new");
    std::exit(1);
  }
  mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_connect_callback_set(m, on_connect);
  mosquitto_subscribe_callback_set(m, on_subscribe);
  mosquitto_message_callback_set(m, on_message);
  mosquitto_disconnect_callback_set(m, on_disconnect);
  if (!o.cafile.empty()) {
    const int tls = mosquitto_tls_set(m, o.cafile.c_str(), nullptr, nullptr, nullptr, nullptr);
    if (tls != MOSQ_ERR_SUCCESS) {
      std::fprintf(stderr, "tls %s: %s\n", o.cafile.c_str(), mosquitto_strerror(tls));
      std::exit(1);
    }
  }
  int rc = mosquitto_connect(m, o.host.c_str(), o.port, keepalive);
  if (rc != MOSQ_ERR_SUCCESS) {
    std::fprintf(stderr, "connect %s: %s (%s)\n", id.c_str(), mosquitto_strerror(rc),
                 std::strerror(errno));
    std::exit(1);
  }
  c->mosq = m;
  return m;
}

// Pumps until pred() holds; exits on failure or after timeout_s.
template <typename Pred>
void wait_for(std::vector<Client*>& clients, Pred pred, double timeout_s, const char* what) {
  const double deadline = now_s() + timeout_s;
  while (!pred()) {
    for (Client* c : clients) {
      if (c->failed) {
        std::fprintf(stderr, "%s: a client failed\n", what);
        std::exit(1);
      }
    }
    if (now_s() > deadline || !pump(clients, 10)) {
      std::fprintf(stderr, "%s: timed out or broken\n", what);
      std::exit(1);
    }
  }
}

int throughput(const Options& o) {
  const std::string topic = "bench/" + std::to_string(getpid());
  std::vector<Client> subs(static_cast<size_t>(o.subscribers));
  std::vector<Client*> all;
  for (int i = 0; i < o.subscribers; ++i) {
    subs[i].seen.assign(static_cast<size_t>(o.messages), 0);
    new_client("bench-sub-" + std::to_string(getpid()) + "-" + std::to_string(i), &subs[i], 60, o);
    all.push_back(&subs[i]);
  }
  wait_for(
      all,
      [&] { return std::all_of(subs.begin(), subs.end(), [](auto& c) { return c.connected; }); },
      30, "subscribers connect");
  for (Client& c : subs) mosquitto_subscribe(c.mosq, nullptr, topic.c_str(), o.qos);
  wait_for(
      all,
      [&] { return std::all_of(subs.begin(), subs.end(), [](auto& c) { return c.subscribed; }); },
      30, "subscribe");
  Client pub;
  new_client("bench-pub-" + std::to_string(getpid()), &pub, 60, o);
  mosquitto_max_inflight_messages_set(pub.mosq, 0);  // the end-to-end window limits instead
  all.push_back(&pub);
  wait_for(
      all, [&] { return pub.connected; }, 30, "publisher connect");

  std::vector<char> value(o.size, 'x');
  long published = 0;
  auto slowest = [&] {
    long m = o.messages;
    for (const Client& c : subs) m = std::min(m, c.received);
    return m;
  };
  const double begin = now_s();
  double last_progress = begin;
  long last_total = -1;
  bool ok = true;
  for (;;) {
    long low = slowest();
    if (low >= o.messages) break;
    const long allowed =
        o.rate > 0 ? static_cast<long>((now_s() - begin) * o.rate) + 1 : o.messages;
    while (published < o.messages && published - low < o.window && published < allowed) {
      uint64_t seq = static_cast<uint64_t>(published);
      std::memcpy(value.data(), &seq, sizeof(seq));
      int rc = mosquitto_publish(pub.mosq, nullptr, topic.c_str(), static_cast<int>(o.size),
                                 value.data(), o.qos, false);
      if (rc != MOSQ_ERR_SUCCESS) {
        std::fprintf(stderr, "publish: %s\n", mosquitto_strerror(rc));
        return 1;
      }
      ++published;
    }
    if (!pump(all, o.rate > 0 ? 1 : 100)) {
      ok = false;
      break;
    }
    long total = 0;
    for (const Client& c : subs) total += c.received;
    if (total != last_total) {
      last_total = total;
      last_progress = now_s();
    } else if (now_s() - last_progress > 10) {
      std::fprintf(stderr, "no delivery for 10 s\n");
      ok = false;
      break;
    }
    if (pub.failed || std::any_of(subs.begin(), subs.end(), [](auto& c) { return c.failed; })) {
      std::fprintf(stderr, "a connection broke\n");
      ok = false;
      break;
    }
  }
  const double seconds = now_s() - begin;
  long delivered = 0, duplicates = 0, out_of_order = 0, foreign = 0;
  for (const Client& c : subs) {
    delivered += c.received;
    duplicates += c.duplicates;
    out_of_order += c.out_of_order;
    foreign += c.foreign;
  }
  const long expected = o.messages * o.subscribers;
  if (o.expect_all && (delivered != expected || duplicates || foreign)) ok = false;
  std::printf(
      "{\"qos\": %d, \"subscribers\": %d, \"messages\": %ld, \"published\": %ld, "
      "\"expected\": %ld, \"delivered\": %ld, \"missing\": %ld, \"duplicates\": %ld, "
      "\"out_of_order\": %ld, \"foreign\": %ld, \"seconds\": %.6f, \"ok\": %s}\n",
      o.qos, o.subscribers, o.messages, published, expected, delivered, expected - delivered,
      duplicates, out_of_order, foreign, seconds, ok ? "true" : "false");
  std::fflush(stdout);
  for (Client* c : all) {
    mosquitto_disconnect(c->mosq);
    mosquitto_destroy(c->mosq);
  }
  return ok ? 0 : 1;
}

int idle(const Options& o) {
  std::vector<Client> clients(static_cast<size_t>(o.connections));
  const double begin = now_s();
  const int batch = 250;
  for (int first = 0; first < o.connections; first += batch) {
    std::vector<Client*> group;
    for (int i = first; i < std::min(o.connections, first + batch); ++i) {
      new_client("bench-idle-" + std::to_string(getpid()) + "-" + std::to_string(i), &clients[i],
                 600, o);
      group.push_back(&clients[i]);
    }
    wait_for(
        group,
        [&] {
          return std::all_of(group.begin(), group.end(), [](Client* c) { return c->connected; });
        },
        60, "idle connect");
  }
  const double seconds = now_s() - begin;
  std::printf("{\"connections\": %d, \"connected\": %d, \"connect_s\": %.6f}\n", o.connections,
              o.connections, seconds);
  std::fflush(stdout);
  // Hold until the driver has read the broker's memory and closes our stdin.
  char buffer[64];
  while (read(STDIN_FILENO, buffer, sizeof(buffer)) > 0) {
  }
  long still = 0;
  std::vector<Client*> all;
  for (Client& c : clients) all.push_back(&c);
  for (int i = 0; i < 3; ++i) pump(all, 0);  // anything the broker sent meanwhile
  for (Client& c : clients) {
    if (c.connected) ++still;
    mosquitto_disconnect(c.mosq);
    mosquitto_destroy(c.mosq);
  }
  if (still != o.connections) {
    std::fprintf(stderr, "only %ld of %d connections survived the hold\n", still, o.connections);
    return 1;
  }
  return 0;
}

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: mqtt_bench [--host H] --port P [--cafile F] throughput [--qos 0|1] "
               "[--subscribers S]\n"
               "                  [--messages N] [--size B] [--window W] [--rate R] [--expect-all] "
               "[--quick]\n"
               "       mqtt_bench [--host H] --port P idle [--connections C] [--quick]\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  bool messages_set = false, connections_set = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage();
      return argv[++i];
    };
    if (arg == "--host")
      o.host = value();
    else if (arg == "--port")
      o.port = std::atoi(value().c_str());
    else if (arg == "--cafile")
      o.cafile = value();
    else if (arg == "--qos")
      o.qos = std::atoi(value().c_str());
    else if (arg == "--subscribers")
      o.subscribers = std::atoi(value().c_str());
    else if (arg == "--messages") {
      o.messages = std::atol(value().c_str());
      messages_set = true;
    } else if (arg == "--size")
      o.size = static_cast<size_t>(std::atol(value().c_str()));
    else if (arg == "--window")
      o.window = std::atol(value().c_str());
    else if (arg == "--rate")
      o.rate = std::atof(value().c_str());
    else if (arg == "--connections") {
      o.connections = std::atoi(value().c_str());
      connections_set = true;
    } else if (arg == "--expect-all")
      o.expect_all = true;
    else if (arg == "--quick")
      o.quick = true;
    else if (arg == "throughput" || arg == "idle")
      o.mode = arg;
    else
      usage();
  }
  if (o.quick) {
    if (!messages_set) o.messages = 5000;
    if (!connections_set) o.connections = 200;
  }
  if (o.mode.empty() || o.size < 8 || o.messages <= 0 || o.subscribers <= 0 || o.window <= 0 ||
      o.rate < 0 || o.qos < 0 || o.qos > 1) {
    usage();
  }
  g_size = o.size;
  mosquitto_lib_init();
  int rc = o.mode == "throughput" ? throughput(o) : idle(o);
  mosquitto_lib_cleanup();
  return rc;
}
