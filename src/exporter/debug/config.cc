#include "exporter/debug/config.h"

#include <cctype>

namespace astrolabe::exporter::debug {

std::string_view VerbosityName(Verbosity v) {
  switch (v) {
    case Verbosity::kNone:
      return "none";
    case Verbosity::kBasic:
      return "basic";
    case Verbosity::kNormal:
      return "normal";
    case Verbosity::kDetailed:
      return "detailed";
  }
  return "";
}

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Upstream's Level.String(): "None", "Basic", ...
std::string Capitalized(Verbosity v) {
  std::string s(VerbosityName(v));
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

}  // namespace

std::optional<Verbosity> ParseVerbosity(std::string_view text) {
  std::string lower = Lower(text);
  for (Verbosity v :
       {Verbosity::kNone, Verbosity::kBasic, Verbosity::kNormal, Verbosity::kDetailed}) {
    if (lower == VerbosityName(v)) return v;
  }
  return std::nullopt;
}

void Config::Visit(config::Visitor& v) {
  // The level travels as text; decoding parses it back, reporting what upstream's
  // configtelemetry.Level.UnmarshalText reports.
  std::string level(VerbosityName(verbosity));
  v.Field("verbosity", level);
  if (v.decoding()) {
    if (std::optional<Verbosity> parsed = ParseVerbosity(level)) {
      verbosity = *parsed;
    } else {
      v.Error("verbosity", "unknown metrics level \"" + Lower(level) + "\"");
    }
  }
  v.Field("sampling_initial", sampling_initial);
  v.Field("sampling_thereafter", sampling_thereafter);
  v.Field("use_internal_logger", use_internal_logger);
  v.Field("output_paths", output_paths);
}

Status Config::Validate() const {
  if (verbosity == Verbosity::kNone) {
    return InvalidArgument("verbosity level \"" + Capitalized(verbosity) + "\" is not supported");
  }
  if (use_internal_logger && !output_paths.empty()) {
    return InvalidArgument("output_paths is not supported when use_internal_logger is true");
  }
  return Status::Ok();
}

}  // namespace astrolabe::exporter::debug
