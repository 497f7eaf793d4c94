#include "core/storage/byte_arena.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <new>

namespace mockforge::storage {

namespace {

std::size_t round_up(std::size_t size, std::size_t unit) { return (size + unit - 1) / unit * unit; }

// `size` bytes (a multiple of 2 MiB) at a 2 MiB boundary, advised for huge
// pages. The mapping is over-allocated by one huge page and trimmed.
uint8_t* map_huge(std::size_t size) {
  const std::size_t span = size + ByteArena::kHugePageBytes;
  void* raw = ::mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  auto* start = static_cast<uint8_t*>(raw);
  auto* aligned = reinterpret_cast<uint8_t*>(
      round_up(reinterpret_cast<uintptr_t>(start), ByteArena::kHugePageBytes));
  if (aligned > start) ::munmap(start, static_cast<std::size_t>(aligned - start));
  uint8_t* end = start + span;
  if (end > aligned + size)
    ::munmap(aligned + size, static_cast<std::size_t>(end - (aligned + size)));
  // Advice only: without transparent huge pages the chunk still works.
  ::madvise(aligned, size, MADV_HUGEPAGE);
  return aligned;
}

}  // namespace

class ByteArena::Chunk {
 public:
  explicit Chunk(std::size_t size) : size_(size) {
    if (size >= kHugePageBytes) {
      data_ = map_huge(size);
      mapped_ = true;
    } else {
      data_ = new uint8_t[size];  // left uninitialised: every byte handed out is written first
    }
  }
  ~Chunk() {
    if (mapped_) {
      ::munmap(data_, size_);
    } else {
      delete[] data_;
    }
  }
  Chunk(const Chunk&) = delete;
  Chunk& operator=(const Chunk&) = delete;

  uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  bool mapped_ = false;
};

ByteSlice ByteSlice::copy_of(std::span<const uint8_t> bytes) {
  auto owner =
      std::make_shared<std::string>(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  const auto* data = reinterpret_cast<const uint8_t*>(owner->data());
  return ByteSlice(std::move(owner), data, bytes.size());
}

ByteSlice ByteSlice::copy_of(std::string_view bytes) {
  return copy_of(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
}

ByteArena::Allocation ByteArena::allocate(std::size_t size) {
  if (size == 0) return {};
  if (!current_ || current_->size() - used_ < size) {
    std::size_t chunk_bytes = next_chunk_bytes_;
    while (chunk_bytes < size && chunk_bytes < kMaxChunkBytes) chunk_bytes *= 2;
    // A batch larger than any chunk gets one of its own, in whole huge pages.
    if (chunk_bytes < size) chunk_bytes = round_up(size, kHugePageBytes);
    current_ = std::make_shared<Chunk>(chunk_bytes);
    used_ = 0;
    next_chunk_bytes_ = std::max(next_chunk_bytes_, std::min(chunk_bytes * 2, kMaxChunkBytes));
  }
  uint8_t* data = current_->data() + used_;
  used_ += size;
  return {std::span<uint8_t>(data, size), ByteSlice(current_, data, size)};
}

}  // namespace mockforge::storage
