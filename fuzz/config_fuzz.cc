// libFuzzer target for the config loader: arbitrary bytes as a collector config, through
// fixups, YAML parsing, env expansion, top-level decoding and Resolve (against an empty
// Registry, so every component body is reported rather than decoded). Checks, besides "no
// crash, no sanitizer report":
//   - Emit() of the loaded tree parses again and re-emits to the same text;
//   - the corrected text a fixup produced (for `validate --fix`) parses.
// Seed corpus: fuzz/corpus/config/.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "component/resolve.h"
#include "config/emit.h"
#include "config/loader.h"
#include "config/parse.h"

using namespace astrolabe;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  config::LoadOptions options;
  options.sources.push_back(config::ConfigSource::Memory(
      "fuzz.yaml", std::string(reinterpret_cast<const char*>(data), size)));
  // Hermetic environment: a few set variables, one of them referring to another.
  options.env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "A") return "value";
    if (name == "N") return "42";
    if (name == "L") return "[a, b]";
    if (name == "R") return "${env:A}";
    if (name == "E") return "";
    return std::nullopt;
  };
  config::Diagnostics diag;
  config::LoadResult result = config::Load(options, diag);
  for (const auto& e : diag.errors()) (void)e.ToString();
  for (const auto& w : diag.warnings()) (void)w.ToString();

  for (const auto& fixed : result.fixed) {
    config::Diagnostics d;
    if (!config::ParseYaml(fixed.text, {}, d)) {
      fprintf(stderr, "fixed text does not parse:\n%s\n%s\n", fixed.text.c_str(),
              d.ToStatus().ToString().c_str());
      abort();
    }
  }
  if (diag.has_errors()) return 0;

  std::string emitted = config::Emit(result.config.root);
  config::Diagnostics d;
  auto reparsed = config::ParseYaml(emitted, {}, d);
  if (!reparsed) {
    fprintf(stderr, "emitted text does not parse:\n%s\n%s\n", emitted.c_str(),
            d.ToStatus().ToString().c_str());
    abort();
  }
  std::string again = config::Emit(*reparsed);
  if (again != emitted) {
    fprintf(stderr, "emit is not stable:\n--- first\n%s--- second\n%s", emitted.c_str(),
            again.c_str());
    abort();
  }

  component::Registry registry;
  component::ResolvedConfig resolved = component::Resolve(result.config, registry, diag);
  (void)component::Encode(resolved);
  return 0;
}
