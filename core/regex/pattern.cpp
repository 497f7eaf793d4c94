#include "core/regex/pattern.h"

#include <boost/regex.hpp>

namespace mockforge::regex {

struct Pattern::Compiled {
  boost::regex regex;
};

namespace {

// ECMAScript's defaults: `^`/`$` only at the subject's ends, `.` not across lines.
constexpr auto kSyntax = boost::regex::ECMAScript | boost::regex::no_mod_m | boost::regex::no_mod_s;

template <typename Run>
Pattern::Result run(Run&& matcher) {
  try {
    return matcher() ? Pattern::Result::kMatch : Pattern::Result::kNoMatch;
  } catch (const std::runtime_error&) {
    // Boost.Regex's bounds: "complexity ... exceeded" and "ran out of stack space".
    return Pattern::Result::kTooComplex;
  }
}

}  // namespace

Pattern::Pattern(std::string_view text) : text_(text) {
  try {
    compiled_ = std::make_shared<const Compiled>(Compiled{boost::regex(text_, kSyntax)});
  } catch (const boost::regex_error& e) {
    throw PatternError(e.what());
  }
}

Pattern::Result Pattern::search(std::string_view subject) const {
  return run([&] { return boost::regex_search(subject.begin(), subject.end(), compiled_->regex); });
}

Pattern::Result Pattern::match(std::string_view subject) const {
  return run([&] { return boost::regex_match(subject.begin(), subject.end(), compiled_->regex); });
}

}  // namespace mockforge::regex
