// core/net over real loopback sockets, with a toy length-prefixed protocol:
// a 2-byte big-endian length, then that many bytes; the server echoes each
// frame back. Length 0xFFFF is "too large" for the protocol.
#include "core/net/connection.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <ctime>
#include <future>
#include <thread>

#include "core/runtime/listener.h"
#include "core/runtime/runtime.h"

namespace mockforge::net {
namespace {

namespace asio = boost::asio;

struct Events {
  std::atomic<int> frames{0};
  std::atomic<int> invalid{0};
  std::atomic<int> idle{0};
  std::atomic<int> shutdown{0};
  std::atomic<int> drained{0};
  std::promise<std::string> closed;
  std::atomic<bool> closed_once{false};
  std::shared_ptr<Connection> paused_connection;
};

constexpr std::size_t kLargeAnswerBytes = 1 << 20;

class EchoProtocol : public FrameProtocol {
 public:
  EchoProtocol(Connection& connection, Events& events) : connection_(connection), events_(events) {}

  FrameStatus next_frame(std::span<const uint8_t> unread) override {
    if (unread.size() < 2) return FrameStatus::need_more(2);
    const std::size_t length = (std::size_t(unread[0]) << 8) | unread[1];
    if (length == 0xFFFF) return FrameStatus::invalid("length 65535 is reserved");
    if (unread.size() < 2 + length) return FrameStatus::need_more(2 + length);
    return FrameStatus::complete(2 + length);
  }
  // A frame "P" pauses reading, "R" (sent from another thread, below)
  // resumes it; "A" is answered with 1 MiB, "D" too and then asks for
  // on_output_drained(); everything else is echoed.
  void on_frame(std::span<const uint8_t> frame) override {
    ++events_.frames;
    if (frame.size() == 3 && (frame[2] == 'A' || frame[2] == 'D')) {
      connection_.send(std::vector<uint8_t>(kLargeAnswerBytes, frame[2]));
      if (frame[2] == 'D') connection_.notify_when_drained();
      return;
    }
    if (frame.size() == 3 && frame[2] == 'P') {
      connection_.pause_reading();
      events_.paused_connection = connection_.shared_from_this();
    }
    connection_.send(std::vector<uint8_t>(frame.begin(), frame.end()));
  }
  void on_invalid_frame(std::string_view) override {
    ++events_.invalid;
    connection_.send({0, 3, 'b', 'a', 'd'});
  }
  void on_idle_timeout() override {
    ++events_.idle;
    connection_.close_after_flush("idle");
  }
  void on_server_shutdown() override {
    ++events_.shutdown;
    connection_.send({0, 3, 'b', 'y', 'e'});
    connection_.close_after_flush("server shutdown");
  }
  void on_output_drained() override { ++events_.drained; }
  void on_closed(std::string_view reason) override {
    // The first connection to close (tests with several look at none).
    if (!events_.closed_once.exchange(true)) events_.closed.set_value(std::string(reason));
  }

 private:
  Connection& connection_;
  Events& events_;
};

// Every test runs in both read modes: the per-thread scratch buffer after a
// readiness wait (MQTT), and a buffer the connection keeps (AMQP, Kafka).
class ConnectionTest : public ::testing::TestWithParam<bool> {
 protected:
  void start(ConnectionLimits limits = {}) {
    limits.keep_read_buffer = GetParam();
    listener_ = std::make_unique<runtime::TcpListener>(
        runtime_.io(), "test", std::vector<std::string>{"127.0.0.1"}, 0,
        [this, limits](runtime::Socket socket) {
          Connection::start(std::move(socket), limits, set_, [this](Connection& c) {
            return std::make_unique<EchoProtocol>(c, events_);
          });
        });
    listener_->start();
    runtime_.start();
  }
  void TearDown() override {
    if (listener_) listener_->close();
    set_.abort_all("test over");
    runtime_.stop();
  }

  int connect_client() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(listener_->port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
  }

  static std::string read_exactly(int fd, std::size_t n) {
    std::string out(n, '\0');
    std::size_t got = 0;
    while (got < n) {
      const auto r = ::recv(fd, out.data() + got, n - got, 0);
      if (r <= 0) break;
      got += static_cast<std::size_t>(r);
    }
    out.resize(got);
    return out;
  }

  runtime::Runtime runtime_{2};
  ConnectionSet set_;
  Events events_;
  std::unique_ptr<runtime::TcpListener> listener_;
};

TEST_P(ConnectionTest, EchoesFramesSplitAcrossWritesAndCoalesced) {
  start();
  const int fd = connect_client();
  // One frame in two pieces, then two frames in one write.
  ASSERT_EQ(::send(fd, "\x00\x05he", 4, 0), 4);
  ::usleep(20000);
  ASSERT_EQ(::send(fd, "llo\x00\x01!\x00\x02ok", 11, 0), 11);
  EXPECT_EQ(read_exactly(fd, 7 + 3 + 4), std::string("\x00\x05hello\x00\x01!\x00\x02ok", 14));
  EXPECT_EQ(events_.frames.load(), 3);
  ::close(fd);
  auto closed = events_.closed.get_future();
  ASSERT_EQ(closed.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(closed.get(), "closed by peer");
  EXPECT_EQ(set_.size(), 0u);
}

TEST_P(ConnectionTest, LargeFramesBetweenSmallOnes) {
  start();
  const int fd = connect_client();
  // Frames larger than a read chunk (16 KiB) grow the buffer; the small
  // frames after them still arrive whole and in order.
  std::string out;
  for (const std::size_t length : {3u, 40000u, 5u, 65000u, 1u}) {
    out += static_cast<char>(length >> 8);
    out += static_cast<char>(length & 0xFF);
    for (std::size_t i = 0; i < length; ++i) out += static_cast<char>('a' + i % 26);
  }
  std::size_t sent = 0;
  while (sent < out.size()) {
    const auto n = ::send(fd, out.data() + sent, out.size() - sent, 0);
    ASSERT_GT(n, 0);
    sent += static_cast<std::size_t>(n);
  }
  EXPECT_EQ(read_exactly(fd, out.size()), out);
  EXPECT_EQ(events_.frames.load(), 5);
  ::close(fd);
}

TEST_P(ConnectionTest, InvalidFrameGetsReplyThenClose) {
  start();
  const int fd = connect_client();
  ASSERT_EQ(::send(fd, "\xff\xff", 2, 0), 2);
  EXPECT_EQ(read_exactly(fd, 5), std::string("\x00\x03"
                                             "bad",
                                             5));
  char byte;
  EXPECT_EQ(::recv(fd, &byte, 1, 0), 0);  // orderly close after the reply
  ::close(fd);
  auto closed = events_.closed.get_future();
  ASSERT_EQ(closed.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(closed.get(), "invalid frame: length 65535 is reserved");
}

TEST_P(ConnectionTest, OversizeLengthIsRefusedBeforeTheBodyArrives) {
  start(ConnectionLimits{.max_buffered_bytes = 1000});
  const int fd = connect_client();
  ASSERT_EQ(::send(fd, "\x10\x00", 2, 0), 2);  // announces 4096 bytes, over the limit
  EXPECT_EQ(read_exactly(fd, 5), std::string("\x00\x03"
                                             "bad",
                                             5));
  ::close(fd);
}

TEST_P(ConnectionTest, IdleTimeoutReachesProtocol) {
  start(ConnectionLimits{.idle_timeout = std::chrono::milliseconds(100)});
  const int fd = connect_client();
  char byte;
  EXPECT_EQ(::recv(fd, &byte, 1, 0), 0);
  EXPECT_EQ(events_.idle.load(), 1);
  ::close(fd);
}

TEST_P(ConnectionTest, IdleTimeoutWaitsWhileReadingIsHeldBack) {
  start(ConnectionLimits{.max_outbound_bytes = 64 * 1024,
                         .idle_timeout = std::chrono::milliseconds(100)});
  const int fd = connect_client();
  // 20 requests answered with 1 MiB each, not read: past the output limit the server stops
  // reading, with requests still unread. Its 100 ms idle timeout must wait meanwhile.
  std::string requests;
  const std::string request(
      "\x00\x01"
      "A",
      3);
  for (int i = 0; i < 20; ++i) requests += request;
  ASSERT_EQ(::send(fd, requests.data(), requests.size(), 0), 60);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_EQ(events_.idle.load(), 0) << "timed out while the server held reading back";
  EXPECT_LT(events_.frames.load(), 20);
  // Reading lets every answer through; then the client is silent and times out.
  EXPECT_EQ(read_exactly(fd, 20 * kLargeAnswerBytes).size(), 20 * kLargeAnswerBytes);
  char byte;
  EXPECT_EQ(::recv(fd, &byte, 1, 0), 0);
  EXPECT_EQ(events_.idle.load(), 1);
  EXPECT_EQ(events_.frames.load(), 20);
  ::close(fd);
}

TEST_P(ConnectionTest, ServerShutdownLetsProtocolSayGoodbye) {
  start();
  const int fd = connect_client();
  ASSERT_EQ(::send(fd, "\x00\x01x", 3, 0), 3);
  EXPECT_EQ(read_exactly(fd, 3), std::string("\x00\x01x", 3));
  set_.shutdown_all();
  EXPECT_EQ(read_exactly(fd, 5), std::string("\x00\x03"
                                             "bye",
                                             5));
  char byte;
  EXPECT_EQ(::recv(fd, &byte, 1, 0), 0);
  ::close(fd);
}

// Sends up to kFloodFrames 1,000-byte frames, with a 0.3 s send timeout, and
// returns how many bytes went out before a send timed out. Kernel buffers absorb
// a few MiB; a server that stops reading makes the sends time out well before
// the end.
constexpr std::size_t kFloodFrames = 100000;
constexpr std::size_t kFloodFrameBytes = 2 + 1000;
std::size_t send_until_blocked(int fd) {
  std::vector<char> frame(kFloodFrameBytes, 'x');
  frame[0] = 0x03;
  frame[1] = static_cast<char>(0xE8);
  timeval tv{0, 300000};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  std::size_t sent = 0;
  for (std::size_t i = 0; i < kFloodFrames; ++i) {
    const auto r = ::send(fd, frame.data(), frame.size(), 0);
    if (r <= 0) break;
    sent += static_cast<std::size_t>(r);
    if (static_cast<std::size_t>(r) < frame.size()) break;  // timed out part-way
  }
  return sent;
}

// Reads the echoes of a flood of `sent` bytes: every whole frame comes back, a
// partial last frame does not. Returns the bytes received.
std::size_t drain_echoes(int fd, std::size_t sent) {
  const std::size_t whole_frames_bytes = sent - sent % kFloodFrameBytes;
  timeval rtv{10, 0};  // generous: the machine may be busy
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &rtv, sizeof(rtv));
  std::vector<char> sink(1 << 16);
  std::size_t received = 0;
  while (received < whole_frames_bytes) {
    const auto r = ::recv(fd, sink.data(), sink.size(), 0);
    if (r <= 0) break;
    received += static_cast<std::size_t>(r);
  }
  return received;
}

TEST_P(ConnectionTest, SlowReaderPausesReadingInsteadOfGrowingWithoutBound) {
  start(ConnectionLimits{.max_outbound_bytes = 64 * 1024});
  const int fd = connect_client();
  // Send up to 100 MB of frames without reading the echoes. Kernel buffers
  // absorb a few MiB; past that the server must stop reading, because its
  // outbound queue is full, so our sends eventually time out.
  const std::size_t sent = send_until_blocked(fd);
  EXPECT_LT(sent, kFloodFrames * kFloodFrameBytes)
      << "server kept reading while its output was stuck";
  // Draining the echoes lets everything through.
  EXPECT_EQ(drain_echoes(fd, sent), sent - sent % kFloodFrameBytes);
  ::close(fd);
}

TEST_P(ConnectionTest, FramesReadWaitWhileTheirAnswersAreOverTheOutputLimit) {
  start(ConnectionLimits{.max_outbound_bytes = 64 * 1024});
  const int fd = connect_client();
  // 100 requests in one write, each answered with 1 MiB, never read: the
  // server handles them only as its output drains (a few fill the kernel's
  // buffers), not all at once into 100 MiB of queued answers.
  std::string requests;
  const std::string request(
      "\x00\x01"
      "A",
      3);
  for (int i = 0; i < 100; ++i) requests += request;
  ASSERT_EQ(::send(fd, requests.data(), requests.size(), 0), 300);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_LT(events_.frames.load(), 50) << "frames handled while the output was over its limit";
  // Reading lets every one through, in order.
  const std::string answers = read_exactly(fd, 100 * kLargeAnswerBytes);
  EXPECT_EQ(answers.size(), 100 * kLargeAnswerBytes);
  EXPECT_EQ(std::count(answers.begin(), answers.end(), 'A'), 100 * kLargeAnswerBytes);
  EXPECT_EQ(events_.frames.load(), 100);
  ::close(fd);
}

TEST_P(ConnectionTest, DrainNoticeComesOnceTheOutputIsWritten) {
  start();
  const int fd = connect_client();
  ASSERT_EQ(::send(fd,
                   "\x00\x01"
                   "D",
                   3, 0),
            3);
  EXPECT_EQ(read_exactly(fd, kLargeAnswerBytes).size(), kLargeAnswerBytes);
  for (int i = 0; i < 500 && events_.drained.load() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(events_.drained.load(), 1);
  ::close(fd);
}

TEST_P(ConnectionTest, PausedReadingLeavesFramesUnreadUntilResumed) {
  start();
  const int fd = connect_client();
  // "P" pauses; the two frames behind it arrive in the same write but must
  // not be handled (nor read from the socket, had they come later) until
  // the protocol resumes.
  ASSERT_EQ(::send(fd,
                   "\x00\x01P\x00\x01"
                   "a",
                   6, 0),
            6);
  EXPECT_EQ(read_exactly(fd, 3), std::string("\x00\x01P", 3));
  ASSERT_EQ(::send(fd,
                   "\x00\x01"
                   "b",
                   3, 0),
            3);
  // Nothing more comes back while paused.
  timeval short_wait{0, 300000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &short_wait, sizeof(short_wait));
  char byte;
  EXPECT_LT(::recv(fd, &byte, 1, 0), 0);
  EXPECT_EQ(events_.frames.load(), 1);
  auto connection = events_.paused_connection;
  ASSERT_TRUE(connection);
  std::promise<bool> was_paused;
  asio::post(connection->executor(), [&] {
    was_paused.set_value(connection->reading_paused());
    connection->resume_reading();
  });
  EXPECT_TRUE(was_paused.get_future().get());
  timeval long_wait{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &long_wait, sizeof(long_wait));
  EXPECT_EQ(read_exactly(fd, 6), std::string("\x00\x01"
                                             "a\x00\x01"
                                             "b",
                                             6));
  EXPECT_EQ(events_.frames.load(), 3);
  ::close(fd);
  auto closed = events_.closed.get_future();
  ASSERT_EQ(closed.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  events_.paused_connection.reset();
}

TEST_P(ConnectionTest, PausedReadingStopsReadingTheSocket) {
  start();
  const int fd = connect_client();
  ASSERT_EQ(::send(fd, "\x00\x01P", 3, 0), 3);
  EXPECT_EQ(read_exactly(fd, 3), std::string("\x00\x01P", 3));
  // While paused the server reads nothing, so the kernel buffers fill and
  // our sends eventually time out.
  const std::size_t sent = send_until_blocked(fd);
  EXPECT_LT(sent, kFloodFrames * kFloodFrameBytes) << "server kept reading while paused";
  EXPECT_EQ(events_.frames.load(), 1);
  auto connection = events_.paused_connection;
  ASSERT_TRUE(connection);
  asio::post(connection->executor(), [connection] { connection->resume_reading(); });
  EXPECT_EQ(drain_echoes(fd, sent), sent - sent % kFloodFrameBytes);
  ::close(fd);
  events_.paused_connection.reset();
}

TEST_P(ConnectionTest, IdleConnectionsSurviveManyTimeoutChanges) {
  start();
  const int fd = connect_client();
  ASSERT_EQ(::send(fd, "\x00\x01x", 3, 0), 3);
  EXPECT_EQ(read_exactly(fd, 3), std::string("\x00\x01x", 3));
  auto snapshot = std::make_shared<std::promise<std::shared_ptr<Connection>>>();
  set_.for_each([&](const std::shared_ptr<Connection>& c) { snapshot->set_value(c); });
  auto connection = snapshot->get_future().get();
  // Shortening the deadline cancels the pending wait; the new one applies.
  std::promise<void> changed;
  asio::post(connection->executor(), [&] {
    connection->set_idle_timeout(std::chrono::hours(1));
    connection->set_idle_timeout(std::chrono::milliseconds(0));
    connection->set_idle_timeout(std::chrono::milliseconds(100));
    changed.set_value();
  });
  changed.get_future().get();
  char byte;
  EXPECT_EQ(::recv(fd, &byte, 1, 0), 0);  // the protocol closes on idle
  EXPECT_EQ(events_.idle.load(), 1);
  ::close(fd);
}

// Placement (core/runtime/context_pool.h): connections share an idle
// thread, and go to another one once it is busy.
TEST_P(ConnectionTest, ConnectionsShareAnIdleThreadUntilItIsBusy) {
  start();
  auto contexts_of_connections = [this] {
    std::vector<const asio::io_context*> contexts;
    set_.for_each([&](const std::shared_ptr<Connection>& c) {
      contexts.push_back(&c->executor().context());
    });
    return contexts;
  };
  auto echo = [this](int fd) {
    ASSERT_EQ(::send(fd, "\x00\x01x", 3, 0), 3);
    EXPECT_EQ(read_exactly(fd, 3), std::string("\x00\x01x", 3));
  };
  const int first = connect_client();
  echo(first);
  const int second = connect_client();
  echo(second);
  auto contexts = contexts_of_connections();
  ASSERT_EQ(contexts.size(), 2u);
  EXPECT_EQ(contexts[0], contexts[1]) << "two connections to an idle server got different threads";

  // Keep that thread busy for 400 ms of its CPU time; the next connection is
  // accepted there too (the listener runs on the first context), right after.
  auto thread_cpu = [] {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return std::chrono::seconds(t.tv_sec) + std::chrono::nanoseconds(t.tv_nsec);
  };
  std::promise<double> busy_share;
  auto shared = std::shared_ptr<Connection>();
  set_.for_each([&](const std::shared_ptr<Connection>& c) { shared = c; });
  asio::post(shared->executor(), [&] {
    const auto wall_start = std::chrono::steady_clock::now();
    const auto cpu_start = thread_cpu();
    while (thread_cpu() - cpu_start < std::chrono::milliseconds(400)) {
    }
    busy_share.set_value(
        std::chrono::duration<double>(thread_cpu() - cpu_start).count() /
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count());
  });
  const int third = connect_client();
  const double share = busy_share.get_future().get();
  echo(third);
  if (share < 0.7) {
    GTEST_SKIP() << "the machine is too loaded to keep a thread busy (" << share << ")";
  }
  contexts = contexts_of_connections();
  ASSERT_EQ(contexts.size(), 3u);
  const auto* busy = &shared->executor().context();
  EXPECT_EQ(std::count(contexts.begin(), contexts.end(), busy), 2)
      << "the connection accepted while its thread was busy went there anyway";
  shared.reset();
  ::close(first);
  ::close(second);
  ::close(third);
}

INSTANTIATE_TEST_SUITE_P(ReadModes, ConnectionTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "KeptBuffer" : "ScratchBuffer";
                         });

}  // namespace
}  // namespace mockforge::net
