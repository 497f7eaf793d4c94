// Append-only memory for Kafka log batches.
//
// Every stored batch used to be its own heap string. Writing 100 MB of fresh
// heap costs one page fault per 4 KiB, and in a virtual machine that fault,
// not the copy, was most of the produce path's CPU. A ByteArena hands out
// slices of larger chunks instead: a partition's chunks start small (so the
// thousands of near-empty partitions a test suite creates stay cheap) and
// double up to kMaxChunkBytes. Chunks of 2 MiB and more are 2 MiB-aligned and
// advised for transparent huge pages, so a busy partition faults once per
// 2 MiB. A slice keeps its chunk alive; a chunk is freed with its last slice,
// which is how retention and reset release memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace mockforge::storage {

// Immutable bytes that share ownership of the memory they point into.
class ByteSlice {
 public:
  ByteSlice() = default;
  ByteSlice(std::shared_ptr<const void> owner, const uint8_t* data, std::size_t size)
      : owner_(std::move(owner)), data_(data), size_(size) {}

  // A slice that owns a copy of `bytes` (snapshots, tests).
  static ByteSlice copy_of(std::span<const uint8_t> bytes);
  static ByteSlice copy_of(std::string_view bytes);

  const uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::span<const uint8_t> span() const { return {data_, size_}; }
  std::string_view view() const { return {reinterpret_cast<const char*>(data_), size_}; }
  explicit operator bool() const { return data_ != nullptr; }

 private:
  std::shared_ptr<const void> owner_;
  const uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

// Not thread-safe: its owner (a partition) serialises calls.
class ByteArena {
 public:
  static constexpr std::size_t kFirstChunkBytes = 64 * 1024;
  static constexpr std::size_t kHugePageBytes = 2 * 1024 * 1024;
  static constexpr std::size_t kMaxChunkBytes = 8 * 1024 * 1024;

  // Room for `size` bytes: `writable` may be filled until the slice is
  // published; `slice` is its read-only handle. size 0 gives empty spans.
  struct Allocation {
    std::span<uint8_t> writable;
    ByteSlice slice;
  };
  Allocation allocate(std::size_t size);

  // Forgets the current chunk (it lives on while slices point into it).
  void release() { current_.reset(); }

 private:
  class Chunk;
  std::shared_ptr<Chunk> current_;
  std::size_t used_ = 0;
  std::size_t next_chunk_bytes_ = kFirstChunkBytes;
};

}  // namespace mockforge::storage
