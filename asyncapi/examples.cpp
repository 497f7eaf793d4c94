#include "asyncapi/examples.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

namespace mockforge::asyncapi {
namespace {

using json = Json;

class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t next() {  // splitmix64: the same sequence on every platform
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t bound) { return bound == 0 ? 0 : next() % bound; }
  int64_t between(int64_t low, int64_t high) {  // inclusive
    if (high <= low) return low;
    // In unsigned arithmetic: the span of two int64_t may not fit one.
    const uint64_t span = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
    const uint64_t offset = span == std::numeric_limits<uint64_t>::max() ? next() : below(span + 1);
    return static_cast<int64_t>(static_cast<uint64_t>(low) + offset);
  }

 private:
  uint64_t state_;
};

// A generator for the regular expressions the synthesiser understands.
class PatternWriter {
 public:
  PatternWriter(const std::string& pattern, Random& random) : p_(pattern), random_(random) {}

  // The generated text, or nullopt when the pattern uses something unknown.
  std::optional<std::string> write() {
    std::string out;
    if (at('^')) ++i_;
    if (!alternation(out)) return std::nullopt;
    if (i_ < p_.size()) return std::nullopt;
    return out;
  }

 private:
  bool at(char c) const { return i_ < p_.size() && p_[i_] == c; }

  bool alternation(std::string& out) {
    // Every branch is generated (it must be parsed anyway); one is kept.
    std::vector<std::string> branches(1);
    while (true) {
      std::string branch;
      if (!sequence(branch)) return false;
      branches.back() = branch;
      if (!at('|')) break;
      ++i_;
      branches.emplace_back();
    }
    out += branches[random_.below(branches.size())];
    return true;
  }

  bool sequence(std::string& out) {
    while (i_ < p_.size() && !at('|') && !at(')')) {
      if (at('$') && i_ + 1 == p_.size()) {
        ++i_;
        continue;
      }
      const std::size_t atom_start = i_;
      std::string sample;
      // The atom is parsed once, then re-read for each further repetition.
      if (!atom(sample)) return false;
      int64_t min = 1, max = 1;
      if (!quantifier(min, max)) return false;
      const int64_t count = random_.between(min, max);
      const std::size_t after = i_;
      for (int64_t n = 0; n < count; ++n) {
        if (n == 0) {
          out += sample;
          continue;
        }
        i_ = atom_start;
        std::string again;
        atom(again);
        out += again;
      }
      i_ = after;
    }
    return true;
  }

  bool quantifier(int64_t& min, int64_t& max) {
    if (at('?')) {
      min = 0, max = 1, ++i_;
    } else if (at('*')) {
      min = 0, max = 3, ++i_;
    } else if (at('+')) {
      min = 1, max = 3, ++i_;
    } else if (at('{')) {
      const auto close = p_.find('}', i_);
      if (close == std::string::npos) return false;
      const auto body = p_.substr(i_ + 1, close - i_ - 1);
      const auto comma = body.find(',');
      try {
        min = std::stoll(body.substr(0, comma));
        max = comma == std::string::npos ? min
              : comma + 1 == body.size() ? min + 3
                                         : std::stoll(body.substr(comma + 1));
      } catch (const std::exception&) {
        return false;
      }
      if (max < min || max > 1000) return false;
      i_ = close + 1;
    }
    if (at('?') || at('+')) return false;  // lazy/possessive: not handled
    return true;
  }

  static std::string chars_of_escape(char c) {
    switch (c) {
      case 'd':
        return "0123456789";
      case 'w':
        return "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";
      case 's':
        return " ";
      default:
        return "";
    }
  }

  bool atom(std::string& out) {
    if (at('(')) {
      ++i_;
      if (at('?')) {
        if (i_ + 1 < p_.size() && p_[i_ + 1] == ':')
          i_ += 2;
        else
          return false;  // lookarounds, named groups
      }
      if (!alternation(out) || !at(')')) return false;
      ++i_;
      return true;
    }
    if (at('[')) return char_class(out);
    if (at('\\')) {
      if (i_ + 1 >= p_.size()) return false;
      const char c = p_[i_ + 1];
      i_ += 2;
      const auto set = chars_of_escape(c);
      if (!set.empty()) {
        out.push_back(set[random_.below(set.size())]);
        return true;
      }
      if (std::isalnum(static_cast<unsigned char>(c))) return false;  // \b, \1, \D, ...
      out.push_back(c);
      return true;
    }
    if (at('.')) {
      ++i_;
      out.push_back("abcdefghijklmnopqrstuvwxyz"[random_.below(26)]);
      return true;
    }
    if (at('^') || at('$') || at('*') || at('+') || at('?') || at('{')) return false;
    out.push_back(p_[i_++]);
    return true;
  }

  bool char_class(std::string& out) {
    ++i_;  // '['
    if (at('^')) return false;
    std::string set;
    bool first = true;
    while (i_ < p_.size() && (!at(']') || first)) {
      first = false;
      char c = p_[i_];
      if (c == '\\') {
        if (i_ + 1 >= p_.size()) return false;
        const auto escaped = chars_of_escape(p_[i_ + 1]);
        if (!escaped.empty()) {
          set += escaped;
          i_ += 2;
          continue;
        }
        if (std::isalnum(static_cast<unsigned char>(p_[i_ + 1]))) return false;
        c = p_[i_ + 1];
        ++i_;
      }
      ++i_;
      if (at('-') && i_ + 1 < p_.size() && p_[i_ + 1] != ']') {
        const char end = p_[i_ + 1];
        if (end < c) return false;
        for (char x = c; x <= end; ++x) set.push_back(x);
        i_ += 2;
      } else {
        set.push_back(c);
      }
    }
    if (!at(']') || set.empty()) return false;
    ++i_;
    out.push_back(set[random_.below(set.size())]);
    return true;
  }

  const std::string& p_;
  Random& random_;
  std::size_t i_ = 0;
};

// A keyword's value when it has the type JSON Schema gives the keyword; one
// of another type is ignored here (the validator, compiling the schema,
// says why), never read as something else.
std::optional<int64_t> count_keyword(const json& schema, const char* name) {
  const auto it = schema.find(name);
  if (it == schema.end()) return std::nullopt;
  if (it->is_number_unsigned()) {
    return static_cast<int64_t>(
        std::min<uint64_t>(it->get<uint64_t>(), std::numeric_limits<int64_t>::max()));
  }
  if (it->is_number_integer()) return std::max<int64_t>(it->get<int64_t>(), 0);
  if (it->is_number_float()) {  // 2.0 is an integer to JSON Schema
    const double value = it->get<double>();
    if (value >= 0 && value < 9.2e18 && std::floor(value) == value) {
      return static_cast<int64_t>(value);
    }
  }
  return std::nullopt;
}

bool true_keyword(const json& schema, const char* name) {
  const auto it = schema.find(name);
  return it != schema.end() && it->is_boolean() && it->get<bool>();
}

std::string string_keyword(const json& schema, const char* name) {
  const auto it = schema.find(name);
  return it != schema.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// What one example may hold: beyond these a value is cut short (and noted),
// so that a schema asking for a billion items or characters, or arrays of
// arrays of many items each, cannot exhaust memory.
constexpr int64_t kMaxItems = 1000;
constexpr int64_t kMaxLength = 64 * 1024;
constexpr std::size_t kMaxValues = 100'000;
// Integer bounds beyond these are taken as these (a double converted to
// int64_t must fit it); numbers stay within a finite double range.
constexpr double kIntegerLimit = 4611686018427387904.0;  // 2^62
constexpr double kNumberLimit = 1e300;

class Synthesiser {
 public:
  explicit Synthesiser(uint64_t seed) : random_(seed) {}

  json value(const json& schema, const std::string& path, int depth) {
    if (depth > 32) {
      note(path, "nesting deeper than 32 levels; null written");
      return nullptr;
    }
    if (++values_ > kMaxValues) {
      if (values_ == kMaxValues + 1) {
        note(path,
             fmt::format("the example has {} values; null written here and after", kMaxValues));
      }
      return nullptr;
    }
    if (schema.is_boolean()) {
      if (!schema.get<bool>()) note(path, "the schema is false: no value can satisfy it");
      return nullptr;
    }
    if (!schema.is_object()) return nullptr;
    if (schema.contains("const")) return schema["const"];
    if (schema.contains("enum") && schema["enum"].is_array() && !schema["enum"].empty())
      return schema["enum"][random_.below(schema["enum"].size())];
    if (schema.contains("examples") && schema["examples"].is_array() && !schema["examples"].empty())
      return schema["examples"][random_.below(schema["examples"].size())];
    if (schema.contains("example")) return schema["example"];
    if (schema.contains("default")) return schema["default"];
    if (schema.contains("allOf") && schema["allOf"].is_array()) {
      json merged = schema;
      merged.erase("allOf");
      for (const auto& part : schema["allOf"]) merge(merged, part);
      return value(merged, path, depth + 1);
    }
    for (const char* keyword : {"oneOf", "anyOf"}) {
      if (schema.contains(keyword) && schema[keyword].is_array() && !schema[keyword].empty()) {
        const auto& branches = schema[keyword];
        json merged = schema;
        merged.erase(keyword);
        merge(merged, branches[random_.below(branches.size())]);
        return value(merged, path, depth + 1);
      }
    }
    const std::string type = type_of(schema);
    if (type == "object") return object(schema, path, depth);
    if (type == "array") return array(schema, path, depth);
    if (type == "string") return string(schema, path);
    if (type == "integer") return integer(schema, path);
    if (type == "number") return number(schema, path);
    if (type == "boolean") return random_.below(2) == 1;
    return nullptr;
  }

  std::vector<std::string> notes;

 private:
  void note(const std::string& path, const std::string& text) {
    notes.push_back(fmt::format("{}: {}", path.empty() ? "/" : path, text));
  }

  // Merges `part` into `into`: properties and required are unions; other
  // keywords of `part` fill what `into` lacks. A `properties` or `required`
  // of `into` that is not an object or a list (not JSON Schema) is replaced.
  static void merge(json& into, const json& part) {
    if (!part.is_object()) return;
    for (const auto& [key, value] : part.items()) {
      if (key == "properties" && value.is_object()) {
        if (!into["properties"].is_object()) into["properties"] = json::object();
        for (const auto& [name, schema] : value.items())
          if (!into["properties"].contains(name)) into["properties"][name] = schema;
      } else if (key == "required" && value.is_array()) {
        if (!into["required"].is_array()) into["required"] = json::array();
        for (const auto& name : value) into["required"].push_back(name);
      } else if (key == "allOf" && value.is_array()) {
        for (const auto& nested : value) merge(into, nested);
      } else if (!into.contains(key)) {
        into[key] = value;
      }
    }
  }

  static std::string type_of(const json& schema) {
    if (schema.contains("type")) {
      const auto& type = schema["type"];
      if (type.is_string()) return type.get<std::string>();
      if (type.is_array())
        for (const auto& t : type)
          if (t.is_string() && t != "null") return t.get<std::string>();
      return "null";
    }
    if (schema.contains("properties") || schema.contains("required")) return "object";
    if (schema.contains("items")) return "array";
    if (schema.contains("minimum") || schema.contains("maximum")) return "number";
    if (schema.contains("pattern") || schema.contains("format") || schema.contains("minLength"))
      return "string";
    return "null";
  }

  json object(const json& schema, const std::string& path, int depth) {
    json out = json::object();
    if (schema.contains("properties") && schema["properties"].is_object())
      for (const auto& [name, property] : schema["properties"].items())
        out[name] = value(property, path + "/" + escape_pointer_token(name), depth + 1);
    if (schema.contains("required") && schema["required"].is_array())
      for (const auto& name : schema["required"])
        if (name.is_string() && !out.contains(name.get<std::string>())) {
          const auto key = name.get<std::string>();
          out[key] = "example";
          note(path + "/" + escape_pointer_token(key), "required but has no property schema");
        }
    return out;
  }

  json array(const json& schema, const std::string& path, int depth) {
    json out = json::array();
    int64_t min = count_keyword(schema, "minItems").value_or(1);
    int64_t max = count_keyword(schema, "maxItems").value_or(std::max<int64_t>(min, 2));
    if (min > kMaxItems) {
      note(path,
           fmt::format("minItems {} is beyond {} items; the array is shorter", min, kMaxItems));
      min = kMaxItems;
    }
    if (max < min) max = min;
    const int64_t count = std::min<int64_t>(random_.between(std::max<int64_t>(min, 1), max), 100);
    const auto& items = schema.contains("items") ? schema["items"] : json(true);
    for (int64_t i = 0; i < std::max(count, min); ++i) {
      const auto item_path = fmt::format("{}/{}", path, i);
      if (items.is_array()) {
        if (static_cast<std::size_t>(i) >= items.size()) break;
        out.push_back(value(items[static_cast<std::size_t>(i)], item_path, depth + 1));
      } else {
        out.push_back(value(items, item_path, depth + 1));
      }
    }
    return out;
  }

  std::string uuid() {
    const uint64_t high = random_.next(), low = random_.next();
    std::string hex = fmt::format("{:016x}{:016x}", high, low);
    hex[12] = '4';
    hex[16] = "89ab"[low >> 62];
    return fmt::format("{}-{}-{}-{}-{}", hex.substr(0, 8), hex.substr(8, 4), hex.substr(12, 4),
                       hex.substr(16, 4), hex.substr(20, 12));
  }

  json string(const json& schema, const std::string& path) {
    const std::string format = string_keyword(schema, "format");
    const int64_t n = random_.between(1, 999);
    // 2026-01-01T00:00:00Z plus up to 100 days, whole seconds.
    const int64_t seconds = random_.between(0, 100 * 86400 - 1);
    const int64_t day = 1 + seconds / 86400;
    const int month = day <= 31 ? 1 : day <= 59 ? 2 : day <= 90 ? 3 : 4;
    const int64_t mday = day - (month == 1 ? 0 : month == 2 ? 31 : month == 3 ? 59 : 90);
    const auto time =
        fmt::format("{:02}:{:02}:{:02}", seconds % 86400 / 3600, seconds % 3600 / 60, seconds % 60);
    const auto date = fmt::format("2026-{:02}-{:02}", month, mday);
    if (format == "date-time") return fmt::format("{}T{}Z", date, time);
    if (format == "date") return date;
    if (format == "time") return time + "Z";
    if (format == "uuid") return uuid();
    if (format == "email") return fmt::format("user{}@example.com", n);
    if (format == "uri" || format == "url") return fmt::format("https://example.com/item/{}", n);
    if (format == "hostname") return fmt::format("host{}.example.com", n);
    if (format == "ipv4")
      return fmt::format("10.{}.{}.{}", random_.below(256), random_.below(256),
                         random_.between(1, 254));
    if (format == "ipv6") return fmt::format("2001:db8::{:x}", random_.next() & 0xffff);
    if (schema.contains("pattern") && schema["pattern"].is_string()) {
      const auto pattern = schema["pattern"].get<std::string>();
      if (auto written = PatternWriter(pattern, random_).write()) return *written;
      note(path, fmt::format("pattern '{}' is beyond the synthesiser (lookarounds, negated "
                             "classes, back-references, anchors inside); the value does not "
                             "follow it",
                             pattern));
    }
    if (!format.empty())
      note(path, fmt::format("format '{}' is not synthesised; a plain string is written", format));
    int64_t min_length = count_keyword(schema, "minLength").value_or(0);
    if (min_length > kMaxLength) {
      note(path, fmt::format("minLength {} is beyond {} characters; the string is shorter",
                             min_length, kMaxLength));
      min_length = kMaxLength;
    }
    const int64_t max_length =
        count_keyword(schema, "maxLength").value_or(std::max<int64_t>(min_length, 12));
    static const char* words[] = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot"};
    std::string text = fmt::format("{}-{}", words[random_.below(6)], n);
    while (static_cast<int64_t>(text.size()) < min_length) text.push_back('x');
    if (static_cast<int64_t>(text.size()) > max_length)
      text.resize(static_cast<std::size_t>(std::max<int64_t>(max_length, 0)));
    return text;
  }

  // The inclusive bounds of a numeric schema, `step` apart at the limits.
  void bounds(const json& schema, const std::string& path, double& low, double& high, double step,
              double limit) {
    low = -std::numeric_limits<double>::infinity();
    high = std::numeric_limits<double>::infinity();
    if (schema.contains("minimum") && schema["minimum"].is_number()) {
      low = schema["minimum"].get<double>();
      if (true_keyword(schema, "exclusiveMinimum")) low += step;
    }
    if (schema.contains("maximum") && schema["maximum"].is_number()) {
      high = schema["maximum"].get<double>();
      if (true_keyword(schema, "exclusiveMaximum")) high -= step;
    }
    if (schema.contains("exclusiveMinimum") && schema["exclusiveMinimum"].is_number())
      low = std::max(low, schema["exclusiveMinimum"].get<double>() + step);
    if (schema.contains("exclusiveMaximum") && schema["exclusiveMaximum"].is_number())
      high = std::min(high, schema["exclusiveMaximum"].get<double>() - step);
    if (std::isinf(low) && std::isinf(high)) low = 0, high = 100;
    if (std::isinf(low)) low = high - 100;
    if (std::isinf(high)) high = low + 100;
    if (low > limit || high < -limit) {
      note(path, fmt::format("bounds beyond {}; the value written is not within them", limit));
    }
    low = std::clamp(low, -limit, limit);
    high = std::clamp(high, -limit, limit);
  }

  json integer(const json& schema, const std::string& path) {
    double low = 0, high = 0;
    bounds(schema, path, low, high, 1, kIntegerLimit);
    auto lo = static_cast<int64_t>(std::ceil(low));
    auto hi = static_cast<int64_t>(std::floor(high));
    if (hi < lo) {
      note(path, "minimum is above maximum; the minimum is written");
      return lo;
    }
    int64_t v = random_.between(lo, hi);
    if (schema.contains("multipleOf") && schema["multipleOf"].is_number_integer()) {
      const int64_t m = schema["multipleOf"].get<int64_t>();
      if (m > 0) {
        v = (v / m) * m;
        if (v < lo && __builtin_add_overflow(v, m, &v)) v = lo;
        if (v > hi || v < lo) note(path, "no multiple of multipleOf within the bounds");
      }
    }
    return v;
  }

  json number(const json& schema, const std::string& path) {
    double low = 0, high = 0;
    bounds(schema, path, low, high, 0.01, kNumberLimit);
    if (high < low) {
      note(path, "minimum is above maximum; the minimum is written");
      return low;
    }
    double v = low + (high - low) * static_cast<double>(random_.below(10001)) / 10000.0;
    v = std::round(v * 100) / 100;
    if (v < low) v = low;
    if (v > high) v = high;
    if (schema.contains("multipleOf") && schema["multipleOf"].is_number()) {
      const double m = schema["multipleOf"].get<double>();
      if (m > 0) {
        const double multiple = std::ceil(low / m) * m;
        if (!std::isfinite(multiple) || multiple > high) {
          note(path, "no multiple of multipleOf within the bounds");
        } else {
          v = multiple;
        }
      }
    }
    return v;
  }

  Random random_;
  std::size_t values_ = 0;
};

}  // namespace

Synthesised synthesise(const Json& schema, uint64_t seed) {
  Synthesiser synthesiser(seed);
  Synthesised out;
  out.value = synthesiser.value(schema, "", 0);
  out.notes = std::move(synthesiser.notes);
  return out;
}

MessageExample example_of(const Message& message, uint64_t seed, uint64_t index) {
  MessageExample out;
  if (!message.examples.empty()) {
    out.example = message.examples[index % message.examples.size()];
    return out;
  }
  out.synthesised = true;
  out.example.name = "synthesised";
  // Each message draws its own values from the seed (FNV-1a of its JSON
  // pointer, not of the file path, which depends on how the file was named),
  // so two messages with alike fields do not repeat each other.
  uint64_t mix = 0xcbf29ce484222325ULL;
  const auto hash = message.pointer.rfind('#');
  for (unsigned char c : message.pointer.substr(hash == std::string::npos ? 0 : hash))
    mix = (mix ^ c) * 0x100000001b3ULL;
  seed ^= mix;
  auto payload = synthesise(message.payload, seed + index);
  out.example.payload = std::move(payload.value);
  for (auto& n : payload.notes) out.notes.push_back("payload " + n);
  if (!message.headers.is_null()) {
    auto headers = synthesise(message.headers, seed + index + 0x5bd1e995);
    out.example.headers = std::move(headers.value);
    for (auto& n : headers.notes) out.notes.push_back("headers " + n);
  }
  return out;
}

}  // namespace mockforge::asyncapi
