#include "core/storage/engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "core/storage/snapshot.h"
#include "tests/unit/storage/test_clock.h"

namespace mockforge::storage {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

Message make_message(std::string body, uint8_t priority = 0) {
  Message message;
  message.body = make_bytes(std::move(body));
  message.properties = make_bytes("p");
  message.routing_key = "rk";
  message.priority = priority;
  return message;
}

EngineOptions options_with_clock(testing::ManualClock& clock) {
  EngineOptions options;
  options.clock = clock.function();
  return options;
}

class StorageEngineTest : public ::testing::Test {
 protected:
  StorageEngineTest() : engine_(options_with_clock(clock_)) {
    directory_ = std::filesystem::temp_directory_path() /
                 ("mockforge-storage-test-" + std::to_string(::getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(directory_);
  }
  ~StorageEngineTest() override { std::filesystem::remove_all(directory_); }

  // A little of everything.
  void seed() {
    auto topic = *engine_.logs().create_topic("orders", 2, {{"retention.ms", "-1"}});
    ASSERT_TRUE(topic->partition(0)->append("batch-a", 2, 100).ok());
    ASSERT_TRUE(topic->partition(0)->append("batch-b", 3, 200).ok());
    ASSERT_TRUE(topic->partition(1)->append("batch-c", 1, 300).ok());
    ASSERT_TRUE(topic->partition(0)->delete_records(1).ok());

    QueueOptions options;
    options.max_priority = 2;
    options.message_ttl = seconds(3600);
    options.broker_metadata = make_bytes("durable");
    auto queue = engine_.queues().declare("/", "jobs", options).queue;
    ASSERT_TRUE(queue->push(make_message("low", 0)).ok());
    Message high = make_message("high", 2);
    high.cc_routing_keys = {"cc-1", "cc-2"};
    high.bcc_routing_keys = {"bcc-1"};
    ASSERT_TRUE(queue->push(std::move(high)).ok());
    ASSERT_TRUE(queue->push(make_message("low-2", 0)).ok());

    RetainedMessage retained;
    retained.payload = make_bytes("on");
    retained.qos = 1;
    retained.properties = make_bytes("props");
    retained.stored_at = clock_.now();
    ASSERT_TRUE(engine_.retained().set("lights/kitchen", retained).ok());

    auto session = engine_.sessions().open("sensor-1").session;
    session->subscribe("cmd/#", SubscriptionOptions{2, true, true, 1, 7});
    session->set_expiry_interval(300);
    session->mark_disconnected(clock_.now());
    session->set_broker_state(make_bytes("inflight"));
    OfflineMessage offline;
    offline.topic = "cmd/reboot";
    offline.payload = make_bytes("now");
    offline.qos = 1;
    ASSERT_TRUE(session->enqueue_offline(offline).ok());
  }

  void expect_seeded_state() {
    auto topic = engine_.logs().find("orders");
    ASSERT_NE(topic, nullptr);
    EXPECT_EQ(topic->config("retention.ms"), "-1");
    ASSERT_EQ(topic->partition_count(), 2);
    auto read = topic->partition(0)->read(1, 1 << 20);
    ASSERT_TRUE(read.ok());
    EXPECT_EQ(read->log_start_offset, 1);
    EXPECT_EQ(read->high_watermark, 5);
    ASSERT_EQ(read->batches.size(), 2u);
    EXPECT_EQ(read->batches[1].bytes.view(), "batch-b");
    EXPECT_EQ(read->batches[1].max_timestamp, 200);
    EXPECT_EQ(topic->partition(1)->high_watermark(), 1);

    auto queue = engine_.queues().find("/", "jobs");
    ASSERT_NE(queue, nullptr);
    EXPECT_EQ(queue->options().max_priority, 2);
    EXPECT_EQ(*queue->options().broker_metadata, "durable");
    EXPECT_EQ(queue->ready_count(), 3u);
    const Message high = queue->pop(clock_.now()).delivery->message;
    EXPECT_EQ(*high.body, "high");
    EXPECT_EQ(high.cc_routing_keys, (std::vector<std::string>{"cc-1", "cc-2"}));
    EXPECT_EQ(high.bcc_routing_keys, (std::vector<std::string>{"bcc-1"}));
    EXPECT_EQ(*queue->pop(clock_.now()).delivery->message.body, "low");

    auto retained = engine_.retained().get("lights/kitchen", clock_.now());
    ASSERT_TRUE(retained.has_value());
    EXPECT_EQ(*retained->payload, "on");
    EXPECT_EQ(*retained->properties, "props");

    auto session = engine_.sessions().find("sensor-1");
    ASSERT_NE(session, nullptr);
    EXPECT_EQ(session->subscriptions().at("cmd/#"), (SubscriptionOptions{2, true, true, 1, 7}));
    EXPECT_EQ(session->expiry_interval(), 300u);
    EXPECT_EQ(session->disconnected_at(), clock_.now());
    EXPECT_EQ(*session->broker_state(), "inflight");
    EXPECT_EQ(session->offline_count(), 1u);
  }

  testing::ManualClock clock_;
  Engine engine_;
  std::filesystem::path directory_;
};

TEST_F(StorageEngineTest, ResetWithoutMarkClearsEverything) {
  seed();
  engine_.reset();
  EXPECT_TRUE(engine_.logs().list().empty());
  EXPECT_TRUE(engine_.queues().list().empty());
  EXPECT_EQ(engine_.retained().size(), 0u);
  EXPECT_EQ(engine_.sessions().size(), 0u);
  EXPECT_EQ(engine_.memory().used(), 0u);
}

TEST_F(StorageEngineTest, ResetRestoresMarkedInitialState) {
  seed();
  const uint64_t seeded_bytes = engine_.memory().used();
  engine_.mark_initial_state();
  auto original_topic = engine_.logs().find("orders");
  auto original_queue = engine_.queues().find("/", "jobs");

  // Mutate everything.
  ASSERT_TRUE(original_topic->partition(0)->append("later", 4, 400).ok());
  ASSERT_TRUE(engine_.logs().add_partitions("orders", 3).ok());
  ASSERT_TRUE(engine_.logs().create_topic("scratch", 1).ok());
  auto unacked = original_queue->pop(clock_.now()).delivery;
  original_queue->purge();
  engine_.queues().declare("/", "temp", {});
  engine_.retained().clear("lights/kitchen");
  engine_.sessions().remove("sensor-1");
  engine_.sessions().open("other");

  engine_.reset();
  EXPECT_EQ(engine_.logs().find("scratch"), nullptr);
  EXPECT_EQ(engine_.queues().find("/", "temp"), nullptr);
  EXPECT_EQ(engine_.sessions().find("other"), nullptr);
  // Objects present in both states keep their identity.
  EXPECT_EQ(engine_.logs().find("orders"), original_topic);
  EXPECT_EQ(engine_.queues().find("/", "jobs"), original_queue);
  EXPECT_FALSE(original_queue->ack(unacked->id));  // deliveries before reset are gone
  EXPECT_EQ(engine_.memory().used(), seeded_bytes);
  expect_seeded_state();

  // Resetting again after more changes gives the same state.
  ASSERT_TRUE(original_topic->partition(1)->append("x", 1, 1).ok());
  engine_.reset();
  EXPECT_EQ(original_topic->partition(1)->high_watermark(), 1);
}

TEST_F(StorageEngineTest, ResetWakesWaitersAndNotifiesObservers) {
  auto topic = *engine_.logs().create_topic("t", 1);
  engine_.mark_initial_state();
  std::vector<std::string> events;
  topic->partition(0)->wait_for_data(0, [&](WaitOutcome outcome) {
    events.push_back(outcome == WaitOutcome::kPartitionReset ? "waiter:reset" : "waiter:other");
  });
  const ObserverToken token = engine_.add_reset_observer([&](StateChange change) {
    events.push_back(change == StateChange::kReset ? "observer:reset" : "observer:restored");
    EXPECT_NE(engine_.logs().find("t"), nullptr);  // observers may call into storage
  });
  engine_.reset();
  EXPECT_EQ(events, (std::vector<std::string>{"waiter:reset", "observer:reset"}));
  EXPECT_TRUE(engine_.remove_reset_observer(token));
  engine_.reset();
  EXPECT_EQ(events.size(), 2u);
}

TEST_F(StorageEngineTest, ResetOfSomePartsLeavesTheOthersAndTheirObservers) {
  engine_.mark_initial_state();
  ASSERT_TRUE(engine_.logs().create_topic("scratch", 1).ok());
  engine_.queues().declare("/", "temp", {});
  RetainedMessage retained;
  retained.payload = make_bytes("on");
  ASSERT_TRUE(engine_.retained().set("lights", retained).ok());
  engine_.sessions().open("other");
  int queue_observer_calls = 0;
  int log_observer_calls = 0;
  const auto queue_token =
      engine_.add_reset_observer([&](StateChange) { ++queue_observer_calls; }, kQueueParts);
  const auto log_token =
      engine_.add_reset_observer([&](StateChange) { ++log_observer_calls; }, kLogParts);

  engine_.reset(kRetainedParts | kSessionParts);
  EXPECT_EQ(engine_.retained().size(), 0u);
  EXPECT_EQ(engine_.sessions().find("other"), nullptr);
  EXPECT_NE(engine_.logs().find("scratch"), nullptr);
  EXPECT_NE(engine_.queues().find("/", "temp"), nullptr);
  EXPECT_EQ(queue_observer_calls + log_observer_calls, 0);

  engine_.reset(kLogParts);
  EXPECT_EQ(engine_.logs().find("scratch"), nullptr);
  EXPECT_NE(engine_.queues().find("/", "temp"), nullptr);
  EXPECT_EQ(log_observer_calls, 1);
  EXPECT_EQ(queue_observer_calls, 0);

  engine_.reset();
  EXPECT_EQ(engine_.queues().find("/", "temp"), nullptr);
  EXPECT_EQ(queue_observer_calls, 1);
  EXPECT_EQ(log_observer_calls, 2);
  EXPECT_TRUE(engine_.remove_reset_observer(queue_token));
  EXPECT_TRUE(engine_.remove_reset_observer(log_token));
}

TEST_F(StorageEngineTest, SnapshotExtensionsRoundTripAndWaitForTheirBroker) {
  std::string groups = "offsets-v1";
  engine_.add_snapshot_extension("groups", {[&] { return groups; }, [](std::string_view) {}});
  engine_.add_snapshot_extension("topology",
                                 {[] { return std::string("\0bin", 4); }, [](std::string_view) {}});
  const auto path = directory_ / "ext.snap";
  ASSERT_TRUE(engine_.snapshot_to_file(path).ok());

  // A later engine: "groups" registers before the restore, "topology" after.
  Engine other;
  std::vector<std::string> restored;
  other.add_snapshot_extension("groups", {[] { return std::string(); },
                                          [&](std::string_view data) {
                                            restored.push_back("groups:" + std::string(data));
                                          }});
  ASSERT_TRUE(other.restore_from_file(path).ok());
  EXPECT_TRUE(restored.empty());  // handed over by restore_extensions(), once
  other.restore_extensions();
  other.restore_extensions();
  EXPECT_EQ(restored, (std::vector<std::string>{"groups:offsets-v1"}));
  other.add_snapshot_extension("topology", {[] { return std::string(); },
                                            [&](std::string_view data) {
                                              restored.push_back("topology:" + std::string(data));
                                            }});
  ASSERT_EQ(restored.size(), 2u);
  EXPECT_EQ(restored[1], std::string("topology:\0bin", 13));
}

TEST_F(StorageEngineTest, UnackedAtMarkComeBackAsRedelivered) {
  auto queue = engine_.queues().declare("/", "q", {}).queue;
  ASSERT_TRUE(queue->push(make_message("a")).ok());
  ASSERT_TRUE(queue->push(make_message("b")).ok());
  queue->pop(clock_.now());
  engine_.mark_initial_state();
  engine_.reset();
  EXPECT_EQ(queue->unacked_count(), 0u);
  auto first = queue->pop(clock_.now()).delivery;
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(*first->message.body, "a");
  EXPECT_TRUE(first->message.redelivered);
}

TEST_F(StorageEngineTest, ResetSkipsUnchangedObjectsButRestoresChangedOnes) {
  seed();
  engine_.mark_initial_state();
  engine_.reset();        // nothing changed: everything is skipped
  expect_seeded_state();  // (pops two queue messages)
  engine_.reset();
  expect_seeded_state();

  // Change each store, reset, then reset again without changes in between.
  RetainedMessage retained;
  retained.payload = make_bytes("off");
  ASSERT_TRUE(engine_.retained().set("lights/kitchen", retained).ok());
  engine_.sessions().find("sensor-1")->unsubscribe("cmd/#");
  ASSERT_TRUE(engine_.logs().find("orders")->partition(1)->append("z", 1, 1).ok());
  engine_.reset();
  engine_.reset();
  expect_seeded_state();

  // A change after a reset is undone by the next reset too.
  ASSERT_TRUE(engine_.retained().set("lights/kitchen", retained).ok());
  engine_.reset();
  EXPECT_EQ(*engine_.retained().get("lights/kitchen", clock_.now())->payload, "on");
}

TEST_F(StorageEngineTest, ResetOfHundredThousandMessagesIsFast) {
  auto topic = *engine_.logs().create_topic("bulk", 1);
  auto partition = topic->partition(0);
  auto queue = engine_.queues().declare("/", "bulk", {}).queue;
  const Bytes shared_body = make_bytes(std::string(100, 'x'));
  constexpr int kMessages = 100'000;
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(partition->append(std::string(100, 'x'), 1, i).ok());
    Message message;
    message.body = shared_body;
    ASSERT_TRUE(queue->push(std::move(message)).ok());
  }
  engine_.mark_initial_state();
  for (int i = 0; i < 1000; ++i) queue->ack(queue->pop(clock_.now()).delivery->id);
  ASSERT_TRUE(partition->delete_records(50'000).ok());

  engine_.reset();
  const auto elapsed = engine_.last_reset_duration();
  std::printf("[ timing ] reset of %d log batches + %d queue messages took %.2f ms\n", kMessages,
              kMessages, static_cast<double>(elapsed.count()) / 1000.0);
  RecordProperty("reset_microseconds", static_cast<int>(elapsed.count()));
  EXPECT_EQ(partition->log_start_offset(), 0);
  EXPECT_EQ(partition->high_watermark(), kMessages);
  EXPECT_EQ(queue->ready_count(), static_cast<uint64_t>(kMessages));

  engine_.reset();  // unchanged since the last reset: skipped
  std::printf("[ timing ] reset with nothing changed took %.3f ms\n",
              static_cast<double>(engine_.last_reset_duration().count()) / 1000.0);
  EXPECT_EQ(queue->ready_count(), static_cast<uint64_t>(kMessages));
}

TEST_F(StorageEngineTest, SnapshotRoundTrip) {
  seed();
  const std::filesystem::path path = directory_ / "state.snap";
  ASSERT_TRUE(engine_.snapshot_to_file(path).ok());
  EXPECT_FALSE(std::filesystem::exists(directory_ / "state.snap.tmp"));
  const TopicId orders_id = engine_.logs().find("orders")->id();
  const uint64_t bytes_before = engine_.memory().used();

  Engine restored(options_with_clock(clock_));
  bool observed = false;
  restored.add_reset_observer(
      [&](StateChange change) { observed = change == StateChange::kRestored; });
  auto status = restored.restore_from_file(path);
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_TRUE(observed);
  EXPECT_EQ(restored.logs().find(orders_id), restored.logs().find("orders"));
  EXPECT_EQ(restored.memory().used(), bytes_before);

  const EngineStats stats = restored.stats();
  EXPECT_EQ(stats.logs.topic_count, 1u);
  EXPECT_EQ(stats.logs.partition_count, 2u);
  EXPECT_EQ(stats.queues.ready_count, 3u);
  EXPECT_EQ(stats.retained_count, 1u);
  EXPECT_EQ(stats.sessions.session_count, 1u);
  EXPECT_EQ(stats.sessions.offline_messages, 1u);

  // Wipe the original engine (nothing was marked) and restore it in detail.
  engine_.reset();
  ASSERT_EQ(engine_.memory().used(), 0u);
  ASSERT_TRUE(engine_.restore_from_file(path).ok());
  EXPECT_EQ(engine_.logs().find("orders")->id(), orders_id);
  expect_seeded_state();
}

class StorageCorruptSnapshotTest : public StorageEngineTest {
 protected:
  std::string good_snapshot() {
    seed();
    const std::filesystem::path path = directory_ / "good.snap";
    EXPECT_TRUE(engine_.snapshot_to_file(path).ok());
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  Status restore_bytes(const std::string& bytes) {
    const std::filesystem::path path = directory_ / "bad.snap";
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
    return engine_.restore_from_file(path);
  }

  void expect_error_naming_file(const Status& status, ErrorCode code, std::string_view detail) {
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.code(), code) << status.error().message;
    EXPECT_NE(status.error().message.find((directory_ / "bad.snap").string()), std::string::npos)
        << status.error().message;
    EXPECT_NE(status.error().message.find(detail), std::string::npos) << status.error().message;
  }
};

TEST_F(StorageCorruptSnapshotTest, MissingFile) {
  auto status = engine_.restore_from_file(directory_ / "bad.snap");
  expect_error_naming_file(status, ErrorCode::kSnapshotIo, "No such file");
}

TEST_F(StorageCorruptSnapshotTest, TruncatedFile) {
  const std::string bytes = good_snapshot();
  for (std::size_t size : {std::size_t{0}, std::size_t{10}, bytes.size() / 2, bytes.size() - 1}) {
    expect_error_naming_file(restore_bytes(bytes.substr(0, size)), ErrorCode::kSnapshotCorrupt,
                             "truncated");
  }
  expect_seeded_state();  // the failed restores left the state alone
}

TEST_F(StorageCorruptSnapshotTest, FlippedByteFailsChecksum) {
  std::string bytes = good_snapshot();
  bytes[bytes.size() / 2] ^= 0x5a;
  expect_error_naming_file(restore_bytes(bytes), ErrorCode::kSnapshotCorrupt, "checksum");
}

TEST_F(StorageCorruptSnapshotTest, BadMagicAndVersion) {
  std::string bytes = good_snapshot();
  std::string bad_magic = bytes;
  bad_magic[0] = 'X';
  expect_error_naming_file(restore_bytes(bad_magic), ErrorCode::kSnapshotCorrupt, "magic");
  std::string bad_version = bytes;
  bad_version[8] = 9;
  expect_error_naming_file(restore_bytes(bad_version), ErrorCode::kSnapshotVersion, "version 9");
}

// Rewrites a snapshot's envelope around a new payload (size and checksum).
std::string with_payload(uint32_t version, const std::string& payload) {
  std::string file = "MFSNAPSH";
  for (int i = 0; i < 4; ++i) file.push_back(static_cast<char>((version >> (8 * i)) & 0xff));
  const uint64_t size = payload.size();
  for (int i = 0; i < 8; ++i) file.push_back(static_cast<char>((size >> (8 * i)) & 0xff));
  file += payload;
  const uint32_t crc = crc32(file);
  for (int i = 0; i < 4; ++i) file.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  return file;
}

TEST_F(StorageCorruptSnapshotTest, VersionOneFilesAreStillRead) {
  // A queue message as version 1 wrote it: no CC/BCC key lists after the
  // routing key.
  auto queue = engine_.queues().declare("/", "old", QueueOptions{}).queue;
  ASSERT_TRUE(queue->push(make_message("kept")).ok());
  const std::filesystem::path path = directory_ / "v3.snap";
  ASSERT_TRUE(engine_.snapshot_to_file(path).ok());
  std::ifstream in(path, std::ios::binary);
  const std::string v3((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string payload = v3.substr(20, v3.size() - 24);
  // Version 3 ends with the extension count (0 here); earlier versions have none.
  ASSERT_EQ(payload.substr(payload.size() - 4), std::string(4, '\0'));
  payload.erase(payload.size() - 4);
  const std::string keys = std::string("\x02\x00\x00\x00rk", 6) + std::string(8, '\0');
  const std::size_t at = payload.find(keys);
  ASSERT_NE(at, std::string::npos);
  payload.erase(at + 6, 8);
  engine_.reset();
  ASSERT_TRUE(restore_bytes(with_payload(1, payload)).ok());
  auto restored = engine_.queues().find("/", "old");
  ASSERT_NE(restored, nullptr);
  const Message message = restored->pop(clock_.now()).delivery->message;
  EXPECT_EQ(*message.body, "kept");
  EXPECT_EQ(message.routing_key, "rk");
  EXPECT_TRUE(message.cc_routing_keys.empty());
}

TEST_F(StorageCorruptSnapshotTest, StructurallyBadPayloadWithValidChecksum) {
  // A valid envelope around a payload that claims more topics than it holds.
  std::string payload = std::string("\xff\xff\xff\x7f", 4);
  std::string file = "MFSNAPSH";
  file += std::string("\x01\x00\x00\x00", 4);
  const uint64_t size = payload.size();
  for (int i = 0; i < 8; ++i) file.push_back(static_cast<char>((size >> (8 * i)) & 0xff));
  file += payload;
  const uint32_t crc = crc32(file);
  for (int i = 0; i < 4; ++i) file.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  expect_error_naming_file(restore_bytes(file), ErrorCode::kSnapshotCorrupt, "element count");
}

TEST_F(StorageCorruptSnapshotTest, EveryTruncationAndByteFlipIsRejectedCleanly) {
  const std::string bytes = good_snapshot();
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    EXPECT_FALSE(decode_snapshot(std::string_view(bytes).substr(0, size), "x").ok());
  }
  for (std::size_t index = 0; index < bytes.size(); ++index) {
    std::string flipped = bytes;
    flipped[index] ^= 0x01;
    EXPECT_FALSE(decode_snapshot(flipped, "x").ok()) << "flip at " << index;
  }
}

TEST_F(StorageEngineTest, MemoryCapAppliesAcrossStores) {
  EngineOptions options;
  options.memory_cap_bytes = 100;
  options.near_cap_fraction = 0.8;
  Engine capped(options);
  auto partition = (*capped.logs().create_topic("t", 1))->partition(0);
  ASSERT_TRUE(partition->append(std::string(70, 'x'), 1, 1).ok());
  EXPECT_FALSE(capped.near_memory_cap());
  auto queue = capped.queues().declare("/", "q", {}).queue;
  Message message;
  message.body = make_bytes(std::string(16, 'y'));
  ASSERT_TRUE(queue->push(message).ok());
  EXPECT_TRUE(capped.near_memory_cap());
  EXPECT_EQ(queue->push(message).code(), ErrorCode::kStorageFull);
  RetainedMessage retained;
  retained.payload = make_bytes(std::string(20, 'z'));
  EXPECT_EQ(capped.retained().set("a", retained).code(), ErrorCode::kStorageFull);
  EXPECT_EQ(partition->append(std::string(20, 'x'), 1, 1).code(), ErrorCode::kStorageFull);
  const EngineStats stats = capped.stats();
  EXPECT_EQ(stats.memory_used, 86u);
  EXPECT_EQ(stats.memory_cap, 100u);
  EXPECT_EQ(capped.memory().used(MemoryCategory::kLogs), 70u);
  EXPECT_EQ(capped.memory().used(MemoryCategory::kQueues), 16u);
}

// Producers, readers with waiters, queue traffic and resets all at once: must
// stay consistent and clean under ThreadSanitizer.
TEST_F(StorageEngineTest, ConcurrentTrafficWithResets) {
  auto topic = *engine_.logs().create_topic("live", 2);
  auto queue = engine_.queues().declare("/", "live", {}).queue;
  engine_.mark_initial_state();
  std::atomic<int> resets_observed{0};
  engine_.add_reset_observer([&](StateChange) { ++resets_observed; });
  std::atomic<bool> stop{false};
  std::atomic<int> wakeups{0};

  std::vector<std::thread> threads;
  for (int producer = 0; producer < 2; ++producer) {
    threads.emplace_back([&, producer] {
      while (!stop) {
        (void)topic->partition(producer)->append("data", 1, clock_.now_millis());
        (void)queue->push(make_message("m"));
      }
    });
  }
  threads.emplace_back([&] {
    while (!stop) {
      auto partition = topic->partition(0);
      const int64_t high_watermark = partition->high_watermark();
      auto read = partition->read(partition->log_start_offset(), 512);
      if (read.ok()) {
        for (const BatchRef& batch : read->batches) EXPECT_EQ(batch.bytes.view(), "data");
      }
      const WaitToken token =
          partition->wait_for_data(high_watermark, [&](WaitOutcome) { ++wakeups; });
      if (token != kWaitFiredImmediately) partition->cancel_wait(token);
      if (auto delivery = queue->pop(clock_.now()).delivery) queue->ack(delivery->id);
    }
  });
  for (int i = 0; i < 20; ++i) {
    std::this_thread::sleep_for(milliseconds(2));
    engine_.reset();
    (void)engine_.stats();
  }
  stop = true;
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(resets_observed.load(), 20);
  engine_.reset();
  EXPECT_EQ(topic->partition(0)->high_watermark(), 0);
  EXPECT_EQ(queue->ready_count() + queue->unacked_count(), 0u);
  EXPECT_EQ(engine_.memory().used(), 0u);
}

}  // namespace
}  // namespace mockforge::storage
