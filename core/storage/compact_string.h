#pragma once

// An immutable string of 24 bytes that keeps up to 23 characters inline (an
// MQTT 3.1 client id's maximum, and what most clients generate) and longer
// ones on the heap. std::string keeps 15 inline in 32 bytes, so a typical
// client id would cost a separate heap block per session.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace mockforge::storage {

class CompactString {
 public:
  explicit CompactString(std::string_view text) {
    if (text.size() <= kInline) {
      std::memcpy(bytes_, text.data(), text.size());
      bytes_[kTag] = static_cast<char>(text.size());
      return;
    }
    char* heap = new char[text.size()];
    std::memcpy(heap, text.data(), text.size());
    const uint64_t size = text.size();
    std::memcpy(bytes_, &heap, sizeof heap);
    std::memcpy(bytes_ + sizeof heap, &size, sizeof size);
    bytes_[kTag] = static_cast<char>(kOnHeap);
  }
  ~CompactString() {
    if (on_heap()) delete[] heap_data();
  }
  CompactString(const CompactString&) = delete;
  CompactString& operator=(const CompactString&) = delete;

  std::string_view view() const {
    if (!on_heap()) return {bytes_, static_cast<std::size_t>(bytes_[kTag])};
    uint64_t size = 0;
    std::memcpy(&size, bytes_ + sizeof(char*), sizeof size);
    return {heap_data(), static_cast<std::size_t>(size)};
  }

 private:
  static constexpr std::size_t kInline = 23;
  static constexpr std::size_t kTag = 23;
  static constexpr unsigned char kOnHeap = 0xFF;

  bool on_heap() const { return static_cast<unsigned char>(bytes_[kTag]) == kOnHeap; }
  char* heap_data() const {
    char* heap = nullptr;
    std::memcpy(&heap, bytes_, sizeof heap);
    return heap;
  }

  alignas(8) char bytes_[24];
};

static_assert(sizeof(CompactString) == 24);

}  // namespace mockforge::storage
