// libFuzzer target for the PromQL parser (query/parser.h): a user-supplied query. Checks: parsing
// never crashes; a query that parses prints (Expr::String) to text that parses again to an equal
// tree. Seed corpus: fuzz/corpus/promql_parse/.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "query/ast.h"
#include "query/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = astrolabe::query::ParseExpr(text);
  if (!parsed.ok()) return 0;
  std::string printed = (*parsed)->String();
  auto again = astrolabe::query::ParseExpr(printed);
  if (!again.ok() || !astrolabe::query::Equal(**parsed, **again)) std::abort();
  return 0;
}
