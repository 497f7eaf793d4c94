#pragma once

// Hash and equality for hash sets of objects that carry their own string id
// (an MQTT session's client id, a link's registered id), transparent so that
// lookups take a std::string_view. `Ids` names the id of each key type with
// static `id()` overloads, std::string_view among them.

#include <cstddef>
#include <functional>
#include <string_view>

namespace mockforge::storage {

template <class Ids>
struct IdKey {
  using is_transparent = void;
  template <typename T>
  std::size_t operator()(const T& key) const {
    return std::hash<std::string_view>{}(Ids::id(key));
  }
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return Ids::id(a) == Ids::id(b);
  }
};

}  // namespace mockforge::storage
