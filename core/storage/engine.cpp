#include "core/storage/engine.h"

#include <fmt/format.h>

#include <cerrno>
#include <fstream>
#include <iterator>
#include <optional>
#include <system_error>

#include "core/storage/snapshot.h"

namespace mockforge::storage {
namespace {

Error io_error(const std::filesystem::path& path, std::string_view action) {
  return Error{ErrorCode::kSnapshotIo,
               fmt::format("snapshot file '{}': cannot {}: {}", path.string(), action,
                           std::generic_category().message(errno))};
}

}  // namespace

Engine::Engine(EngineOptions options)
    : context_{MemoryBudget(options.memory_cap_bytes, options.near_cap_fraction),
               options.clock ? options.clock : ClockFunction([] { return Clock::now(); }),
               options.default_retention_bytes, options.default_retention_ms},
      logs_(context_),
      queues_(context_),
      retained_(context_),
      sessions_(context_, options.session_offline_cap, options.session_offline_overflow),
      initial_state_(std::make_shared<const EngineImage>()) {}

Engine::~Engine() = default;

EngineImage Engine::capture() const {
  return EngineImage{
      logs_.capture(), queues_.capture(), retained_.capture(), sessions_.capture(), {}};
}

void Engine::mark_initial_state() {
  auto image = std::make_shared<const EngineImage>(capture());
  std::lock_guard lock(state_mutex_);
  initial_state_ = std::move(image);
}

void Engine::reset() { reset(kAllParts); }

void Engine::reset(unsigned parts) {
  std::shared_ptr<const EngineImage> image;
  {
    std::lock_guard lock(state_mutex_);
    image = initial_state_;
  }
  const auto started = std::chrono::steady_clock::now();
  apply(*image, StateChange::kReset, parts);
  const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - started);
  std::lock_guard lock(state_mutex_);
  last_reset_duration_ = elapsed;
}

std::chrono::microseconds Engine::last_reset_duration() const {
  std::lock_guard lock(state_mutex_);
  return last_reset_duration_;
}

void Engine::apply(const EngineImage& image, StateChange change, unsigned parts) {
  DeferredCallbacks deferred;
  {
    std::lock_guard lock(apply_mutex_);
    if (parts & kLogParts) logs_.restore(image.topics, deferred);
    if (parts & kQueueParts) queues_.restore(image.queues, deferred);
    if (parts & kRetainedParts) retained_.restore(image.retained);
    if (parts & kSessionParts) sessions_.restore(image.sessions);
  }
  run_deferred(deferred);
  std::vector<std::shared_ptr<ResetObserver>> observers;
  {
    std::lock_guard lock(state_mutex_);
    for (const auto& [token, entry] : observers_) {
      if (entry.first & parts) observers.push_back(entry.second);
    }
  }
  for (const auto& observer : observers) (*observer)(change);
}

ObserverToken Engine::add_reset_observer(ResetObserver observer, unsigned parts) {
  std::lock_guard lock(state_mutex_);
  const ObserverToken token = next_observer_token_++;
  observers_.emplace(token,
                     std::make_pair(parts, std::make_shared<ResetObserver>(std::move(observer))));
  return token;
}

bool Engine::remove_reset_observer(ObserverToken token) {
  std::lock_guard lock(state_mutex_);
  return observers_.erase(token) > 0;
}

void Engine::add_snapshot_extension(const std::string& name, SnapshotExtension extension) {
  std::optional<std::string> pending;
  std::function<void(std::string_view)> restore;
  {
    std::lock_guard lock(state_mutex_);
    if (auto it = pending_extensions_.find(name); it != pending_extensions_.end()) {
      pending = std::move(it->second);
      pending_extensions_.erase(it);
      restore = extension.restore;
    }
    extensions_[name] = std::move(extension);
  }
  if (pending && restore) restore(*pending);
}

void Engine::remove_snapshot_extension(const std::string& name) {
  std::lock_guard lock(state_mutex_);
  extensions_.erase(name);
}

void Engine::restore_extensions() {
  std::vector<std::pair<std::function<void(std::string_view)>, std::string>> due;
  {
    std::lock_guard lock(state_mutex_);
    for (auto it = pending_extensions_.begin(); it != pending_extensions_.end();) {
      const auto extension = extensions_.find(it->first);
      if (extension == extensions_.end()) {
        ++it;
        continue;
      }
      due.emplace_back(extension->second.restore, std::move(it->second));
      it = pending_extensions_.erase(it);
    }
  }
  for (const auto& [restore, data] : due) restore(data);
}

std::string Engine::snapshot() const {
  EngineImage image = capture();
  std::vector<std::pair<std::string, std::function<std::string()>>> captures;
  {
    std::lock_guard lock(state_mutex_);
    for (const auto& [name, extension] : extensions_)
      captures.emplace_back(name, extension.capture);
  }
  for (const auto& [name, capture_extension] : captures)
    image.extensions[name] = capture_extension();
  return encode_snapshot(image);
}

Status Engine::snapshot_to_file(const std::filesystem::path& path) const {
  const std::string encoded = snapshot();
  std::filesystem::path temporary = path;
  temporary += ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) return io_error(temporary, "open for writing");
    out.write(encoded.data(), static_cast<std::streamsize>(encoded.size()));
    out.flush();
    if (!out) return io_error(temporary, "write");
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::filesystem::remove(temporary, error);
    return Error{ErrorCode::kSnapshotIo,
                 fmt::format("snapshot file '{}': cannot move into place: {}", path.string(),
                             error.message())};
  }
  return Status::Ok();
}

Status Engine::restore_from_file(const std::filesystem::path& path) {
  std::string data;
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) return io_error(path, "open for reading");
    data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (in.bad()) return io_error(path, "read");
  }
  return restore(data, path.string());
}

Status Engine::restore(std::string_view data, std::string_view source_name) {
  auto image = decode_snapshot(data, source_name);
  if (!image) return image.error();
  {
    std::lock_guard lock(state_mutex_);
    pending_extensions_ = std::move(image->extensions);
  }
  apply(*image, StateChange::kRestored);
  return Status::Ok();
}

EngineStats Engine::stats() const {
  EngineStats stats;
  stats.logs = logs_.stats();
  stats.queues = queues_.stats();
  stats.retained_count = retained_.size();
  stats.retained_bytes = retained_.stored_bytes();
  stats.sessions = sessions_.stats();
  stats.memory_used = context_.budget.used();
  stats.memory_cap = context_.budget.cap();
  stats.near_memory_cap = context_.budget.near_cap();
  return stats;
}

}  // namespace mockforge::storage
