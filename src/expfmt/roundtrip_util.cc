#include "expfmt/roundtrip_util.h"

#include <gtest/gtest.h>

#include <cmath>

#include "expfmt/parser.h"
#include "expfmt/writer.h"

namespace astrolabe::expfmt {

namespace {

bool SameDouble(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

}  // namespace

bool SameSample(const OwnedSample& a, const OwnedSample& b, std::string* why) {
  auto fail = [&](const char* what) {
    *why = std::string(what) + " differs for " + a.name + " / " + b.name;
    return false;
  };
  if (a.family != b.family) return fail("family");
  if (a.type != b.type) return fail("type");
  if (a.help != b.help) return fail("help");
  if (a.unit != b.unit) return fail("unit");
  if (a.name != b.name) return fail("name");
  if (a.suffix != b.suffix) return fail("suffix");
  if (a.labels != b.labels) return fail("labels");
  if (!SameDouble(a.value, b.value)) return fail("value");
  if (a.timestamp_ms != b.timestamp_ms) return fail("timestamp");
  if (a.has_exemplar != b.has_exemplar) return fail("exemplar presence");
  if (a.exemplar_labels != b.exemplar_labels) return fail("exemplar labels");
  if (!SameDouble(a.exemplar_value, b.exemplar_value)) return fail("exemplar value");
  if (a.exemplar_timestamp_ms != b.exemplar_timestamp_ms) return fail("exemplar timestamp");
  if (a.hash != b.hash) return fail("hash");
  if (a.group_hash != b.group_hash) return fail("group hash");
  return true;
}

Status ParseAll(std::string_view body, Format format, std::vector<OwnedSample>* out) {
  Parser parser;
  return parser.Parse(body, format, [&](const Sample& s) {
    OwnedSample o;
    o.family = std::string(s.family.name);
    o.type = s.family.type;
    o.help = std::string(s.family.help);
    o.unit = std::string(s.family.unit);
    o.name = std::string(s.name);
    o.suffix = s.suffix;
    for (const Label& l : s.labels) o.labels.push_back({std::string(l.name), std::string(l.value)});
    o.value = s.value;
    o.timestamp_ms = s.timestamp_ms;
    if (s.exemplar) {
      o.has_exemplar = true;
      for (const Label& l : s.exemplar->labels) {
        o.exemplar_labels.push_back({std::string(l.name), std::string(l.value)});
      }
      o.exemplar_value = s.exemplar->value;
      o.exemplar_timestamp_ms = s.exemplar->timestamp_ms;
    }
    o.hash = s.hash;
    o.group_hash = s.group_hash;
    out->push_back(std::move(o));
  });
}

std::string WriteAll(const std::vector<OwnedSample>& samples, Format format) {
  std::string out;
  Writer w(format, &out);
  const OwnedSample* prev = nullptr;
  for (const OwnedSample& s : samples) {
    if (prev == nullptr || prev->family != s.family || prev->type != s.type ||
        prev->help != s.help || prev->unit != s.unit) {
      w.BeginFamily({s.family, s.type, s.help, s.unit});
    }
    std::vector<Label> labels;
    for (const auto& l : s.labels) labels.push_back({l.name, l.value});
    std::vector<Label> ex_labels;
    Exemplar ex;
    if (s.has_exemplar) {
      for (const auto& l : s.exemplar_labels) ex_labels.push_back({l.name, l.value});
      ex.labels = ex_labels;
      ex.value = s.exemplar_value;
      ex.timestamp_ms = s.exemplar_timestamp_ms;
    }
    w.WriteSample(s.name, labels, s.value, s.timestamp_ms, s.has_exemplar ? &ex : nullptr);
    prev = &s;
  }
  w.Finish();
  return out;
}

void ExpectRoundTrip(std::string_view body, Format format) {
  std::vector<OwnedSample> first;
  Status st = ParseAll(body, format, &first);
  ASSERT_TRUE(st.ok()) << st.message();
  std::string written = WriteAll(first, format);
  std::vector<OwnedSample> second;
  st = ParseAll(written, format, &second);
  ASSERT_TRUE(st.ok()) << st.message() << "\nwritten:\n" << written;
  ASSERT_EQ(first.size(), second.size()) << written;
  for (size_t i = 0; i < first.size(); ++i) {
    std::string why;
    EXPECT_TRUE(SameSample(first[i], second[i], &why))
        << "sample " << i << ": " << why << "\nwritten:\n"
        << written;
  }
}

}  // namespace astrolabe::expfmt
