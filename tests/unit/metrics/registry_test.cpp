#include "core/metrics/registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

namespace mockforge::metrics {
namespace {

using ::testing::HasSubstr;

TEST(MetricsRegistry, RendersCounterWithHelpTypeAndLabels) {
  Registry registry;
  auto& produced =
      registry.counter("kafka_messages_produced_total", "Messages produced.", {"topic"});
  produced.with({"orders"}).inc(3);
  produced.with({"payments"}).inc();
  EXPECT_EQ(registry.render(),
            "# HELP kafka_messages_produced_total Messages produced.\n"
            "# TYPE kafka_messages_produced_total counter\n"
            "kafka_messages_produced_total{topic=\"orders\"} 3\n"
            "kafka_messages_produced_total{topic=\"payments\"} 1\n");
}

TEST(MetricsRegistry, EscapesLabelValuesAndHelp) {
  Registry registry;
  registry.gauge("g", "line one\nback\\slash", {"l"}).with({"a\"b\\c\nd"}).set(1.5);
  const auto text = registry.render();
  EXPECT_THAT(text, HasSubstr("# HELP g line one\\nback\\\\slash\n"));
  EXPECT_THAT(text, HasSubstr("g{l=\"a\\\"b\\\\c\\nd\"} 1.5\n"));
}

TEST(MetricsRegistry, HistogramHasCumulativeBucketsSumAndCount) {
  Registry registry;
  auto& h = registry.histogram("latency_seconds", "Latency.", {0.1, 1.0}).get();
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  const auto text = registry.render();
  EXPECT_THAT(text, HasSubstr("latency_seconds_bucket{le=\"0.1\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("latency_seconds_bucket{le=\"1\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("latency_seconds_bucket{le=\"+Inf\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("latency_seconds_sum 5.55\n"));
  EXPECT_THAT(text, HasSubstr("latency_seconds_count 3\n"));
}

TEST(MetricsRegistry, CallbackFamilyIsComputedAtScrapeAndUnregisteredByHandle) {
  Registry registry;
  double depth = 7;
  auto handle = registry.callback(
      "amqp_queue_messages", "Messages in queues.", MetricType::kGauge, {"queue", "state"}, [&] {
        return std::vector<Sample>{{{"q1", "ready"}, depth}, {{"q1", "unacked"}, 2}};
      });
  EXPECT_THAT(registry.render(),
              HasSubstr("amqp_queue_messages{queue=\"q1\",state=\"ready\"} 7\n"));
  depth = 9;
  EXPECT_THAT(registry.render(),
              HasSubstr("amqp_queue_messages{queue=\"q1\",state=\"ready\"} 9\n"));
  handle.reset();
  EXPECT_EQ(registry.render(), "");
}

TEST(MetricsRegistry, RejectsBadNamesAndConflictingRegistrations) {
  Registry registry;
  EXPECT_THROW(registry.counter("1bad", "x"), std::invalid_argument);
  EXPECT_THROW(registry.counter("ok_total", "x", {"__reserved"}), std::invalid_argument);
  registry.counter("ok_total", "x", {"a"});
  EXPECT_NO_THROW(registry.counter("ok_total", "x", {"a"}));
  EXPECT_THROW(registry.gauge("ok_total", "x", {"a"}), std::invalid_argument);
  EXPECT_THROW(registry.counter("ok_total", "x", {"b"}), std::invalid_argument);
  EXPECT_THROW(registry.counter("ok_total", "x", {"a"}).with({"1", "2"}), std::invalid_argument);
}

TEST(MetricsRegistry, ConcurrentIncrementsAreNotLost) {
  Registry registry;
  auto& counter = registry.counter("c_total", "c").get();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) counter.inc();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter.value(), 40000);
}

TEST(MetricsRegistry, ProcessMetricsReportRealValues) {
  Registry registry;
  auto handle = register_process_metrics(registry, "1.2.3");
  const auto text = registry.render();
  EXPECT_THAT(text, HasSubstr("mockforge_build_info{version=\"1.2.3\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE process_resident_memory_bytes gauge\n"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("process_resident_memory_bytes 0\n")));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("process_open_fds 0\n")));
}

}  // namespace
}  // namespace mockforge::metrics
