#pragma once

// An AsyncAPI document as read from disk: the root file and every file its
// `$ref`s reach, each as JSON (YAML is converted; a plain scalar becomes a
// number, boolean or null when it reads as one). Nothing is dereferenced up
// front: follow() resolves a `$ref` chain on demand and says where it ended,
// inline_refs() copies a subtree with every `$ref` in it replaced (schemas).
//
// `$ref`s may be local (`#/components/schemas/X`), relative files
// (`common.yaml`, `../shared/messages.yaml#/Telemetry`, resolved against the
// referring file's directory) or both; remote (`http:`, `https:`) ones and
// recursive ones are errors. Errors name the file, the line where known and
// the JSON pointer of the offending value.

#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace mockforge::asyncapi {

// Objects keep the document's order (channels, properties, examples).
using Json = nlohmann::ordered_json;

struct Error {
  std::string file;
  int line = 0;         // 0: unknown
  std::string pointer;  // JSON pointer in `file`, "" for the whole file
  std::string message;
  std::string to_string() const;  // "file:line: #/pointer: message"
};

class DocumentError : public std::runtime_error {
 public:
  explicit DocumentError(Error error);
  const Error& error() const { return error_; }

 private:
  Error error_;
};

// A value inside one of the document's files, and where it is.
struct Node {
  const Json* value = nullptr;
  std::string file;  // the file's path as opened
  std::string pointer;

  const Json& json() const { return *value; }
  bool has(const std::string& key) const { return value->is_object() && value->contains(key); }
  // The member `key` (which must exist) or element `index`.
  Node operator[](const std::string& key) const;
  Node operator[](std::size_t index) const;
};

class Document {
 public:
  // Reads the root file; throws DocumentError when it cannot be read or parsed.
  static Document load(const std::filesystem::path& path);

  Node root() const;
  // Follows `node` while it is an object with a `$ref`; throws DocumentError
  // (at the `$ref`) when the target does not exist or the chain loops.
  Node follow(const Node& node) const;
  // Where a `$ref` string written in `from`'s file points: {file, pointer}.
  // Throws DocumentError on remote or unreadable targets.
  Node resolve(const std::string& ref, const Node& from) const;
  // A copy of `node`'s value with every `$ref` inside replaced by its target
  // (sibling keys of a `$ref` are kept when the target is an object).
  // Throws DocumentError on a dangling or recursive `$ref`, and when the
  // copies of one document, all together, pass a million values (each use
  // of a `$ref` repeats its target, so a small file can describe billions).
  Json inline_refs(const Node& node) const;

  // The line `pointer` starts on in `file` (YAML files only), 0 if unknown.
  int line_of(const std::string& file, const std::string& pointer) const;
  // An Error at `node`, with its line.
  Error error_at(const Node& node, std::string message) const;
  [[noreturn]] void fail(const Node& node, std::string message) const;

  const std::filesystem::path& root_path() const { return root_path_; }
  // Files read so far, root first.
  std::vector<std::string> files() const;

 private:
  struct File {
    Json json;
    std::map<std::string, int> lines;  // pointer -> 1-based line (YAML)
  };
  const File& file(const std::string& path, const Node* referrer) const;
  Json inline_refs(const Node& node, std::vector<std::string>& stack, std::size_t depth) const;

  std::filesystem::path root_path_;
  std::string root_file_;
  // Files by normalised path; filled lazily as `$ref`s reach them.
  std::shared_ptr<std::map<std::string, std::unique_ptr<File>>> files_ =
      std::make_shared<std::map<std::string, std::unique_ptr<File>>>();
  // Values inline_refs() has copied so far, against its bound.
  std::shared_ptr<std::size_t> inlined_ = std::make_shared<std::size_t>(0);
};

// "a/b~c" -> "a~1b~0c" (one JSON pointer token).
std::string escape_pointer_token(const std::string& token);

}  // namespace mockforge::asyncapi
