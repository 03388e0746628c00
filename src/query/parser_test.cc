#include "query/parser.h"

#include <gtest/gtest.h>

namespace astrolabe::query {
namespace {

std::string Reprint(std::string_view q) {
  auto e = ParseExpr(q);
  if (!e.ok()) return "ERROR " + e.status().message();
  return (*e)->String();
}

std::string Err(std::string_view q) {
  auto e = ParseExpr(q);
  return e.ok() ? "OK" : e.status().message();
}

TEST(Parser, Literals) {
  EXPECT_EQ(Reprint("1"), "1");
  EXPECT_EQ(Reprint("-1.5e3"), "-1500");
  EXPECT_EQ(Reprint("0x1F"), "31");
  EXPECT_EQ(Reprint("inF"), "Inf");
  EXPECT_EQ(Reprint("-Inf"), "-Inf");
  EXPECT_EQ(Reprint("NaN"), "NaN");
  EXPECT_EQ(Reprint(".5"), "0.5");
  EXPECT_EQ(Reprint("1h30m"), "5400");
  EXPECT_EQ(Reprint(R"("a\nb\x41\u00e9")"), "\"a\\nbAé\"");
  EXPECT_EQ(Reprint("`raw\\n`"), "\"raw\\\\n\"");
  EXPECT_EQ(Reprint("'it'"), "\"it\"");
}

TEST(Parser, Selectors) {
  EXPECT_EQ(Reprint("foo"), "foo");
  EXPECT_EQ(Reprint("foo{a=\"b\",c!~\"d.*\",}"), "foo{a=\"b\", c!~\"d.*\"}");
  EXPECT_EQ(Reprint("{\"a.b\"}"), "{\"a.b\"}");
  EXPECT_EQ(Reprint("{\"a.b\", \"c.d\"=\"x\"}"), "{\"a.b\", \"c.d\"=\"x\"}");
  EXPECT_EQ(Reprint("foo:bar[5m] offset -1h"), "foo:bar[5m] offset -1h");
  EXPECT_EQ(Reprint("foo @ 100 offset 5m"), "foo @ 100.000 offset 5m");
  EXPECT_EQ(Reprint("foo offset 5m @ start()"), "foo @ start() offset 5m");
  EXPECT_EQ(Reprint("foo[10]"), "foo[10s]");
  EXPECT_EQ(Reprint("rate(foo[5m:])"), "rate(foo[5m:])");
  EXPECT_EQ(Reprint("foo[1h:5m] @ end()"), "foo[1h:5m] @ end()");
  EXPECT_EQ(Reprint("{on=\"x\", by=\"y\"}"), "{on=\"x\", by=\"y\"}");
}

TEST(Parser, Precedence) {
  auto e = ParseExpr("1 + 2 * 3 ^ 2 ^ 2");
  ASSERT_TRUE(e.ok());
  const Expr& top = **e;
  ASSERT_EQ(top.op, Op::kAdd);
  ASSERT_EQ(top.children[1]->op, Op::kMul);
  const Expr& pow = *top.children[1]->children[1];
  ASSERT_EQ(pow.op, Op::kPow);
  EXPECT_EQ(pow.children[0]->kind, NodeKind::kNumber);  // right-associative
  EXPECT_EQ(pow.children[1]->op, Op::kPow);

  auto u = ParseExpr("-a ^ 2");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ((*u)->kind, NodeKind::kUnary);
  auto v = ParseExpr("-a * 2");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ((*v)->kind, NodeKind::kBinary);
  auto w = ParseExpr("a or b and c unless d");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->op, Op::kOr);
}

TEST(Parser, BinaryModifiers) {
  EXPECT_EQ(Reprint("a > bool on(x) group_left(y) b"), "a > bool on (x) group_left (y) b");
  EXPECT_EQ(Reprint("a + ignoring(x) group_right b"), "a + ignoring (x) group_right () b");
  EXPECT_EQ(Reprint("a and on() b"), "a and on () b");
  EXPECT_EQ(Err("1 > 2"), "1:3: parse error: comparisons between scalars must use BOOL modifier");
  EXPECT_EQ(Err("1 and 2"),
            "1:3: parse error: set operator \"and\" not allowed in binary scalar expression");
  EXPECT_EQ(Err("a + on(x) group_left(x) b"),
            "1:3: parse error: label \"x\" must not occur in ON and GROUP clause at once");
  EXPECT_EQ(Err("a and on(x) group_left b"),
            "1:3: parse error: no grouping allowed for \"and\" operation");
}

TEST(Parser, Aggregations) {
  EXPECT_EQ(Reprint("sum(x) by (a)"), "sum by (a) (x)");
  EXPECT_EQ(Reprint("sum without(a,b)(x)"), "sum without (a, b) (x)");
  EXPECT_EQ(Reprint("topk(3, x)"), "topk(3, x)");
  EXPECT_EQ(Reprint("count_values by (\"a.b\") (\"v\", x)"),
            "count_values by (\"a.b\") (\"v\", x)");
  EXPECT_EQ(Err("topk(x)"),
            "1:1: parse error: wrong number of arguments for aggregate expression provided, "
            "expected 2, got 1");
  EXPECT_EQ(Err("sum(1)"),
            "1:5: parse error: expected type instant vector in aggregation expression, got scalar");
}

TEST(Parser, Functions) {
  EXPECT_EQ(Reprint("label_join(x, \"d\", \",\", \"a\", \"b\")"),
            "label_join(x, \"d\", \",\", \"a\", \"b\")");
  EXPECT_EQ(Reprint("round(x)"), "round(x)");
  EXPECT_EQ(Err("rate(x)"),
            "1:6: parse error: expected type range vector in call to function \"rate\", got "
            "instant vector");
  EXPECT_EQ(Err("abs(x, y)"), "1:1: parse error: expected 1 argument(s) in call to \"abs\", got 2");
  EXPECT_EQ(Err("nosuch(x)"), "1:1: parse error: unknown function with name \"nosuch\"");
  EXPECT_EQ(Err("time() - "), "1:10: parse error: unexpected end of input");
}

TEST(Parser, Errors) {
  EXPECT_EQ(Err(""), "1:1: parse error: no expression found in input");
  EXPECT_EQ(Err("{}"),
            "1:1: parse error: vector selector must contain at least one non-empty matcher");
  EXPECT_EQ(
      Err("foo{a=\"b\"\n  b=\"c\"}"),
      "2:3: parse error: unexpected identifier \"b\" in label matching, expected \",\" or \"}\"");
  EXPECT_EQ(Err("(1 + 2)[5m]"), "1:8: parse error: ranges only allowed for vector selectors");
  EXPECT_EQ(Err("foo offset 5m offset 1m"),
            "1:15: parse error: offset may not be set multiple times");
  EXPECT_EQ(Err("\"unterminated"), "1:1: parse error: unterminated quoted string");
  EXPECT_NE(Err(std::string(5000, '(') + "1" + std::string(5000, ')')), "OK");
  EXPECT_NE(Err(std::string(5000, '-') + "1"), "OK");
}

TEST(Parser, DurationExpressions) {
  EXPECT_EQ(Reprint("x[26m+4m]"), "x[30m]");
  EXPECT_EQ(Reprint("x[2m*(10+5)]"), "x[30m]");
  EXPECT_EQ(Reprint("rate(x[29s+1s:20*500ms] offset (20*2s))"), "rate(x[30s:10s] offset 40s)");
  EXPECT_EQ(Reprint("x offset 100 + 2"), "x offset 1m40s + 2");  // offset takes one atom
  EXPECT_EQ(Reprint("x offset -2 ^ 2"), "x offset -2s ^ 2");
  EXPECT_EQ(Reprint("x offset -step()*2"), "x offset -step() * 2");
  EXPECT_EQ(Reprint("x[STEP()+1ms]"), "x[step() + 0.001]");
  EXPECT_EQ(Reprint("x offset min_of(range(), 8s)"), "x offset min_of(range(), 8)");
  EXPECT_EQ(Err("x[foo]"),
            "1:3: parse error: invalid duration expression: only numbers, durations, + - * / % ^, "
            "step(), range(), min_of() and max_of() are allowed");
}

TEST(Parser, FillModifiers) {
  EXPECT_EQ(Reprint("a + fill(0) b"), "a + fill(0) b");
  EXPECT_EQ(Reprint("a + on(x) group_left fill_left(5) fill_right(-Inf) b"),
            "a + on (x) group_left () fill_left(5) fill_right(-Inf) b");
  EXPECT_EQ(Reprint("other + fill"), "other + fill");  // a metric named fill
  EXPECT_EQ(Reprint("other + fill(0) fill"), "other + fill(0) fill");
  EXPECT_EQ(Err("a and fill(0) b"),
            "1:3: parse error: fill modifiers are only allowed for arithmetic and comparison "
            "operations between instant vectors");
  EXPECT_EQ(Err("a + fill(1) fill(2) b"),
            "1:13: parse error: fill modifier may not be set multiple times");
}

TEST(Parser, RoundTrip) {
  const char* queries[] = {
      "sum by (job) (rate(http_requests_total{code=~\"5..\"}[5m])) / ignoring (code) group_left "
      "sum by (job) (rate(http_requests_total[5m]))",
      "histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m] offset 1m)))",
      "-(a + b) * 2 ^ -c",
      "a - -1",
      "max_over_time((a > bool 3)[1h:1m] @ 1000)",
      "label_replace(up, \"dst\", \"$1\", \"src\", \"(.*)\")",
      "x @ -1.5",
      "quantile without (a) (0.5, x)",
      "foo{\"a\\\"b\"=\"c\\\\d\"}",
      "x[step() * 2:range()] offset -step()",
      "a > bool ignoring (b) group_right (c) fill(NaN) d",
      "-2 ^  inf^ 1",
      "{\"d\"=~\"x\", \"a b\"}",
      "{__name__=\"a\", \"b\"}",
      "{d=\"x\", \"abc\"}",
      "{\":\"}",
  };
  for (const char* q : queries) {
    auto a = ParseExpr(q);
    ASSERT_TRUE(a.ok()) << q << ": " << a.status().message();
    std::string printed = (*a)->String();
    auto b = ParseExpr(printed);
    ASSERT_TRUE(b.ok()) << printed << ": " << b.status().message();
    EXPECT_TRUE(Equal(**a, **b)) << q << " -> " << printed;
  }
}

}  // namespace
}  // namespace astrolabe::query
