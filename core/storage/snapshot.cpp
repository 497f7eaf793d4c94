#include "core/storage/snapshot.h"

#include <fmt/format.h>

#include <array>
#include <cstring>
#include <stdexcept>

namespace mockforge::storage {
namespace {

constexpr std::string_view kMagic = "MFSNAPSH";
constexpr std::size_t kHeaderSize = 8 + 4 + 8;
constexpr std::size_t kTrailerSize = 4;

int64_t to_nanos(TimePoint time) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
}
TimePoint from_nanos(int64_t nanos) {
  return TimePoint(std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(nanos)));
}

class Writer {
 public:
  void u8(uint8_t value) { out_.push_back(static_cast<char>(value)); }
  void u32(uint32_t value) { fixed(value); }
  void u64(uint64_t value) { fixed(value); }
  void i32(int32_t value) { fixed(static_cast<uint32_t>(value)); }
  void i64(int64_t value) { fixed(static_cast<uint64_t>(value)); }
  void boolean(bool value) { u8(value ? 1 : 0); }
  void string(std::string_view value) {
    u32(static_cast<uint32_t>(value.size()));
    out_.append(value);
  }
  void bytes(const Bytes& value) {
    boolean(value != nullptr);
    if (value) string(*value);
  }
  // Same encoding as bytes(): presence, then the contents.
  void slice(const ByteSlice& value) {
    boolean(static_cast<bool>(value));
    if (value) string(value.view());
  }
  void time(TimePoint value) { i64(to_nanos(value)); }
  void optional_time(const std::optional<TimePoint>& value) {
    boolean(value.has_value());
    if (value) time(*value);
  }
  void optional_u64(const std::optional<uint64_t>& value) {
    boolean(value.has_value());
    if (value) u64(*value);
  }
  void optional_millis(const std::optional<std::chrono::milliseconds>& value) {
    boolean(value.has_value());
    if (value) i64(value->count());
  }
  void count(std::size_t value) { u32(static_cast<uint32_t>(value)); }
  std::string& buffer() { return out_; }

 private:
  template <typename Unsigned>
  void fixed(Unsigned value) {
    for (std::size_t i = 0; i < sizeof(Unsigned); ++i) {
      out_.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
    }
  }
  std::string out_;
};

// Thrown only inside decode_snapshot and turned into an Error there.
struct DecodeFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Reader {
 public:
  Reader(std::string_view data, uint32_t version) : data_(data), version_(version) {}

  // The file's format version.
  uint32_t version() const { return version_; }

  uint8_t u8() { return static_cast<uint8_t>(take(1)[0]); }
  uint32_t u32() { return fixed<uint32_t>(); }
  uint64_t u64() { return fixed<uint64_t>(); }
  int32_t i32() { return static_cast<int32_t>(fixed<uint32_t>()); }
  int64_t i64() { return static_cast<int64_t>(fixed<uint64_t>()); }
  bool boolean() {
    const uint8_t value = u8();
    if (value > 1) fail(fmt::format("invalid boolean {}", value));
    return value == 1;
  }
  std::string string() {
    const uint32_t size = u32();
    return std::string(take(size));
  }
  Bytes bytes() { return boolean() ? make_bytes(string()) : nullptr; }
  ByteSlice slice() { return boolean() ? ByteSlice::copy_of(string()) : ByteSlice(); }
  TimePoint time() { return from_nanos(i64()); }
  std::optional<TimePoint> optional_time() {
    return boolean() ? std::optional<TimePoint>(time()) : std::nullopt;
  }
  std::optional<uint64_t> optional_u64() {
    return boolean() ? std::optional<uint64_t>(u64()) : std::nullopt;
  }
  std::optional<std::chrono::milliseconds> optional_millis() {
    return boolean() ? std::optional<std::chrono::milliseconds>(i64()) : std::nullopt;
  }
  // An element count; every element takes at least one byte, which bounds it.
  uint32_t count() {
    const uint32_t value = u32();
    if (value > remaining()) fail(fmt::format("element count {} exceeds the data left", value));
    return value;
  }
  std::size_t remaining() const { return data_.size() - position_; }
  std::size_t position() const { return position_; }

  [[noreturn]] void fail(const std::string& what) const {
    throw DecodeFailure(fmt::format("{} at payload byte {}", what, position_));
  }

 private:
  std::string_view take(std::size_t size) {
    if (size > remaining()) {
      fail(fmt::format("truncated: needed {} bytes, {} left", size, remaining()));
    }
    std::string_view chunk = data_.substr(position_, size);
    position_ += size;
    return chunk;
  }
  template <typename Unsigned>
  Unsigned fixed() {
    std::string_view chunk = take(sizeof(Unsigned));
    Unsigned value = 0;
    for (std::size_t i = 0; i < sizeof(Unsigned); ++i) {
      value |= static_cast<Unsigned>(static_cast<uint8_t>(chunk[i])) << (8 * i);
    }
    return value;
  }

  std::string_view data_;
  std::size_t position_ = 0;
  uint32_t version_;
};

void write_message(Writer& out, const Message& message) {
  out.bytes(message.body);
  out.bytes(message.properties);
  out.string(message.exchange);
  out.string(message.routing_key);
  out.count(message.cc_routing_keys.size());
  for (const std::string& key : message.cc_routing_keys) out.string(key);
  out.count(message.bcc_routing_keys.size());
  for (const std::string& key : message.bcc_routing_keys) out.string(key);
  out.u8(message.priority);
  out.optional_millis(message.ttl);
  out.optional_time(message.expires_at);
  out.boolean(message.redelivered);
  out.u32(message.delivery_count);
}

Message read_message(Reader& in) {
  Message message;
  message.body = in.bytes();
  message.properties = in.bytes();
  message.exchange = in.string();
  message.routing_key = in.string();
  if (in.version() >= 2) {
    message.cc_routing_keys.resize(in.count());
    for (std::string& key : message.cc_routing_keys) key = in.string();
    message.bcc_routing_keys.resize(in.count());
    for (std::string& key : message.bcc_routing_keys) key = in.string();
  }
  message.priority = in.u8();
  message.ttl = in.optional_millis();
  message.expires_at = in.optional_time();
  message.redelivered = in.boolean();
  message.delivery_count = in.u32();
  return message;
}

void write_topics(Writer& out, const std::vector<TopicImage>& topics) {
  out.count(topics.size());
  for (const TopicImage& topic : topics) {
    out.string(topic.name);
    out.buffer().append(reinterpret_cast<const char*>(topic.id.bytes.data()),
                        topic.id.bytes.size());
    out.count(topic.configs.size());
    for (const auto& [key, value] : topic.configs) {
      out.string(key);
      out.string(value);
    }
    out.count(topic.partitions.size());
    for (const PartitionImage& partition : topic.partitions) {
      out.i64(partition.log_start_offset);
      out.i64(partition.next_offset);
      out.count(partition.batches.size());
      for (const BatchRef& batch : partition.batches) {
        out.i64(batch.base_offset);
        out.i32(batch.record_count);
        out.i64(batch.max_timestamp);
        out.slice(batch.bytes);
      }
    }
  }
}

std::vector<TopicImage> read_topics(Reader& in) {
  std::vector<TopicImage> topics(in.count());
  for (TopicImage& topic : topics) {
    topic.name = in.string();
    if (!is_valid_topic_name(topic.name))
      in.fail(fmt::format("invalid topic name '{}'", topic.name));
    for (uint8_t& byte : topic.id.bytes) byte = in.u8();
    for (uint32_t i = 0, n = in.count(); i < n; ++i) {
      std::string key = in.string();
      topic.configs[key] = in.string();
    }
    topic.partitions.resize(in.count());
    for (PartitionImage& partition : topic.partitions) {
      partition.log_start_offset = in.i64();
      partition.next_offset = in.i64();
      if (partition.log_start_offset < 0 || partition.next_offset < partition.log_start_offset) {
        in.fail(fmt::format("topic {}: invalid offsets (log start {}, next {})", topic.name,
                            partition.log_start_offset, partition.next_offset));
      }
      partition.batches.resize(in.count());
      for (BatchRef& batch : partition.batches) {
        batch.base_offset = in.i64();
        batch.record_count = in.i32();
        batch.max_timestamp = in.i64();
        batch.bytes = in.slice();
        if (batch.record_count <= 0 || !batch.bytes ||
            batch.next_offset() > partition.next_offset) {
          in.fail(
              fmt::format("topic {}: invalid batch at offset {}", topic.name, batch.base_offset));
        }
      }
    }
  }
  return topics;
}

void write_queues(Writer& out, const std::vector<QueueImage>& queues) {
  out.count(queues.size());
  for (const QueueImage& queue : queues) {
    out.string(queue.vhost);
    out.string(queue.name);
    out.optional_u64(queue.options.max_length);
    out.optional_u64(queue.options.max_length_bytes);
    out.u8(static_cast<uint8_t>(queue.options.overflow));
    out.u8(queue.options.max_priority);
    out.optional_millis(queue.options.message_ttl);
    out.bytes(queue.options.broker_metadata);
    out.u64(queue.next_id);
    out.count(queue.levels.size());
    for (const auto& level : queue.levels) {
      out.count(level.size());
      for (const QueuedMessage& entry : level) {
        out.u64(entry.id);
        write_message(out, entry.message);
      }
    }
  }
}

std::vector<QueueImage> read_queues(Reader& in) {
  std::vector<QueueImage> queues(in.count());
  for (QueueImage& queue : queues) {
    queue.vhost = in.string();
    queue.name = in.string();
    queue.options.max_length = in.optional_u64();
    queue.options.max_length_bytes = in.optional_u64();
    const uint8_t overflow = in.u8();
    if (overflow > static_cast<uint8_t>(OverflowMode::kRejectPublish)) {
      in.fail(fmt::format("queue '{}': invalid overflow mode {}", queue.name, overflow));
    }
    queue.options.overflow = static_cast<OverflowMode>(overflow);
    queue.options.max_priority = in.u8();
    queue.options.message_ttl = in.optional_millis();
    queue.options.broker_metadata = in.bytes();
    queue.next_id = in.u64();
    queue.levels.resize(in.count());
    if (queue.levels.size() != static_cast<std::size_t>(queue.options.max_priority) + 1) {
      in.fail(fmt::format("queue '{}': {} priority levels for max priority {}", queue.name,
                          queue.levels.size(), queue.options.max_priority));
    }
    for (auto& level : queue.levels) {
      for (uint32_t i = 0, n = in.count(); i < n; ++i) {
        const MessageId id = in.u64();
        if (id >= queue.next_id || (!level.empty() && level.back().id >= id)) {
          in.fail(fmt::format("queue '{}': message id {} out of order", queue.name, id));
        }
        level.push_back(QueuedMessage{id, read_message(in)});
      }
    }
  }
  return queues;
}

void write_retained(Writer& out, const RetainedImage& image) {
  out.count(image.entries.size());
  for (const RetainedEntry& entry : image.entries) {
    out.string(entry.topic);
    out.bytes(entry.message.payload);
    out.u8(entry.message.qos);
    out.bytes(entry.message.properties);
    out.time(entry.message.stored_at);
    out.optional_time(entry.message.expires_at);
  }
}

RetainedImage read_retained(Reader& in) {
  RetainedImage image;
  image.entries.resize(in.count());
  for (RetainedEntry& entry : image.entries) {
    entry.topic = in.string();
    entry.message.payload = in.bytes();
    entry.message.qos = in.u8();
    entry.message.properties = in.bytes();
    entry.message.stored_at = in.time();
    entry.message.expires_at = in.optional_time();
  }
  return image;
}

void write_sessions(Writer& out, const std::vector<SessionImage>& sessions) {
  out.count(sessions.size());
  for (const SessionImage& session : sessions) {
    out.string(session.client_id);
    out.count(session.subscriptions.size());
    for (const auto& [filter, options] : session.subscriptions) {
      out.string(filter);
      out.u8(options.qos);
      out.boolean(options.no_local);
      out.boolean(options.retain_as_published);
      out.u8(options.retain_handling);
      out.boolean(options.subscription_identifier.has_value());
      if (options.subscription_identifier) out.u32(*options.subscription_identifier);
    }
    out.count(session.offline.size());
    for (const OfflineMessage& message : session.offline) {
      out.string(message.topic);
      out.bytes(message.payload);
      out.u8(message.qos);
      out.boolean(message.retain);
      out.bytes(message.properties);
      out.optional_time(message.expires_at);
    }
    out.u64(session.dropped_count);
    out.u64(session.offline_cap);
    out.u32(session.expiry_interval_seconds);
    out.optional_time(session.disconnected_at);
    out.bytes(session.broker_state);
  }
}

std::vector<SessionImage> read_sessions(Reader& in) {
  std::vector<SessionImage> sessions(in.count());
  for (SessionImage& session : sessions) {
    session.client_id = in.string();
    for (uint32_t i = 0, n = in.count(); i < n; ++i) {
      std::string filter = in.string();
      SubscriptionOptions options;
      options.qos = in.u8();
      options.no_local = in.boolean();
      options.retain_as_published = in.boolean();
      options.retain_handling = in.u8();
      if (in.boolean()) options.subscription_identifier = in.u32();
      session.subscriptions[std::move(filter)] = options;
    }
    for (uint32_t i = 0, n = in.count(); i < n; ++i) {
      OfflineMessage message;
      message.topic = in.string();
      message.payload = in.bytes();
      message.qos = in.u8();
      message.retain = in.boolean();
      message.properties = in.bytes();
      message.expires_at = in.optional_time();
      session.offline.push_back(std::move(message));
    }
    session.dropped_count = in.u64();
    session.offline_cap = static_cast<std::size_t>(in.u64());
    session.expiry_interval_seconds = in.u32();
    session.disconnected_at = in.optional_time();
    session.broker_state = in.bytes();
  }
  return sessions;
}

template <typename Unsigned>
Unsigned read_little_endian(std::string_view data) {
  Unsigned value = 0;
  for (std::size_t i = 0; i < sizeof(Unsigned); ++i) {
    value |= static_cast<Unsigned>(static_cast<uint8_t>(data[i])) << (8 * i);
  }
  return value;
}

Error corrupt(std::string_view source, const std::string& what) {
  return Error{ErrorCode::kSnapshotCorrupt, fmt::format("snapshot file '{}': {}", source, what)};
}

}  // namespace

uint32_t crc32(std::string_view data) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> entries{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t value = i;
      for (int bit = 0; bit < 8; ++bit)
        value = (value & 1) ? 0xEDB88320u ^ (value >> 1) : value >> 1;
      entries[i] = value;
    }
    return entries;
  }();
  uint32_t crc = 0xFFFFFFFFu;
  for (char c : data) crc = table[(crc ^ static_cast<uint8_t>(c)) & 0xff] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

std::string encode_snapshot(const EngineImage& image) {
  Writer payload;
  write_topics(payload, image.topics);
  write_queues(payload, image.queues);
  write_retained(payload, image.retained);
  write_sessions(payload, image.sessions);
  payload.count(image.extensions.size());
  for (const auto& [name, data] : image.extensions) {
    payload.string(name);
    payload.string(data);
  }

  Writer file;
  file.buffer().append(kMagic);
  file.u32(kSnapshotFormatVersion);
  file.u64(payload.buffer().size());
  file.buffer().append(payload.buffer());
  file.u32(crc32(file.buffer()));
  return std::move(file.buffer());
}

Result<EngineImage> decode_snapshot(std::string_view data, std::string_view source_name) {
  if (data.size() < kHeaderSize + kTrailerSize) {
    return corrupt(source_name, fmt::format("truncated: {} bytes is shorter than the {}-byte "
                                            "header and checksum",
                                            data.size(), kHeaderSize + kTrailerSize));
  }
  if (data.substr(0, kMagic.size()) != kMagic) {
    return corrupt(source_name, "not a mockforge snapshot (bad magic)");
  }
  const uint32_t version = read_little_endian<uint32_t>(data.substr(8, 4));
  if (version < kOldestSnapshotFormatVersion || version > kSnapshotFormatVersion) {
    return Error{
        ErrorCode::kSnapshotVersion,
        fmt::format("snapshot file '{}': format version {} is not supported (this build "
                    "reads versions {} to {})",
                    source_name, version, kOldestSnapshotFormatVersion, kSnapshotFormatVersion)};
  }
  const uint64_t payload_size = read_little_endian<uint64_t>(data.substr(12, 8));
  const uint64_t available = data.size() - kHeaderSize - kTrailerSize;
  if (payload_size != available) {
    return corrupt(source_name,
                   fmt::format("{}: header announces {} payload bytes, file holds {}",
                               payload_size > available ? "truncated" : "trailing data",
                               payload_size, available));
  }
  const std::string_view covered = data.substr(0, data.size() - kTrailerSize);
  const uint32_t stored_crc = read_little_endian<uint32_t>(data.substr(data.size() - kTrailerSize));
  const uint32_t computed_crc = crc32(covered);
  if (stored_crc != computed_crc) {
    return corrupt(source_name, fmt::format("checksum mismatch (stored {:08x}, computed {:08x})",
                                            stored_crc, computed_crc));
  }
  Reader in(data.substr(kHeaderSize, payload_size), version);
  try {
    EngineImage image;
    image.topics = read_topics(in);
    image.queues = read_queues(in);
    image.retained = read_retained(in);
    image.sessions = read_sessions(in);
    if (in.version() >= 3) {
      const uint32_t count = in.u32();
      for (uint32_t i = 0; i < count; ++i) {
        std::string name = in.string();
        image.extensions[std::move(name)] = in.string();
      }
    }
    if (in.remaining() != 0) in.fail(fmt::format("{} unexpected trailing bytes", in.remaining()));
    return image;
  } catch (const DecodeFailure& failure) {
    return corrupt(source_name, failure.what());
  }
}

}  // namespace mockforge::storage
