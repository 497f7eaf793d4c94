// `mockforge kafka ...`: produce, consume, topics and consumer-groups over cli/kafka/client.h.

#include "cli/commands.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <csignal>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "brokers/kafka/codec/errors.h"
#include "brokers/kafka/codec/murmur2.h"
#include "brokers/kafka/codec/record_batch.h"
#include "cli/kafka/client.h"
#include "cli/kafka/cluster_command.h"
#include "cli/kafka/consumer_protocol.h"
#include "cli/kafka/group_member.h"
#include "cli/net/payload.h"
#include "cli/net/tls_flags.h"
#include "mockforge/kafka/create_topics.h"
#include "mockforge/kafka/delete_topics.h"
#include "mockforge/kafka/describe_configs.h"
#include "mockforge/kafka/describe_groups.h"
#include "mockforge/kafka/fetch.h"
#include "mockforge/kafka/list_groups.h"
#include "mockforge/kafka/list_offsets.h"
#include "mockforge/kafka/offset_fetch.h"
#include "mockforge/kafka/produce.h"

namespace mockforge::cli::kafka {
namespace k = mockforge::kafka;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

std::atomic<bool> g_stop{false};
void on_stop_signal(int) { g_stop = true; }

struct CommonOptions {
  std::string bootstrap = "localhost:9092";
  std::string client_id = "mockforge-cli";
  int timeout_ms = 10000;
  SaslCredentials sasl;
  std::vector<std::string> properties;  // -X key=value, as kcat's
  net::TlsOptions tls;                  // security.protocol=SSL
};

std::pair<std::string, std::string> split_key_value(const std::string& text, const char* what);

constexpr const char* kSaslMechanisms[] = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512",
                                           "OAUTHBEARER"};

// The SASL settings from --sasl-* and kcat-style -X properties (the later wins). Throws
// std::invalid_argument for a property this client does not implement.
// The SASL and TLS settings from the flags and kcat-style -X properties
// (librdkafka's names), so a kcat command line's security settings carry over.
struct Security {
  SaslCredentials sasl;
  net::TlsOptions tls;
};

Security security_settings(const CommonOptions& common) {
  Security out{common.sasl, common.tls};
  SaslCredentials& sasl = out.sasl;
  std::optional<std::string> protocol;
  for (const std::string& property : common.properties) {
    const auto [key, value] = split_key_value(property, "-X property");
    if (key == "security.protocol") {
      std::string upper = value;
      std::transform(upper.begin(), upper.end(), upper.begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      if (upper != "PLAINTEXT" && upper != "SASL_PLAINTEXT" && upper != "SSL" &&
          upper != "SASL_SSL") {
        throw std::invalid_argument("security.protocol=" + value +
                                    " is not one of PLAINTEXT, SASL_PLAINTEXT, SSL, SASL_SSL");
      }
      protocol = upper;
    } else if (key == "sasl.mechanism" || key == "sasl.mechanisms") {
      sasl.mechanism = value;
    } else if (key == "sasl.username") {
      sasl.username = value;
    } else if (key == "sasl.password") {
      sasl.password = value;
    } else if (key == "sasl.oauthbearer.config") {
      sasl.oauthbearer_config = value;
    } else if (key == "enable.sasl.oauthbearer.unsecure.jwt") {
      if (value != "true")
        throw std::invalid_argument(
            "enable.sasl.oauthbearer.unsecure.jwt=" + value +
            ": without a token (--sasl-token) this client builds unsecured tokens only");
    } else if (key == "ssl.ca.location") {
      out.tls.ca_file = value;
    } else if (key == "ssl.certificate.location") {
      out.tls.cert_file = value;
    } else if (key == "ssl.key.location") {
      out.tls.key_file = value;
    } else if (key == "enable.ssl.certificate.verification") {
      out.tls.insecure = value == "false";
    } else {
      throw std::invalid_argument(
          "unsupported -X property " + key +
          " (supported: security.protocol, sasl.mechanism(s), sasl.username, sasl.password, "
          "sasl.oauthbearer.config, enable.sasl.oauthbearer.unsecure.jwt, ssl.ca.location, "
          "ssl.certificate.location, ssl.key.location, "
          "enable.ssl.certificate.verification)");
    }
  }
  const bool any_tls = out.tls.enabled || !out.tls.ca_file.empty() || !out.tls.cert_file.empty() ||
                       !out.tls.key_file.empty() || out.tls.insecure;
  if (protocol) {
    const bool ssl = protocol == "SSL" || protocol == "SASL_SSL";
    if (!ssl && any_tls)
      throw std::invalid_argument("TLS settings need security.protocol=SSL or SASL_SSL");
    out.tls.enabled = ssl;
  } else if (any_tls) {
    out.tls.enabled = true;
  }
  const bool sasl_protocol = protocol == "SASL_PLAINTEXT" || protocol == "SASL_SSL";
  const bool any_sasl = !sasl.mechanism.empty() || !sasl.username.empty() ||
                        !sasl.password.empty() || !sasl.token.empty() ||
                        !sasl.oauthbearer_config.empty();
  if (protocol && !sasl_protocol && any_sasl) {
    throw std::invalid_argument("SASL settings need security.protocol=SASL_PLAINTEXT or SASL_SSL");
  }
  if (sasl_protocol && sasl.mechanism.empty()) {
    throw std::invalid_argument("security.protocol=" + *protocol + " needs sasl.mechanism");
  }
  if (sasl.mechanism.empty()) {
    if (any_sasl)
      throw std::invalid_argument("SASL credentials (user, password, token) need a mechanism");
    return out;
  }
  if (std::find(std::begin(kSaslMechanisms), std::end(kSaslMechanisms), sasl.mechanism) ==
      std::end(kSaslMechanisms)) {
    throw std::invalid_argument("unsupported SASL mechanism " + sasl.mechanism +
                                " (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER)");
  }
  if (sasl.mechanism == "OAUTHBEARER") {
    oauthbearer_initial_response(sasl);  // a malformed config fails here, before connecting
    return out;
  }
  if (!sasl.token.empty() || !sasl.oauthbearer_config.empty())
    throw std::invalid_argument(
        "a token or sasl.oauthbearer.config needs sasl.mechanism=OAUTHBEARER");
  if (sasl.username.empty()) throw std::invalid_argument("SASL needs a user name");
  return out;
}

Cluster make_cluster(const CommonOptions& common) {
  ClientOptions options;
  options.client_id = common.client_id;
  options.timeout = milliseconds(common.timeout_ms);
  Security security = security_settings(common);
  options.sasl = std::move(security.sasl);
  options.tls = std::move(security.tls);
  return Cluster(parse_bootstrap(common.bootstrap), options);
}

void add_common_options(CLI::App& command, CommonOptions& common) {
  command.add_option("--bootstrap,-b", common.bootstrap, "host:port[,host:port...]")
      ->capture_default_str();
  command.add_option("--client-id", common.client_id, "client id sent in every request")
      ->capture_default_str();
  command.add_option("--timeout", common.timeout_ms, "request timeout in ms")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command.add_option("--sasl-mechanism", common.sasl.mechanism,
                     "authenticate with SASL (SASL_PLAINTEXT, or SASL_SSL with TLS): PLAIN, "
                     "SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER");
  command.add_option("--sasl-username", common.sasl.username, "SASL user name");
  command.add_option("--sasl-password", common.sasl.password, "SASL password");
  command.add_option("--sasl-token", common.sasl.token,
                     "OAUTHBEARER: the token to send (else an unsecured JWS from -X "
                     "sasl.oauthbearer.config=\"principal=NAME [scope=A,B] [lifeSeconds=N]\")");
  command.add_option("-X", common.properties,
                     "kcat-style property key=value (repeatable): security.protocol, "
                     "sasl.mechanism(s), sasl.username, sasl.password, sasl.oauthbearer.config, "
                     "ssl.ca.location, ssl.certificate.location, ssl.key.location");
  // --key is the record key of produce.
  net::add_tls_flags(command, common.tls, "--tls-key");
}

// Runs a command body, mapping failures to a one-line message on stderr and exit code 1.
template <typename Body>
void run_command(int& exit_code, Body&& body) {
  try {
    exit_code = body();
  } catch (const net::NetError& e) {
    std::cerr << "mockforge kafka: " << e.what() << "\n";
    exit_code = 1;
  } catch (const KafkaError& e) {
    std::cerr << "mockforge kafka: " << e.what() << "\n";
    exit_code = 1;
  } catch (const k::DecodeError& e) {
    std::cerr << "mockforge kafka: malformed response: " << e.what() << "\n";
    exit_code = 1;
  } catch (const k::EncodeError& e) {
    std::cerr << "mockforge kafka: cannot encode request: " << e.what() << "\n";
    exit_code = 1;
  } catch (const std::invalid_argument& e) {
    std::cerr << "mockforge kafka: " << e.what() << "\n";
    exit_code = 1;
  } catch (const std::runtime_error& e) {
    std::cerr << "mockforge kafka: " << e.what() << "\n";
    exit_code = 1;
  }
}

k::Bytes to_bytes(std::string_view text) { return k::Bytes(text.begin(), text.end()); }

std::pair<std::string, std::string> split_key_value(const std::string& text, const char* what) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw std::runtime_error(std::string("invalid ") + what + " '" + text + "': expected k=v");
  }
  return {text.substr(0, eq), text.substr(eq + 1)};
}

int64_t now_ms() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---- produce ---------------------------------------------------------------------------------

struct ProduceOptions {
  std::string topic;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::optional<std::string> file;
  std::vector<std::string> headers;
  std::optional<int32_t> partition;
  std::string compression = "none";
  int acks = -1;
};

constexpr size_t kRecordsPerBatch = 1000;

int run_produce(const CommonOptions& common, const ProduceOptions& opts) {
  const auto compression = k::parse_compression(opts.compression);
  if (!compression) throw std::runtime_error("unknown compression '" + opts.compression + "'");
  std::vector<k::RecordHeader> headers;
  for (const auto& header : opts.headers) {
    auto [name, value] = split_key_value(header, "header");
    headers.push_back({name, to_bytes(value)});
  }
  std::vector<std::string> values;
  if (opts.value) {
    values.push_back(*opts.value);
  } else {
    std::ifstream file;
    if (opts.file) {
      file.open(*opts.file);
      if (!file) throw std::runtime_error("cannot open '" + *opts.file + "'");
    }
    std::istream& in = opts.file ? static_cast<std::istream&>(file) : std::cin;
    std::string line;
    while (std::getline(in, line)) values.push_back(line);
  }
  if (values.empty())
    throw std::runtime_error("nothing to produce (no --value and no input lines)");

  Cluster cluster = make_cluster(common);
  const auto topic = cluster.topic_metadata(opts.topic, true);
  const int32_t partition_count = static_cast<int32_t>(topic.partitions.size());
  if (opts.partition && (*opts.partition < 0 || *opts.partition >= partition_count)) {
    throw std::runtime_error("topic '" + opts.topic + "' has " + std::to_string(partition_count) +
                             " partitions; --partition " + std::to_string(*opts.partition) +
                             " does not exist");
  }
  std::optional<k::Bytes> key;
  if (opts.key) key = to_bytes(*opts.key);

  // Partition choice: explicit, murmur2 of the key (as the Java client), or round-robin from a
  // random start for unkeyed records.
  std::mt19937 rng(std::random_device{}());
  int32_t round_robin = static_cast<int32_t>(rng() % static_cast<uint32_t>(partition_count));
  std::map<int32_t, std::vector<k::NewRecord>> by_partition;
  const int64_t timestamp = now_ms();
  for (const auto& value : values) {
    int32_t partition;
    if (opts.partition) {
      partition = *opts.partition;
    } else if (key) {
      partition = k::murmur2_partition(*key, partition_count);
    } else {
      partition = round_robin;
      round_robin = (round_robin + 1) % partition_count;
    }
    k::NewRecord record;
    record.timestamp_ms = timestamp;
    record.key = key;
    record.value = to_bytes(value);
    record.headers = headers;
    by_partition[partition].push_back(std::move(record));
  }

  // One Produce request per leader and round, one batch per partition per request.
  std::map<int32_t, int32_t> leaders;
  for (const auto& p : topic.partitions) leaders[p.partition_index] = p.leader_id;
  std::map<int32_t, size_t> sent;  // partition -> records sent
  size_t total = 0;
  bool more = true;
  while (more) {
    more = false;
    std::map<int32_t, k::ProduceRequest> requests;  // leader -> request
    for (auto& [partition, records] : by_partition) {
      size_t& done = sent[partition];
      if (done >= records.size()) continue;
      const size_t count = std::min(kRecordsPerBatch, records.size() - done);
      k::BatchOptions batch_options;
      batch_options.compression = *compression;
      auto batch = k::build_record_batch(
          std::span<const k::NewRecord>(records.data() + done, count), batch_options);
      done += count;
      if (done < records.size()) more = true;
      auto& request = requests[leaders.at(partition)];
      if (request.topic_data.empty()) {
        request.acks = static_cast<int16_t>(opts.acks);
        request.timeout_ms = common.timeout_ms;
        request.topic_data.emplace_back();
        request.topic_data.back().name = opts.topic;
      }
      k::ProduceRequest::PartitionProduceData data;
      data.index = partition;
      data.records = std::move(batch);
      request.topic_data.back().partition_data.push_back(std::move(data));
      total += count;
    }
    for (auto& [leader, request] : requests) {
      BrokerConnection& broker = cluster.broker(leader);
      const int16_t version = broker.version_for<k::ProduceRequest>();
      if (opts.acks == 0) {
        broker.send(request, version);
        continue;
      }
      const auto response = broker.call<k::ProduceResponse>(request, version);
      for (const auto& topic_response : response.responses) {
        for (const auto& p : topic_response.partition_responses) {
          std::string what = "produce to " + topic_response.name + "-" + std::to_string(p.index);
          if (p.error_code != 0 && p.error_message && !p.error_message->empty()) {
            what += " (" + *p.error_message + ")";
          }
          check_error(p.error_code, what);
        }
      }
    }
  }
  std::cerr << "produced " << total << " record(s) to " << opts.topic << "\n";
  return 0;
}

// ---- consume ---------------------------------------------------------------------------------

struct ConsumeOptions {
  std::string topic;
  std::optional<std::string> group;
  bool from_beginning = false;
  std::optional<int32_t> partition;
  std::optional<int64_t> offset;
  std::optional<int64_t> max_messages;
  int timeout_ms = -1;
  std::string format = "text";
};

std::string bytes_text(const std::optional<k::Bytes>& bytes) {
  return bytes ? std::string(bytes->begin(), bytes->end()) : std::string();
}

// object[name] = the bytes as a string, or object[name + "_base64"] when they are not UTF-8;
// null when absent.
void put_optional_bytes(nlohmann::json& object, const std::string& name,
                        const std::optional<k::Bytes>& bytes) {
  if (!bytes) {
    object[name] = nullptr;
    return;
  }
  net::put_bytes(object, name,
                 std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
}

void print_record(const ConsumeOptions& opts, int32_t partition, int64_t offset, int64_t timestamp,
                  const k::Record& record) {
  if (opts.format == "json") {
    nlohmann::json headers = nlohmann::json::array();
    for (const auto& header : record.headers) {
      nlohmann::json entry = {{"key", header.key}};
      put_optional_bytes(entry, "value", header.value);
      headers.push_back(std::move(entry));
    }
    nlohmann::json line = {{"topic", opts.topic},
                           {"partition", partition},
                           {"offset", offset},
                           {"timestamp", timestamp}};
    put_optional_bytes(line, "key", record.key);
    put_optional_bytes(line, "value", record.value);
    line["headers"] = std::move(headers);
    std::cout << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::cout << bytes_text(record.value) << "\n";
  }
  std::cout.flush();
}

// Offsets for the partitions of one topic, asked of each partition's leader.
std::map<int32_t, int64_t> list_offsets(Cluster& cluster, const std::string& topic,
                                        const std::map<int32_t, int32_t>& leaders,
                                        const std::vector<int32_t>& partitions, int64_t timestamp) {
  std::map<int32_t, std::vector<int32_t>> by_leader;
  for (const int32_t p : partitions) by_leader[leaders.at(p)].push_back(p);
  std::map<int32_t, int64_t> offsets;
  for (const auto& [leader, parts] : by_leader) {
    BrokerConnection& broker = cluster.broker(leader);
    // v4+ only adds leader-epoch fencing, unused here (and librdkafka 2.0.2's mock cluster
    // encodes its v4+ responses with 4 extra bytes per partition).
    const int16_t version = broker.version_for<k::ListOffsetsRequest>(3);
    if (version == 0) throw KafkaError("broker only supports ListOffsets v0");
    k::ListOffsetsRequest request;
    request.replica_id = -1;
    request.topics.emplace_back();
    request.topics.back().name = topic;
    for (const int32_t p : parts) {
      k::ListOffsetsRequest::ListOffsetsPartition partition;
      partition.partition_index = p;
      partition.timestamp = timestamp;
      request.topics.back().partitions.push_back(partition);
    }
    const auto response = broker.call<k::ListOffsetsResponse>(request, version);
    for (const auto& t : response.topics) {
      for (const auto& p : t.partitions) {
        check_error(p.error_code,
                    "ListOffsets for " + t.name + "-" + std::to_string(p.partition_index));
        offsets[p.partition_index] = p.offset;
      }
    }
  }
  return offsets;
}

// Partition errors after which the leader is looked up again instead of giving up.
bool is_leadership_error(int16_t code) {
  return code == 5 || code == 6 || code == 74 || code == 75;  // LEADER_NOT_AVAILABLE,
  // NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH
}

// Fetches from `positions` (partition -> next offset), printing records and advancing
// positions. Returns the number printed, at most `budget`. Sets `stale_leaders` when a
// partition's leader moved (the caller refreshes the metadata).
int64_t fetch_round(Cluster& cluster, const ConsumeOptions& opts,
                    const std::map<int32_t, int32_t>& leaders,
                    std::map<int32_t, int64_t>& positions, int64_t budget, int max_wait_ms,
                    bool& stale_leaders) {
  std::map<int32_t, std::vector<int32_t>> by_leader;
  for (const auto& [p, offset] : positions) by_leader[leaders.at(p)].push_back(p);
  int64_t printed = 0;
  for (const auto& [leader, parts] : by_leader) {
    BrokerConnection& broker = cluster.broker(leader);
    // Fetch v13+ addresses topics by id; names are enough up to v12.
    const int16_t version = broker.version_for<k::FetchRequest>(12);
    k::FetchRequest request;
    request.replica_id = -1;
    request.max_wait_ms = max_wait_ms;
    request.min_bytes = 1;
    request.max_bytes = 16 << 20;
    request.isolation_level = 0;
    request.topics.emplace_back();
    request.topics.back().topic = opts.topic;
    for (const int32_t p : parts) {
      k::FetchRequest::FetchPartition partition;
      partition.partition = p;
      partition.fetch_offset = positions[p];
      partition.partition_max_bytes = 4 << 20;
      request.topics.back().partitions.push_back(partition);
    }
    const auto response = broker.call<k::FetchResponse>(
        request, version, cluster.options().timeout + milliseconds(max_wait_ms));
    check_error(response.error_code, "Fetch from " + broker.endpoint().to_string());
    for (const auto& t : response.responses) {
      for (const auto& p : t.partitions) {
        if (is_leadership_error(p.error_code)) {
          stale_leaders = true;
          continue;
        }
        check_error(p.error_code, "Fetch " + opts.topic + "-" + std::to_string(p.partition_index) +
                                      " at offset " + std::to_string(positions[p.partition_index]));
        if (!p.records || p.records->empty()) continue;
        int64_t& position = positions[p.partition_index];
        for (const auto& batch : k::split_record_batches(*p.records, true)) {
          if (batch.header.last_offset() < position) continue;
          if (batch.header.is_control()) {
            position = batch.header.last_offset() + 1;
            continue;
          }
          const auto records = k::decode_records(batch);
          for (const auto& record : records) {
            const int64_t offset = batch.header.base_offset + record.offset_delta;
            if (offset < position) continue;
            if (printed >= budget) return printed;
            const int64_t timestamp =
                batch.header.timestamp_type() == k::TimestampType::kLogAppendTime
                    ? batch.header.max_timestamp
                    : batch.header.base_timestamp + record.timestamp_delta;
            print_record(opts, p.partition_index, offset, timestamp, record);
            position = offset + 1;
            ++printed;
          }
          position = std::max(position, batch.header.last_offset() + 1);
        }
      }
    }
  }
  return printed;
}

// Stops on --max-messages, --timeout-ms without new records, or SIGINT/SIGTERM.
struct ConsumeLoop {
  const ConsumeOptions& opts;
  int64_t consumed = 0;
  Clock::time_point last_activity = Clock::now();

  bool done() const {
    if (g_stop) return true;
    if (opts.max_messages && consumed >= *opts.max_messages) return true;
    return opts.timeout_ms >= 0 && Clock::now() - last_activity >= milliseconds(opts.timeout_ms);
  }
  int64_t budget() const {
    return opts.max_messages ? *opts.max_messages - consumed : std::numeric_limits<int64_t>::max();
  }
  int max_wait() const {
    if (opts.timeout_ms < 0) return 500;
    const auto left = milliseconds(opts.timeout_ms) -
                      std::chrono::duration_cast<milliseconds>(Clock::now() - last_activity);
    return static_cast<int>(std::clamp<int64_t>(left.count(), 0, 500));
  }
  void add(int64_t n) {
    consumed += n;
    if (n > 0) last_activity = Clock::now();
  }
};

std::map<int32_t, int32_t> leaders_of(const MetadataResponse::MetadataResponseTopic& topic) {
  std::map<int32_t, int32_t> leaders;
  for (const auto& p : topic.partitions) leaders[p.partition_index] = p.leader_id;
  return leaders;
}

// Leaders after a leadership error, with a short pause so a moving leader can settle.
std::map<int32_t, int32_t> refresh_leaders(Cluster& cluster, const std::string& topic) {
  std::this_thread::sleep_for(milliseconds(200));
  return leaders_of(cluster.topic_metadata(topic, false));
}

int run_consume_simple(Cluster& cluster, const ConsumeOptions& opts) {
  const auto topic = cluster.topic_metadata(opts.topic, false);
  auto leaders = leaders_of(topic);
  std::vector<int32_t> partitions;
  if (opts.partition) {
    if (!leaders.count(*opts.partition)) {
      throw std::runtime_error("topic '" + opts.topic + "' has no partition " +
                               std::to_string(*opts.partition));
    }
    partitions.push_back(*opts.partition);
  } else {
    for (const auto& [p, leader] : leaders) partitions.push_back(p);
  }
  std::map<int32_t, int64_t> positions;
  if (opts.offset) {
    for (const int32_t p : partitions) positions[p] = *opts.offset;
  } else {
    positions =
        list_offsets(cluster, opts.topic, leaders, partitions, opts.from_beginning ? -2 : -1);
  }
  ConsumeLoop loop{opts};
  while (!loop.done()) {
    bool stale = false;
    loop.add(fetch_round(cluster, opts, leaders, positions, loop.budget(), loop.max_wait(), stale));
    if (stale) leaders = refresh_leaders(cluster, opts.topic);
  }
  return 0;
}

// ---- consume with a group (classic protocol) -------------------------------------------------

int run_consume_group(Cluster& cluster, const ConsumeOptions& opts) {
  const auto topic = cluster.topic_metadata(opts.topic, false);
  auto leaders = leaders_of(topic);
  GroupMember member(cluster, *opts.group, {opts.topic});
  ConsumeLoop loop{opts};
  // Positions this process reached, kept across rebalances: a commit refused during a
  // rebalance is made again once the partition is assigned back (otherwise another member
  // resumes from the last committed offset: at-least-once).
  std::map<int32_t, int64_t> reached;
  while (!loop.done()) {
    const auto assignment = member.join();
    const auto assigned = assignment.find(opts.topic);
    const auto partitions =
        assigned == assignment.end() ? std::vector<int32_t>{} : assigned->second;
    loop.last_activity = Clock::now();  // --timeout-ms counts from the assignment
    std::map<int32_t, int64_t> positions = member.committed({{opts.topic, partitions}})[opts.topic];
    std::vector<int32_t> reset;
    for (const int32_t p : partitions) {
      if (!positions.count(p) || positions[p] < 0) reset.push_back(p);
    }
    if (!reset.empty()) {
      for (const auto& [p, offset] :
           list_offsets(cluster, opts.topic, leaders, reset, opts.from_beginning ? -2 : -1)) {
        positions[p] = offset;
      }
    }
    for (auto it = positions.begin(); it != positions.end();) {
      it = std::find(partitions.begin(), partitions.end(), it->first) == partitions.end()
               ? positions.erase(it)
               : std::next(it);
    }
    bool ahead = false;
    for (auto& [p, offset] : positions) {
      if (reached.count(p) && reached[p] > offset) {
        offset = reached[p];
        ahead = true;
      }
    }
    bool rebalance = ahead && !member.commit({{opts.topic, positions}});
    while (!loop.done() && !rebalance) {
      int64_t n = 0;
      if (positions.empty()) {
        std::this_thread::sleep_for(milliseconds(std::max(loop.max_wait(), 50)));
      } else {
        bool stale = false;
        n = fetch_round(cluster, opts, leaders, positions, loop.budget(), loop.max_wait(), stale);
        if (stale) leaders = refresh_leaders(cluster, opts.topic);
      }
      loop.add(n);
      for (const auto& [p, offset] : positions) reached[p] = offset;
      rebalance =
          (n > 0 && !member.commit({{opts.topic, positions}})) || !member.heartbeat_if_due();
    }
    if (!rebalance) member.commit({{opts.topic, positions}});
  }
  member.leave();
  return 0;
}

int run_consume(const CommonOptions& common, const ConsumeOptions& opts) {
  if (opts.group && (opts.partition || opts.offset)) {
    throw std::runtime_error("--partition and --offset cannot be combined with --group");
  }
  if (opts.offset && *opts.offset < 0) throw std::runtime_error("--offset must be >= 0");
  Cluster cluster = make_cluster(common);
  g_stop = false;
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  return opts.group ? run_consume_group(cluster, opts) : run_consume_simple(cluster, opts);
}

// ---- topics ----------------------------------------------------------------------------------

struct TopicsOptions {
  std::string topic;
  int32_t partitions = 1;
  int16_t replication_factor = 1;
  std::vector<std::string> configs;
};

int run_topics_list(const CommonOptions& common) {
  Cluster cluster = make_cluster(common);
  const auto response = cluster.metadata(std::nullopt, false);
  std::vector<std::string> names;
  for (const auto& t : response.topics) {
    if (t.name && !t.is_internal) names.push_back(*t.name);
  }
  std::sort(names.begin(), names.end());
  for (const auto& name : names) std::cout << name << "\n";
  return 0;
}

int run_topics_create(const CommonOptions& common, const TopicsOptions& opts) {
  Cluster cluster = make_cluster(common);
  BrokerConnection& broker = cluster.any();
  const int16_t version = broker.version_for<k::CreateTopicsRequest>();
  k::CreateTopicsRequest request;
  request.timeout_ms = common.timeout_ms;
  request.topics.emplace_back();
  auto& topic = request.topics.back();
  topic.name = opts.topic;
  topic.num_partitions = opts.partitions;
  topic.replication_factor = opts.replication_factor;
  for (const auto& config : opts.configs) {
    auto [name, value] = split_key_value(config, "config");
    topic.configs.push_back({name, value});
  }
  const auto response = broker.call<k::CreateTopicsResponse>(request, version);
  for (const auto& result : response.topics) {
    std::string what = "CreateTopics '" + result.name + "'";
    if (result.error_code != 0 && result.error_message && !result.error_message->empty()) {
      what += " (" + *result.error_message + ")";
    }
    check_error(result.error_code, what);
  }
  std::cout << "created topic " << opts.topic << "\n";
  return 0;
}

int run_topics_delete(const CommonOptions& common, const TopicsOptions& opts) {
  Cluster cluster = make_cluster(common);
  BrokerConnection& broker = cluster.any();
  const int16_t version = broker.version_for<k::DeleteTopicsRequest>();
  k::DeleteTopicsRequest request;
  request.timeout_ms = common.timeout_ms;
  request.topic_names = {opts.topic};
  request.topics.push_back({opts.topic, k::Uuid{}});
  const auto response = broker.call<k::DeleteTopicsResponse>(request, version);
  for (const auto& result : response.responses) {
    std::string what = "DeleteTopics '" + result.name.value_or(opts.topic) + "'";
    if (result.error_code != 0 && result.error_message && !result.error_message->empty()) {
      what += " (" + *result.error_message + ")";
    }
    check_error(result.error_code, what);
  }
  std::cout << "deleted topic " << opts.topic << "\n";
  return 0;
}

std::string join_ints(const std::vector<int32_t>& values) {
  std::string out;
  for (const int32_t v : values) out += (out.empty() ? "" : ",") + std::to_string(v);
  return out;
}

int run_topics_describe(const CommonOptions& common, const TopicsOptions& opts) {
  Cluster cluster = make_cluster(common);
  const auto topic = cluster.topic_metadata(opts.topic, false);
  std::cout << "Topic: " << opts.topic << "\tPartitionCount: " << topic.partitions.size();
  if (!topic.topic_id.is_zero()) std::cout << "\tTopicId: " << topic.topic_id.to_base64();
  std::cout << "\n";
  for (const auto& p : topic.partitions) {
    std::cout << "\tPartition: " << p.partition_index << "\tLeader: " << p.leader_id
              << "\tReplicas: " << join_ints(p.replica_nodes) << "\tIsr: " << join_ints(p.isr_nodes)
              << "\n";
  }
  std::cout.flush();
  BrokerConnection& broker = cluster.any();
  const int16_t version = broker.version_for<k::DescribeConfigsRequest>();
  k::DescribeConfigsRequest request;
  request.resources.push_back({2, opts.topic, std::nullopt});
  const auto response = broker.call<k::DescribeConfigsResponse>(request, version);
  for (const auto& result : response.results) {
    std::string what = "DescribeConfigs '" + result.resource_name + "'";
    if (result.error_code != 0 && result.error_message && !result.error_message->empty()) {
      what += " (" + *result.error_message + ")";
    }
    check_error(result.error_code, what);
    std::cout << "Configs:\n";
    for (const auto& config : result.configs) {
      std::cout << "\t" << config.name << "="
                << (config.is_sensitive ? "<sensitive>" : config.value.value_or("")) << "\n";
    }
  }
  return 0;
}

// ---- consumer-groups -------------------------------------------------------------------------

int run_groups_list(const CommonOptions& common) {
  Cluster cluster = make_cluster(common);
  cluster.metadata(std::vector<std::string>{}, false);
  std::set<std::pair<std::string, std::string>> groups;
  for (const int32_t id : cluster.broker_ids()) {
    BrokerConnection& broker = cluster.broker(id);
    const auto response = broker.call<k::ListGroupsResponse>(
        k::ListGroupsRequest{}, broker.version_for<k::ListGroupsRequest>());
    check_error(response.error_code, "ListGroups on " + broker.endpoint().to_string());
    for (const auto& g : response.groups) groups.insert({g.group_id, g.protocol_type});
  }
  for (const auto& [id, type] : groups) {
    std::cout << id << (type.empty() ? "" : "\t" + type) << "\n";
  }
  return 0;
}

int run_groups_describe(const CommonOptions& common, const std::string& group) {
  Cluster cluster = make_cluster(common);
  BrokerConnection& coordinator = cluster.coordinator(group);
  k::DescribeGroupsRequest request;
  request.groups = {group};
  const auto response = coordinator.call<k::DescribeGroupsResponse>(
      request, coordinator.version_for<k::DescribeGroupsRequest>());
  for (const auto& g : response.groups) {
    check_error(g.error_code, "DescribeGroups '" + g.group_id + "'");
    std::cout << "Group: " << g.group_id << "\tState: " << g.group_state
              << "\tProtocolType: " << g.protocol_type << "\tProtocol: " << g.protocol_data << "\n";
    for (const auto& m : g.members) {
      std::cout << "\tMember: " << m.member_id << "\tClientId: " << m.client_id
                << "\tHost: " << m.client_host;
      if (g.protocol_type == "consumer") {
        std::string assigned;
        try {
          for (const auto& [topic, parts] : decode_assignment(m.member_assignment)) {
            assigned += (assigned.empty() ? "" : " ") + topic + ":" + join_ints(parts);
          }
          std::string subscribed;
          for (const auto& t : decode_subscription(m.member_metadata).topics) {
            subscribed += (subscribed.empty() ? "" : ",") + t;
          }
          std::cout << "\tSubscription: " << subscribed;
        } catch (const k::DecodeError& e) {
          assigned = std::string("<undecodable: ") + e.what() + ">";
        }
        std::cout << "\tAssignment: " << assigned;
      }
      std::cout << "\n";
    }
  }
  // Committed offsets of every partition (topics null, v2+) and lag against the log end.
  k::OffsetFetchRequest offsets_request;
  offsets_request.group_id = group;
  offsets_request.topics = std::nullopt;
  const int16_t version = coordinator.version_for<k::OffsetFetchRequest>(7);
  if (version < 2) throw KafkaError("broker does not support OffsetFetch v2 (all partitions)");
  const auto offsets = coordinator.call<k::OffsetFetchResponse>(offsets_request, version);
  check_error(offsets.error_code, "OffsetFetch for group '" + group + "'");
  std::cout << "TOPIC\tPARTITION\tCURRENT-OFFSET\tLOG-END-OFFSET\tLAG\n";
  for (const auto& t : offsets.topics) {
    const auto topic = cluster.topic_metadata(t.name, false);
    std::vector<int32_t> partitions;
    for (const auto& p : t.partitions) partitions.push_back(p.partition_index);
    const auto ends = list_offsets(cluster, t.name, leaders_of(topic), partitions, -1);
    for (const auto& p : t.partitions) {
      check_error(p.error_code, "OffsetFetch " + t.name + "-" + std::to_string(p.partition_index));
      const int64_t end = ends.at(p.partition_index);
      std::cout << t.name << "\t" << p.partition_index << "\t"
                << (p.committed_offset < 0 ? std::string("-") : std::to_string(p.committed_offset))
                << "\t" << end << "\t"
                << (p.committed_offset < 0 ? std::string("-")
                                           : std::to_string(end - p.committed_offset))
                << "\n";
    }
  }
  return 0;
}

}  // namespace
}  // namespace mockforge::cli::kafka

namespace mockforge::cli {
using namespace mockforge::cli::kafka;

void add_kafka_command(CLI::App& app, int& exit_code) {
  CLI::App* kafka = app.add_subcommand("kafka", "Kafka client: produce, consume, admin");
  kafka->require_subcommand(1);
  auto common = std::make_shared<CommonOptions>();
  add_cluster_command(*kafka, exit_code);

  // produce
  auto produce = std::make_shared<ProduceOptions>();
  CLI::App* p =
      kafka->add_subcommand("produce", "produce records (--value, --file or stdin lines)");
  add_common_options(*p, *common);
  p->add_option("--topic,-t", produce->topic, "topic")->required();
  p->add_option("--key,-k", produce->key, "record key (partition by murmur2 of it)");
  auto* value = p->add_option("--value", produce->value, "a single record value");
  p->add_option("--file,-f", produce->file, "one record per line of FILE")->excludes(value);
  p->add_option("--header,-H", produce->headers, "record header k=v (repeatable)");
  p->add_option("--partition,-p", produce->partition,
                "partition (default: by key, else round-robin)");
  p->add_option("--compression,-z", produce->compression, "none|gzip|snappy|lz4|zstd")
      ->capture_default_str()
      ->check(CLI::IsMember({"none", "gzip", "snappy", "lz4", "zstd"}));
  p->add_option("--acks", produce->acks, "0, 1 or -1 (all)")
      ->capture_default_str()
      ->check(CLI::IsMember({0, 1, -1}));
  p->callback([common, produce, &exit_code] {
    run_command(exit_code, [&] { return run_produce(*common, *produce); });
  });

  // consume
  auto consume = std::make_shared<ConsumeOptions>();
  CLI::App* c = kafka->add_subcommand("consume", "consume records and print them");
  add_common_options(*c, *common);
  c->add_option("--topic,-t", consume->topic, "topic")->required();
  c->add_option("--group,-g", consume->group, "consumer group (classic protocol, range assignor)");
  c->add_flag("--from-beginning", consume->from_beginning,
              "start at the earliest offset when there is no committed offset");
  c->add_option("--partition,-p", consume->partition, "only this partition");
  c->add_option("--offset,-o", consume->offset, "start at this offset");
  c->add_option("--max-messages,-n", consume->max_messages, "exit after N records")
      ->check(CLI::PositiveNumber);
  c->add_option("--timeout-ms", consume->timeout_ms, "exit after this long without a record")
      ->capture_default_str();
  c->add_option("--format", consume->format, "text (values) or json (one object per record)")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  c->callback([common, consume, &exit_code] {
    run_command(exit_code, [&] { return run_consume(*common, *consume); });
  });

  // topics
  auto topics = std::make_shared<TopicsOptions>();
  CLI::App* t = kafka->add_subcommand("topics", "list, create, delete, describe topics");
  t->require_subcommand(1);
  CLI::App* tl = t->add_subcommand("list", "list topic names (Metadata)");
  add_common_options(*tl, *common);
  tl->callback(
      [common, &exit_code] { run_command(exit_code, [&] { return run_topics_list(*common); }); });
  CLI::App* tc = t->add_subcommand("create", "create a topic (CreateTopics)");
  add_common_options(*tc, *common);
  tc->add_option("topic", topics->topic, "topic")->required();
  tc->add_option("--partitions", topics->partitions, "partition count")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  tc->add_option("--replication-factor", topics->replication_factor, "replicas per partition")
      ->capture_default_str();
  tc->add_option("--config", topics->configs, "topic config k=v (repeatable)");
  tc->callback([common, topics, &exit_code] {
    run_command(exit_code, [&] { return run_topics_create(*common, *topics); });
  });
  CLI::App* td = t->add_subcommand("delete", "delete a topic (DeleteTopics)");
  add_common_options(*td, *common);
  td->add_option("topic", topics->topic, "topic")->required();
  td->callback([common, topics, &exit_code] {
    run_command(exit_code, [&] { return run_topics_delete(*common, *topics); });
  });
  CLI::App* tdesc =
      t->add_subcommand("describe", "partitions, leaders, replicas and configs of a topic");
  add_common_options(*tdesc, *common);
  tdesc->add_option("topic", topics->topic, "topic")->required();
  tdesc->callback([common, topics, &exit_code] {
    run_command(exit_code, [&] { return run_topics_describe(*common, *topics); });
  });

  // consumer-groups (alias groups)
  auto group = std::make_shared<std::string>();
  CLI::App* g = kafka->add_subcommand("consumer-groups", "list and describe consumer groups");
  g->alias("groups");
  g->require_subcommand(1);
  CLI::App* gl = g->add_subcommand("list", "list groups on every broker (ListGroups)");
  add_common_options(*gl, *common);
  gl->callback(
      [common, &exit_code] { run_command(exit_code, [&] { return run_groups_list(*common); }); });
  CLI::App* gd = g->add_subcommand("describe", "members, assignments, offsets and lag of a group");
  add_common_options(*gd, *common);
  gd->add_option("--group,-g", *group, "group id")->required();
  gd->callback([common, group, &exit_code] {
    run_command(exit_code, [&] { return run_groups_describe(*common, *group); });
  });
}

}  // namespace mockforge::cli
