// Runs librdkafka's mock cluster (rdkafka_mock.h) until stdin closes or a
// signal arrives. Prints "bootstrap <servers>" then "ready" on stdout.
//
//   rdkafka_mock_cluster [--brokers N]
//
// Reads commands from stdin, one a line, and answers each with one line:
//   topic NAME PARTITIONS REPLICATION   rd_kafka_mock_topic_create -> "ok" or "error <text>"
// (the mock auto-creates topics with its own default partition count; tests that compare
// partition counts create their topics with this).
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {
volatile sig_atomic_t stop_requested = 0;
void on_signal(int) { stop_requested = 1; }
}  // namespace

int main(int argc, char** argv) {
  int brokers = 1;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--brokers") == 0) brokers = std::atoi(argv[i + 1]);
  }
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (!rk) {
    std::fprintf(stderr, "rd_kafka_new: %s\n", errstr);
    return 1;
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(rk, brokers);
  if (!cluster) {
    std::fprintf(stderr, "rd_kafka_mock_cluster_new failed\n");
    return 1;
  }
  std::printf("bootstrap %s\nready\n", rd_kafka_mock_cluster_bootstraps(cluster));
  std::fflush(stdout);
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  char line[1024];
  while (!stop_requested) {
    if (std::fgets(line, sizeof(line), stdin) == nullptr) {
      if (!stop_requested && errno == EINTR && !std::feof(stdin)) {
        std::clearerr(stdin);
        continue;
      }
      break;
    }
    char name[512];
    int partitions = 0;
    int replication = 0;
    if (std::sscanf(line, "topic %511s %d %d", name, &partitions, &replication) == 3) {
      const rd_kafka_resp_err_t err =
          rd_kafka_mock_topic_create(cluster, name, partitions, replication);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        std::printf("ok\n");
      } else {
        std::printf("error %s\n", rd_kafka_err2name(err));
      }
    } else {
      std::printf("error unknown command\n");
    }
    std::fflush(stdout);
  }
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(rk);
  return 0;
}
