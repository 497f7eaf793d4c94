// A regular expression for untrusted subjects: bounded stack and work (see README.md).
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mockforge::regex {

// The pattern does not compile; what() says why.
class PatternError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

class Pattern {
 public:
  enum class Result { kMatch, kNoMatch, kTooComplex };

  // ECMAScript syntax (Boost.Regex's, which adds Perl's). Throws PatternError. Copies
  // share the compiled pattern, which is immutable.
  explicit Pattern(std::string_view text);

  // Whether the pattern matches somewhere in `subject` / the whole of it. kTooComplex when
  // the matcher gave up (its bound on work or memory); never throws. Safe to call from
  // several threads at once.
  Result search(std::string_view subject) const;
  Result match(std::string_view subject) const;

  const std::string& text() const { return text_; }

 private:
  struct Compiled;
  std::string text_;
  std::shared_ptr<const Compiled> compiled_;
};

}  // namespace mockforge::regex
