// Runs a libFuzzer target without libFuzzer: every file of the seed corpus,
// then a fixed number of deterministic mutations of each (truncations, bit
// flips, byte insertions, length-field garbage). Used by the gcc and ASan
// builds so that every decoder is exercised on bad input in every test run.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::vector<std::vector<uint8_t>> load_corpus(int argc, char** argv) {
  std::vector<std::vector<uint8_t>> corpus;
  for (int i = 1; i < argc; ++i) {
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
  auto corpus = load_corpus(argc, argv);
  corpus.emplace_back();  // the empty input
  std::mt19937_64 rng(0x6d6f636bULL);
  std::size_t runs = 0;
  for (const auto& seed : corpus) {
    run(seed);
    ++runs;
    for (std::size_t cut = 0; cut < seed.size(); cut += 1 + seed.size() / 64) {
      run(std::vector<uint8_t>(seed.begin(), seed.begin() + static_cast<std::ptrdiff_t>(cut)));
      ++runs;
    }
    for (int round = 0; round < 2000; ++round) {
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
