// Runs Debian's json-schema-test-suite (package json-schema-test-suite) for
// drafts 4 and 7 through asyncapi::SchemaValidator, the valijson integration
// live validation uses. Prints, per file, how many tests pass, and the groups
// skipped as known unsupported with the reason (docs/compatibility.md lists
// the same). Fails when a test outside the skip list fails, or when a
// skipped group passes entirely (the list is then out of date).
//
//   json_schema_suite SUITE_DIR   (/usr/share/json-schema-test-suite)
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "asyncapi/schema_validator.h"

namespace {

using mockforge::asyncapi::Draft;
using mockforge::asyncapi::SchemaValidator;

struct Skip {
  const char* draft;
  const char* file;   // relative to tests/<draft>/
  const char* group;  // a group's description, "" for every group of the file
  const char* reason;
};

// Known unsupported: the test then does not count as a failure.
const Skip kSkips[] = {
#include "json_schema_suite_skips.inc"
};

const Skip* skip_for(const std::string& draft, const std::string& file, const std::string& group) {
  for (const auto& skip : kSkips)
    if (draft == skip.draft && file == skip.file && (*skip.group == 0 || group == skip.group))
      return &skip;
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: json_schema_suite SUITE_DIR\n";
    return 2;
  }
  const std::filesystem::path suite = argv[1];
  int failures = 0;
  int stale = 0;
  int total_passed = 0, total_run = 0, total_skipped = 0;
  for (const std::string draft : {"draft4", "draft7"}) {
    const auto root = suite / "tests" / draft;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root))
      if (entry.is_regular_file() && entry.path().extension() == ".json")
        files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    std::cout << fmt::format("== {} ==\n", draft);
    for (const auto& path : files) {
      const auto file = path.lexically_relative(root).string();
      std::ifstream in(path);
      const auto groups = nlohmann::json::parse(in);
      int passed = 0, run = 0, skipped = 0;
      std::vector<std::string> failed;
      for (const auto& group : groups) {
        const auto description = group.value("description", "");
        const Skip* skip = skip_for(draft, file, description);
        int group_passed = 0;
        std::vector<std::string> group_failed;
        std::string parse_error;
        std::unique_ptr<SchemaValidator> validator;
        try {
          validator = std::make_unique<SchemaValidator>(
              group["schema"], draft == "draft4" ? Draft::kDraft4 : Draft::kDraft7);
        } catch (const std::exception& e) {
          parse_error = e.what();
        }
        for (const auto& test : group["tests"]) {
          bool ok = false;
          if (validator) {
            try {
              ok = validator->valid(test["data"]) == test["valid"].get<bool>();
            } catch (const std::exception&) {
              ok = false;
            }
          }
          if (ok)
            ++group_passed;
          else
            group_failed.push_back(
                fmt::format("{} / {}{}", description, test.value("description", ""),
                            parse_error.empty() ? "" : " (" + parse_error + ")"));
        }
        const int group_size = static_cast<int>(group["tests"].size());
        if (skip) {
          skipped += group_size;
          if (group_failed.empty()) {
            ++stale;
            std::cout << fmt::format("  STALE SKIP {}: '{}' passes entirely\n", file, description);
          }
          continue;
        }
        run += group_size;
        passed += group_passed;
        for (auto& f : group_failed) failed.push_back(std::move(f));
      }
      total_passed += passed;
      total_run += run;
      total_skipped += skipped;
      std::cout << fmt::format("  {:<40} {:>3}/{:<3} pass{}\n", file, passed, run,
                               skipped ? fmt::format(", {} skipped", skipped) : "");
      for (const auto& f : failed) std::cout << fmt::format("    FAIL {}\n", f);
      failures += static_cast<int>(failed.size());
    }
  }
  std::cout << "\nskipped as known unsupported:\n";
  for (const auto& skip : kSkips)
    std::cout << fmt::format("  {}/{}{}: {}\n", skip.draft, skip.file,
                             *skip.group ? fmt::format(" '{}'", skip.group) : "", skip.reason);
  std::cout << fmt::format("\n{} of {} tests pass, {} skipped, {} failed, {} stale skip(s)\n",
                           total_passed, total_run, total_skipped, failures, stale);
  return failures == 0 && stale == 0 ? 0 : 1;
}
