#include "asyncapi/document.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>

#include "core/json/payload.h"
#include "core/yaml/load.h"

namespace mockforge::asyncapi {
namespace {

// How deep a schema may nest once its $refs are inlined, and how long a
// chain of $refs may be: what reads a schema recurses once per level.
constexpr std::size_t kMaxDepth = 512;
constexpr std::size_t kMaxLines = 100'000;

// A plain (untagged, unquoted) YAML scalar as the JSON value it reads as
// under the YAML 1.2 core schema; quoted scalars stay strings.
Json plain_scalar(const std::string& text) {
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL")
    return nullptr;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  const char* digits = begin + ((*begin == '-' || *begin == '+') ? 1 : 0);
  if (digits != end && std::all_of(digits, end, [](char c) { return std::isdigit(c) != 0; })) {
    int64_t integer = 0;
    const char* from = *begin == '+' ? begin + 1 : begin;
    auto [ptr, ec] = std::from_chars(from, end, integer);
    if (ec == std::errc() && ptr == end) return integer;
  }
  const bool numeric_chars = std::all_of(begin, end, [](char c) {
    return std::isdigit(c) != 0 || c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+';
  });
  if (numeric_chars && std::any_of(begin, end, [](char c) { return std::isdigit(c) != 0; })) {
    double number = 0;
    auto [ptr, ec] = std::from_chars(begin, end, number);
    if (ec == std::errc() && ptr == end) return number;
  }
  return text;
}

Json yaml_to_json(const YAML::Node& node, const std::string& pointer,
                  std::map<std::string, int>& lines) {
  // Lines for errors; an alias-heavy file could make a pointer per node of
  // up to a million, each as long as its depth.
  if (lines.size() < kMaxLines) lines.emplace(pointer, node.Mark().line + 1);
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return nullptr;
    case YAML::NodeType::Scalar:
      if (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str") return node.Scalar();
      return plain_scalar(node.Scalar());
    case YAML::NodeType::Sequence: {
      auto array = Json::array();
      for (std::size_t i = 0; i < node.size(); ++i)
        array.push_back(yaml_to_json(node[i], pointer + "/" + std::to_string(i), lines));
      return array;
    }
    case YAML::NodeType::Map: {
      auto object = Json::object();
      for (const auto& entry : node) {
        const auto key = entry.first.as<std::string>();
        object[key] = yaml_to_json(entry.second, pointer + "/" + escape_pointer_token(key), lines);
      }
      return object;
    }
    case YAML::NodeType::Undefined:
      break;
  }
  return nullptr;
}

std::string percent_decode(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int value = 0;
      auto [ptr, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
      if (ec == std::errc() && ptr == text.data() + i + 3) {
        out.push_back(static_cast<char>(value));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

std::string normalise(const std::filesystem::path& path) {
  std::error_code ec;
  auto absolute = std::filesystem::absolute(path, ec);
  return (ec ? path : absolute).lexically_normal().string();
}

}  // namespace

std::string escape_pointer_token(const std::string& token) {
  std::string out;
  for (char c : token) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out.push_back(c);
  }
  return out;
}

std::string Error::to_string() const {
  std::string where = file;
  if (line > 0) where += fmt::format(":{}", line);
  return fmt::format("{}: #{}: {}", where, pointer, message);
}

DocumentError::DocumentError(Error error)
    : std::runtime_error(error.to_string()), error_(std::move(error)) {}

Node Node::operator[](const std::string& key) const {
  return Node{&value->at(key), file, pointer + "/" + escape_pointer_token(key)};
}

Node Node::operator[](std::size_t index) const {
  return Node{&value->at(index), file, pointer + "/" + std::to_string(index)};
}

Document Document::load(const std::filesystem::path& path) {
  Document document;
  document.root_path_ = path;
  document.root_file_ = normalise(path);
  document.file(document.root_file_, nullptr);
  return document;
}

const Document::File& Document::file(const std::string& path, const Node* referrer) const {
  auto found = files_->find(path);
  if (found != files_->end()) return *found->second;
  const auto fail_here = [&](const std::string& message) -> void {
    if (referrer) throw DocumentError(error_at(*referrer, message));
    throw DocumentError(Error{path, 0, "", message});
  };
  std::ifstream in(path, std::ios::binary);
  if (!in) fail_here(fmt::format("cannot read {}", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto loaded = std::make_unique<File>();
  const auto extension = std::filesystem::path(path).extension().string();
  try {
    if (extension == ".json") {
      // nlohmann parses any depth, but what reads the value (inlining
      // $refs, valijson) recurses once per level; YAML has yaml-cpp's bound.
      const std::string text = buffer.str();
      if (json::nesting_depth(text, json::kMaxPayloadDepth) > json::kMaxPayloadDepth) {
        fail_here(fmt::format("{} nests deeper than {} levels", path, json::kMaxPayloadDepth));
      }
      loaded->json = Json::parse(text);
    } else {
      loaded->json = yaml_to_json(yaml::load(buffer.str()), "", loaded->lines);
    }
  } catch (const Json::exception& e) {
    fail_here(fmt::format("{} is not valid JSON: {}", path, e.what()));
  } catch (const YAML::Exception& e) {
    if (referrer) fail_here(fmt::format("{} is not valid YAML: {}", path, e.what()));
    throw DocumentError(Error{path, e.mark.line + 1, "", fmt::format("not valid YAML: {}", e.msg)});
  }
  return *files_->emplace(path, std::move(loaded)).first->second;
}

Node Document::root() const { return Node{&file(root_file_, nullptr).json, root_file_, ""}; }

std::vector<std::string> Document::files() const {
  std::vector<std::string> out{root_file_};
  for (const auto& [path, file] : *files_)
    if (path != root_file_) out.push_back(path);
  return out;
}

int Document::line_of(const std::string& path, const std::string& pointer) const {
  auto found = files_->find(path);
  if (found == files_->end()) return 0;
  const auto& lines = found->second->lines;
  // The pointer itself, else its closest ancestor that has a line.
  std::string prefix = pointer;
  while (true) {
    auto line = lines.find(prefix);
    if (line != lines.end()) return line->second;
    if (prefix.empty()) return 0;
    prefix.erase(prefix.rfind('/'));
  }
}

Error Document::error_at(const Node& node, std::string message) const {
  std::string shown = node.file;
  std::error_code ec;
  const auto base = std::filesystem::absolute(root_path_, ec).parent_path();
  if (!ec) {
    auto relative = std::filesystem::path(node.file).lexically_relative(base);
    if (!relative.empty() && relative.string().rfind("..", 0) != 0) shown = relative.string();
  }
  if (node.file == root_file_) shown = root_path_.string();
  return Error{shown, line_of(node.file, node.pointer), node.pointer, std::move(message)};
}

void Document::fail(const Node& node, std::string message) const {
  throw DocumentError(error_at(node, std::move(message)));
}

Node Document::resolve(const std::string& ref, const Node& from) const {
  if (ref.rfind("http://", 0) == 0 || ref.rfind("https://", 0) == 0)
    fail(from, fmt::format("remote $ref '{}' is not supported (only local and relative-file "
                           "references)",
                           ref));
  const auto hash = ref.find('#');
  const std::string file_part = ref.substr(0, hash);
  const std::string fragment =
      hash == std::string::npos ? "" : percent_decode(ref.substr(hash + 1));
  std::string target_file = from.file;
  if (!file_part.empty()) {
    target_file =
        normalise(std::filesystem::path(from.file).parent_path() / percent_decode(file_part));
  }
  if (!fragment.empty() && fragment.front() != '/')
    fail(from, fmt::format("$ref '{}': the fragment must be a JSON pointer (#/...)", ref));
  const auto& target = file(target_file, &from);
  try {
    const Json::json_pointer pointer(fragment);
    if (!target.json.contains(pointer)) fail(from, fmt::format("$ref '{}' does not resolve", ref));
    return Node{&target.json.at(pointer), target_file, fragment};
  } catch (const Json::exception&) {
    fail(from, fmt::format("$ref '{}' does not resolve", ref));
  }
}

Node Document::follow(const Node& node) const {
  Node current = node;
  std::vector<std::string> seen;
  while (current.value->is_object() && current.value->contains("$ref")) {
    const auto& ref = (*current.value)["$ref"];
    const Node at_ref = current["$ref"];
    if (!ref.is_string()) fail(at_ref, "$ref must be a string");
    const auto key = current.file + "#" + current.pointer;
    if (std::find(seen.begin(), seen.end(), key) != seen.end())
      fail(at_ref, fmt::format("$ref '{}' loops back to itself", ref.get<std::string>()));
    if (seen.size() == kMaxDepth) {
      fail(at_ref, fmt::format("a chain of more than {} $refs", kMaxDepth));
    }
    seen.push_back(key);
    current = resolve(ref.get<std::string>(), at_ref);
  }
  return current;
}

Json Document::inline_refs(const Node& node) const {
  std::vector<std::string> stack;
  return inline_refs(node, stack, 1);
}

Json Document::inline_refs(const Node& node, std::vector<std::string>& stack,
                           std::size_t depth) const {
  // Bounded in size and in depth: each is what the readers of the schema
  // (valijson, the synthesiser, printing) spend, the depth on the stack.
  if (depth > kMaxDepth) {
    fail(node,
         fmt::format("the schema nests deeper than {} levels with its $refs inlined", kMaxDepth));
  }
  if (++*inlined_ > yaml::kMaxExpandedNodes) {
    fail(node, fmt::format("$refs expand the document's schemas beyond {} values (each use of a "
                           "$ref repeats what it points to)",
                           yaml::kMaxExpandedNodes));
  }
  const auto& value = node.json();
  if (value.is_array()) {
    auto out = Json::array();
    for (std::size_t i = 0; i < value.size(); ++i) {
      out.push_back(inline_refs(node[i], stack, depth + 1));
    }
    return out;
  }
  if (!value.is_object()) return value;
  if (value.contains("$ref") && value["$ref"].is_string()) {
    const Node at_ref = node["$ref"];
    const Node target = resolve(value["$ref"].get<std::string>(), at_ref);
    const auto key = target.file + "#" + target.pointer;
    if (std::find(stack.begin(), stack.end(), key) != stack.end())
      fail(at_ref, fmt::format("$ref '{}' is recursive; recursive schemas are not supported",
                               value["$ref"].get<std::string>()));
    stack.push_back(key);
    auto out = inline_refs(target, stack, depth + 1);
    stack.pop_back();
    if (out.is_object()) {
      for (const auto& [name, member] : value.items())
        if (name != "$ref" && !out.contains(name)) {
          out[name] = inline_refs(node[name], stack, depth + 1);
        }
    }
    return out;
  }
  auto out = Json::object();
  for (const auto& [name, member] : value.items()) {
    out[name] = inline_refs(node[name], stack, depth + 1);
  }
  return out;
}

}  // namespace mockforge::asyncapi
