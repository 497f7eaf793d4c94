#include "core/storage/byte_arena.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

namespace mockforge::storage {
namespace {

ByteSlice store(ByteArena& arena, std::string_view text) {
  auto allocation = arena.allocate(text.size());
  std::memcpy(allocation.writable.data(), text.data(), text.size());
  return allocation.slice;
}

TEST(ByteArenaTest, SlicesKeepTheirBytesAfterTheArenaMovesOn) {
  ByteArena arena;
  std::vector<ByteSlice> slices;
  for (int i = 0; i < 2000; ++i) slices.push_back(store(arena, "batch-" + std::to_string(i)));
  arena.release();
  for (int i = 0; i < 2000; ++i) EXPECT_EQ(slices[i].view(), "batch-" + std::to_string(i));
}

TEST(ByteArenaTest, SmallSlicesShareAChunkAndLargeOnesGetRoom) {
  ByteArena arena;
  auto a = store(arena, "aaaa");
  auto b = store(arena, "bbbb");
  EXPECT_EQ(a.data() + 4, b.data());  // packed into the first chunk
  // Larger than any chunk: a chunk of its own, in whole huge pages.
  const std::size_t big = ByteArena::kMaxChunkBytes + 100;
  auto allocation = arena.allocate(big);
  ASSERT_EQ(allocation.writable.size(), big);
  std::memset(allocation.writable.data(), 'z', big);
  EXPECT_EQ(allocation.slice.size(), big);
  EXPECT_EQ(allocation.slice.data()[big - 1], 'z');
  EXPECT_EQ(reinterpret_cast<uintptr_t>(allocation.slice.data()) % ByteArena::kHugePageBytes, 0u);
  EXPECT_EQ(a.view(), "aaaa");
}

TEST(ByteArenaTest, AChunkLivesAsLongAsItsLastSlice) {
  ByteSlice survivor;
  {
    ByteArena arena;
    survivor = store(arena, "kept");
    auto other = store(arena, "dropped");
    EXPECT_EQ(other.view(), "dropped");
  }
  EXPECT_EQ(survivor.view(), "kept");
}

TEST(ByteArenaTest, EmptyAllocationAndCopies) {
  ByteArena arena;
  auto empty = arena.allocate(0);
  EXPECT_TRUE(empty.writable.empty());
  EXPECT_FALSE(empty.slice);
  auto copy = ByteSlice::copy_of(std::string_view("copied"));
  EXPECT_TRUE(copy);
  EXPECT_EQ(copy.view(), "copied");
}

}  // namespace
}  // namespace mockforge::storage
