#include "expfmt/writer.h"

#include <charconv>

#include "expfmt/number.h"

namespace astrolabe::expfmt {

void Writer::AppendEscaped(std::string_view s, bool quote) {
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    const char* rep = nullptr;
    if (c == '\\') {
      rep = "\\\\";
    } else if (c == '\n') {
      rep = "\\n";
    } else if (c == '"' && quote) {
      rep = "\\\"";
    }
    if (rep == nullptr) continue;
    out_->append(s.data() + start, i - start);
    out_->append(rep);
    start = i + 1;
  }
  out_->append(s.data() + start, s.size() - start);
}

void Writer::AppendName(std::string_view name) {
  if (IsLegacyMetricName(name)) {
    out_->append(name);
    return;
  }
  out_->push_back('"');
  AppendEscaped(name, true);
  out_->push_back('"');
}

void Writer::BeginFamily(const FamilyInfo& family) {
  bool om = format_ == Format::kOpenMetrics;
  auto meta = [&](std::string_view keyword) {
    out_->append("# ");
    out_->append(keyword);
    out_->push_back(' ');
    AppendName(family.name);
    out_->push_back(' ');
  };
  auto help = [&] {
    if (family.help.empty()) return;
    meta("HELP");
    AppendEscaped(family.help, om);
    out_->push_back('\n');
  };
  if (!om) help();
  meta("TYPE");
  out_->append(MetricTypeName(family.type, format_));
  out_->push_back('\n');
  if (om && !family.unit.empty()) {
    meta("UNIT");
    out_->append(family.unit);
    out_->push_back('\n');
  }
  if (om) help();
}

void Writer::AppendLabelSet(std::string_view quoted_name, std::span<const Label> labels) {
  out_->push_back('{');
  bool first = true;
  if (!quoted_name.empty()) {
    out_->push_back('"');
    AppendEscaped(quoted_name, true);
    out_->push_back('"');
    first = false;
  }
  for (const Label& l : labels) {
    if (!first) out_->push_back(',');
    first = false;
    if (IsLegacyLabelName(l.name)) {
      out_->append(l.name);
    } else {
      out_->push_back('"');
      AppendEscaped(l.name, true);
      out_->push_back('"');
    }
    out_->append("=\"");
    AppendEscaped(l.value, true);
    out_->push_back('"');
  }
  out_->push_back('}');
}

void Writer::WriteSample(std::string_view name, std::span<const Label> labels, double value,
                         std::optional<int64_t> timestamp_ms, const Exemplar* exemplar) {
  bool om = format_ == Format::kOpenMetrics;
  if (IsLegacyMetricName(name)) {
    out_->append(name);
    if (!labels.empty()) AppendLabelSet({}, labels);
  } else {
    AppendLabelSet(name, labels);
  }
  out_->push_back(' ');
  AppendFloat(out_, value);
  if (timestamp_ms) {
    out_->push_back(' ');
    if (om) {
      AppendSecondsFromMillis(out_, *timestamp_ms);
    } else {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof(buf), *timestamp_ms);
      out_->append(buf, r.ptr);
    }
  }
  if (om && exemplar != nullptr) {
    out_->append(" # ");
    AppendLabelSet({}, exemplar->labels);
    out_->push_back(' ');
    AppendFloat(out_, exemplar->value);
    if (exemplar->timestamp_ms) {
      out_->push_back(' ');
      AppendSecondsFromMillis(out_, *exemplar->timestamp_ms);
    }
  }
  out_->push_back('\n');
}

void Writer::Finish() {
  if (format_ == Format::kOpenMetrics) out_->append("# EOF\n");
}

}  // namespace astrolabe::expfmt
