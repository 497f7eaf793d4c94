// Runs a libFuzzer target without libFuzzer: every file of the seed corpus,
// then a fixed number of deterministic mutations of each (truncations, bit
// flips, byte insertions, length-field garbage). Used by the gcc and ASan
// builds so that every decoder is exercised on bad input in every test run.
//
//   replay_driver CORPUS... [--runs=N]
//
// --runs=N caps the whole replay at about N inputs besides the seeds
// themselves, shared evenly among the seeds (truncations first, then
// mutations), for targets whose inputs are slow (whole connections) or whose
// corpus is large. Without it each seed gets up to 64 truncations and 2000
// mutations.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::vector<std::vector<uint8_t>> load_corpus(int argc, char** argv) {
  std::vector<std::vector<uint8_t>> corpus;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]).starts_with("--")) continue;
    std::filesystem::path root(argv[i]);
    std::vector<std::filesystem::path> files;
    if (std::filesystem::is_directory(root)) {
      for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
    } else if (std::filesystem::is_regular_file(root)) {
      files.push_back(root);
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      std::ifstream in(file, std::ios::binary);
      corpus.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
  }
  return corpus;
}

void run(const std::vector<uint8_t>& input) {
  LLVMFuzzerTestOneInput(input.empty() ? nullptr : input.data(), input.size());
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<std::size_t> budget;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    if (arg.starts_with("--runs=")) {
      budget = std::strtoull(argv[i] + 7, nullptr, 10);
    } else if (arg.starts_with("--")) {
      std::fprintf(stderr, "unknown option %s (--runs=N)\n", argv[i]);
      return 2;
    }
  }
  auto corpus = load_corpus(argc, argv);
  corpus.emplace_back();  // the empty input
  // Per seed: truncations (up to 64) and mutations (2000), or a share of --runs.
  const std::size_t per_seed = budget ? std::max<std::size_t>(2, *budget / corpus.size()) : 2064;
  const std::size_t max_cuts = budget ? per_seed / 4 : 64;
  std::mt19937_64 rng(0x6d6f636bULL);
  std::size_t runs = 0;
  for (const auto& seed : corpus) {
    run(seed);
    ++runs;
    std::size_t cuts = 0;
    if (max_cuts > 0) {
      for (std::size_t cut = 0; cut < seed.size(); cut += 1 + seed.size() / max_cuts) {
        run(std::vector<uint8_t>(seed.begin(), seed.begin() + static_cast<std::ptrdiff_t>(cut)));
        ++runs;
        ++cuts;
      }
    }
    const std::size_t rounds = budget ? per_seed - std::min(per_seed, cuts) : 2000;
    for (std::size_t round = 0; round < rounds; ++round) {
      std::vector<uint8_t> mutated = seed;
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits; ++e) {
        switch (rng() % 4) {
          case 0:
            if (!mutated.empty()) mutated[rng() % mutated.size()] ^= uint8_t(1u << (rng() % 8));
            break;
          case 1:
            if (!mutated.empty()) mutated[rng() % mutated.size()] = uint8_t(rng());
            break;
          case 2:
            mutated.insert(
                mutated.begin() + static_cast<std::ptrdiff_t>(rng() % (mutated.size() + 1)),
                uint8_t(rng()));
            break;
          case 3:
            if (!mutated.empty()) {
              const auto at = rng() % mutated.size();
              const uint8_t fill = (rng() & 1) ? 0xff : 0x7f;
              for (std::size_t k = at; k < mutated.size() && k < at + 4; ++k) mutated[k] = fill;
            }
            break;
        }
      }
      run(mutated);
      ++runs;
    }
  }
  std::printf("replayed %zu inputs from %zu seeds\n", runs, corpus.size());
  return 0;
}
