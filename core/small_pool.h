#pragma once

// Blocks of a few fixed sizes without malloc's per-block overhead, for the
// objects every connection keeps while it is idle (the connection, its
// protocol, its storage session, Asio's pending socket wait). glibc puts an
// 8-byte size header before each block and rounds it to 16 bytes; here a
// block is its size rounded up to 8, carved from 64 KiB slabs, with the free
// ones on a list per size. With tens of thousands of connections that is 8
// bytes or more per block.
//
// Freed blocks are reused for blocks of the same size; slabs are never given
// back (glibc's heap keeps freed small blocks too). Any thread may allocate
// and free; each size has its own one-byte lock, held for a few instructions.
// Under AddressSanitizer the blocks come from operator new, so that it still
// sees every block's bounds and lifetime.

#include <array>
#include <cstddef>
#include <mutex>
#include <new>

#include "core/small_mutex.h"

#if defined(__SANITIZE_ADDRESS__)
#define MOCKFORGE_SMALL_POOL_PASSTHROUGH 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MOCKFORGE_SMALL_POOL_PASSTHROUGH 1
#endif
#endif

namespace mockforge {

class SmallPool {
 public:
  static constexpr std::size_t kGranule = 8;    // block sizes and alignment
  static constexpr std::size_t kMaxSize = 256;  // larger requests go to operator new
  static constexpr std::size_t kSlabBytes = 64 * 1024;

  static bool pooled(std::size_t size, std::size_t alignment) {
    return size <= kMaxSize && alignment <= kGranule;
  }

  static void* allocate(std::size_t size, std::size_t alignment = kGranule) {
#ifndef MOCKFORGE_SMALL_POOL_PASSTHROUGH
    if (pooled(size, alignment)) return instance().classes_[index(size)].allocate(rounded(size));
#endif
    if (alignment <= __STDCPP_DEFAULT_NEW_ALIGNMENT__) return ::operator new(size);
    return ::operator new(size, std::align_val_t(alignment));
  }

  static void deallocate(void* block, std::size_t size, std::size_t alignment = kGranule) noexcept {
#ifndef MOCKFORGE_SMALL_POOL_PASSTHROUGH
    if (pooled(size, alignment)) {
      instance().classes_[index(size)].deallocate(block);
      return;
    }
#endif
    if (alignment <= __STDCPP_DEFAULT_NEW_ALIGNMENT__) {
      ::operator delete(block, size);
    } else {
      ::operator delete(block, size, std::align_val_t(alignment));
    }
  }

 private:
  struct FreeBlock {
    FreeBlock* next;
  };

  class SizeClass {
   public:
    void* allocate(std::size_t size) {
      std::lock_guard lock(mutex_);
      if (free_) {
        FreeBlock* block = free_;
        free_ = block->next;
        return block;
      }
      if (static_cast<std::size_t>(end_ - next_) < size) {
        // A new slab; its first granule links it to the previous one, so
        // that the slabs stay reachable (leak checkers) and are never freed.
        auto* slab = static_cast<std::byte*>(::operator new(kSlabBytes));
        *reinterpret_cast<void**>(slab) = slabs_;
        slabs_ = slab;
        next_ = slab + kGranule;
        end_ = slab + kSlabBytes;
      }
      void* block = next_;
      next_ += size;
      return block;
    }
    void deallocate(void* block) noexcept {
      std::lock_guard lock(mutex_);
      auto* node = static_cast<FreeBlock*>(block);
      node->next = free_;
      free_ = node;
    }

   private:
    SmallMutex mutex_;
    FreeBlock* free_ = nullptr;
    std::byte* next_ = nullptr;
    std::byte* end_ = nullptr;
    void* slabs_ = nullptr;
  };

  static std::size_t rounded(std::size_t size) {
    return size == 0 ? kGranule : (size + kGranule - 1) / kGranule * kGranule;
  }
  static std::size_t index(std::size_t size) { return rounded(size) / kGranule - 1; }
  static SmallPool& instance() {
    // Never destroyed: blocks may be freed by static destructors.
    static SmallPool* pool = new SmallPool;
    return *pool;
  }

  std::array<SizeClass, kMaxSize / kGranule> classes_;
};

// An allocator for std::allocate_shared and Asio's associated allocators.
template <typename T>
struct SmallPoolAllocator {
  using value_type = T;
  SmallPoolAllocator() noexcept = default;
  template <typename U>
  SmallPoolAllocator(const SmallPoolAllocator<U>&) noexcept {}  // NOLINT: implicit by design
  T* allocate(std::size_t n) {
    return static_cast<T*>(SmallPool::allocate(n * sizeof(T), alignof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept {
    SmallPool::deallocate(p, n * sizeof(T), alignof(T));
  }
  template <typename U>
  bool operator==(const SmallPoolAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace mockforge
