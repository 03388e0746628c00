#include "exporter/debug/marshal.h"

#include <cmath>
#include <cstdio>
#include <string_view>

#include "exporter/debug/go_format.h"

namespace astrolabe::exporter::debug {

using pdata::AnyValue;
using pdata::Attributes;

namespace {

// Upstream prints an unset (all-zero) id as the empty string.
std::string IdString(const pdata::TraceId& id) { return id.empty() ? "" : id.ToHex(); }
std::string IdString(const pdata::SpanId& id) { return id.empty() ? "" : id.ToHex(); }

// "Str(value)", "Int(3)", "Map({...})".
std::string TypedValue(const AnyValue& v) {
  std::string out(pdata::AnyValueTypeName(v.type()));
  out += '(';
  out += pdata::AnyValueToString(v);
  out += ')';
  return out;
}

// ---- normal -------------------------------------------------------------------------

// "k1=v1<sep>k2=v2".
std::string JoinAttributes(const Attributes& attrs, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < attrs.size(); ++i) {
    if (i) out += sep;
    out += attrs[i].key;
    out += '=';
    out += pdata::AnyValueToString(attrs[i].value);
  }
  return out;
}

// " k1=v1 k2=v2", or "" without attributes.
std::string AttributesSuffix(const Attributes& attrs) {
  return attrs.empty() ? "" : " " + JoinAttributes(attrs, " ");
}

std::string ResourceDetails(const std::string& schema_url) {
  return schema_url.empty() ? "" : " [" + schema_url + "]";
}

// " name@version [schema]", each part only when set.
std::string ScopeDetails(const pdata::InstrumentationScope& scope, const std::string& schema_url) {
  std::string d = scope.name;
  if (!scope.version.empty()) d += "@" + scope.version;
  if (!schema_url.empty()) {
    if (!d.empty()) d += ' ';
    d += "[" + schema_url + "]";
  }
  return d.empty() ? "" : " " + d;
}

std::string PointPrefix(const pdata::Metric& m, const Attributes& attrs) {
  return m.name + "{" + JoinAttributes(attrs, ",") + "} ";
}

void NormalNumberPoints(const pdata::Metric& m, const std::vector<pdata::NumberDataPoint>& points,
                        std::string& out) {
  for (const auto& p : points) {
    out += PointPrefix(m, p.attributes);
    out += p.is_int() ? std::to_string(std::get<int64_t>(p.value))
                      : GoFloatV(std::get<double>(p.value));
    out += '\n';
  }
}

void MinSumMax(const std::optional<double>& sum, const std::optional<double>& min,
               const std::optional<double>& max, std::string& out) {
  if (sum) out += " sum=" + GoFloatV(*sum);
  if (min) out += " min=" + GoFloatV(*min);
  if (max) out += " max=" + GoFloatV(*max);
}

void NormalHistogram(const pdata::Metric& m, const pdata::Histogram& h, std::string& out) {
  for (const auto& p : h.data_points) {
    out += PointPrefix(m, p.attributes);
    out += "count=" + std::to_string(p.count);
    MinSumMax(p.sum, p.min, p.max, out);
    for (size_t i = 0; i < p.bucket_counts.size(); ++i) {
      out += ' ';
      if (i < p.explicit_bounds.size()) out += "le" + GoFloatV(p.explicit_bounds[i]) + "=";
      out += std::to_string(p.bucket_counts[i]);
    }
    out += '\n';
  }
}

void NormalExponentialHistogram(const pdata::Metric& m, const pdata::ExponentialHistogram& h,
                                std::string& out) {
  for (const auto& p : h.data_points) {
    out += PointPrefix(m, p.attributes);
    out += "count=" + std::to_string(p.count);
    MinSumMax(p.sum, p.min, p.max, out);
    double factor = std::ldexp(std::log(2.0), -p.scale);
    const auto& neg = p.negative.bucket_counts;
    for (size_t j = neg.size(); j-- > 0;) {
      double index = static_cast<double>(p.negative.offset) + static_cast<double>(j);
      out += " le" + GoFloatV(-std::exp(index * factor)) + "=" + std::to_string(neg[j]);
    }
    if (p.zero_count != 0) out += " zero=" + std::to_string(p.zero_count);
    const auto& pos = p.positive.bucket_counts;
    for (size_t j = 0; j < pos.size(); ++j) {
      double index = static_cast<double>(p.positive.offset) + static_cast<double>(j);
      out += " le" + GoFloatV(std::exp((index + 1) * factor)) + "=" + std::to_string(pos[j]);
    }
    out += '\n';
  }
}

void NormalSummary(const pdata::Metric& m, const pdata::Summary& s, std::string& out) {
  for (const auto& p : s.data_points) {
    out += PointPrefix(m, p.attributes);
    out += "count=" + std::to_string(p.count);
    out += " sum=" + GoFloatF(p.sum);
    for (const auto& q : p.quantile_values) {
      out += " q" + GoFloatV(q.quantile) + "=" + GoFloatV(q.value);
    }
    out += '\n';
  }
}

// ---- detailed -----------------------------------------------------------------------

class Dump {
 public:
  void Line(std::string_view s) {
    out_ += s;
    out_ += '\n';
  }
  // "    Name           : value" (name padded to 15, as Go's %-15s).
  void Field(std::string_view name, std::string_view value) {
    std::string line = "    ";
    line += name;
    if (name.size() < 15) line.append(15 - name.size(), ' ');
    line += ": ";
    line += value;
    Line(line);
  }
  // "<header>:" then "     -> key: Type(value)"; nothing without attributes. A header
  // that itself starts with an arrow ("     -> Metadata") indents its entries further.
  void Attrs(std::string_view header, const Attributes& attrs) {
    if (attrs.empty()) return;
    Line(std::string(header) + ":");
    std::string prefix = "     ->";
    size_t arrow = header.find("->");
    if (arrow != std::string_view::npos) prefix = std::string(header.substr(0, arrow)) + prefix;
    for (const auto& kv : attrs) Line(prefix + " " + kv.key + ": " + TypedValue(kv.value));
  }
  void Scope(const pdata::InstrumentationScope& scope) {
    Line("InstrumentationScope " + scope.name + " " + scope.version);
    Attrs("InstrumentationScope attributes", scope.attributes);
  }
  void Exemplars(const std::vector<pdata::Exemplar>& exemplars) {
    if (exemplars.empty()) return;
    Line("Exemplars:");
    for (size_t i = 0; i < exemplars.size(); ++i) {
      const auto& e = exemplars[i];
      Line("Exemplar #" + std::to_string(i));
      Line("     -> Trace ID: " + IdString(e.trace_id));
      Line("     -> Span ID: " + IdString(e.span_id));
      Line("     -> Timestamp: " + GoTimestamp(e.time_unix_nano));
      if (e.value.index() == 1) {
        Line("     -> Value: " + std::to_string(std::get<int64_t>(e.value)));
      } else {
        Line("     -> Value: " + GoFloatF(std::get<double>(e.value)));
      }
      Attrs("     -> FilteredAttributes", e.filtered_attributes);
    }
  }
  template <typename Point>
  void PointHeader(std::string_view kind, size_t i, const Point& p) {
    Line(std::string(kind) + " #" + std::to_string(i));
    Attrs("Data point attributes", p.attributes);
    Line("StartTimestamp: " + GoTimestamp(p.start_time_unix_nano));
    Line("Timestamp: " + GoTimestamp(p.time_unix_nano));
  }
  void MinSumMax(const std::optional<double>& sum, const std::optional<double>& min,
                 const std::optional<double>& max) {
    if (sum) Line("Sum: " + GoFloatF(*sum));
    if (min) Line("Min: " + GoFloatF(*min));
    if (max) Line("Max: " + GoFloatF(*max));
  }

  void NumberPoints(const std::vector<pdata::NumberDataPoint>& points) {
    for (size_t i = 0; i < points.size(); ++i) {
      const auto& p = points[i];
      PointHeader("NumberDataPoints", i, p);
      Line("Value: " + (p.is_int() ? std::to_string(std::get<int64_t>(p.value))
                                   : GoFloatF(std::get<double>(p.value))));
      Exemplars(p.exemplars);
    }
  }
  void HistogramPoints(const std::vector<pdata::HistogramDataPoint>& points) {
    for (size_t i = 0; i < points.size(); ++i) {
      const auto& p = points[i];
      PointHeader("HistogramDataPoints", i, p);
      Line("Count: " + std::to_string(p.count));
      MinSumMax(p.sum, p.min, p.max);
      for (size_t j = 0; j < p.explicit_bounds.size(); ++j) {
        Line("ExplicitBounds #" + std::to_string(j) + ": " + GoFloatF(p.explicit_bounds[j]));
      }
      for (size_t j = 0; j < p.bucket_counts.size(); ++j) {
        Line("Buckets #" + std::to_string(j) + ", Count: " + std::to_string(p.bucket_counts[j]));
      }
      Exemplars(p.exemplars);
    }
  }
  void ExponentialHistogramPoints(const std::vector<pdata::ExponentialHistogramDataPoint>& points) {
    for (size_t i = 0; i < points.size(); ++i) {
      const auto& p = points[i];
      PointHeader("ExponentialHistogramDataPoints", i, p);
      Line("Count: " + std::to_string(p.count));
      MinSumMax(p.sum, p.min, p.max);
      double factor = std::ldexp(std::log(2.0), -p.scale);
      const auto& neg = p.negative.bucket_counts;
      for (size_t k = 0; k < neg.size(); ++k) {
        size_t pos = neg.size() - k - 1;
        double index = static_cast<double>(p.negative.offset) + static_cast<double>(pos);
        double lower = std::exp(index * factor);
        double upper = std::exp((index + 1) * factor);
        Line("Bucket [" + GoFloatF(-upper) + ", " + GoFloatF(-lower) +
             "), Count: " + std::to_string(neg[pos]));
      }
      if (p.zero_count != 0) Line("Bucket [0, 0], Count: " + std::to_string(p.zero_count));
      const auto& posb = p.positive.bucket_counts;
      for (size_t k = 0; k < posb.size(); ++k) {
        double index = static_cast<double>(p.positive.offset) + static_cast<double>(k);
        double lower = std::exp(index * factor);
        double upper = std::exp((index + 1) * factor);
        Line("Bucket (" + GoFloatF(lower) + ", " + GoFloatF(upper) +
             "], Count: " + std::to_string(posb[k]));
      }
      Exemplars(p.exemplars);
    }
  }
  void SummaryPoints(const std::vector<pdata::SummaryDataPoint>& points) {
    for (size_t i = 0; i < points.size(); ++i) {
      const auto& p = points[i];
      PointHeader("SummaryDataPoints", i, p);
      Line("Count: " + std::to_string(p.count));
      Line("Sum: " + GoFloatF(p.sum));
      for (size_t j = 0; j < p.quantile_values.size(); ++j) {
        const auto& q = p.quantile_values[j];
        Line("QuantileValue #" + std::to_string(j) + ": Quantile " + GoFloatF(q.quantile) +
             ", Value " + GoFloatF(q.value));
      }
    }
  }

  void Metric(const pdata::Metric& m) {
    Line("Descriptor:");
    Line("     -> Name: " + m.name);
    Line("     -> Description: " + m.description);
    Line("     -> Unit: " + m.unit);
    Line("     -> DataType: " + std::string(pdata::MetricTypeName(m.type())));
    Attrs("     -> Metadata", m.metadata);
    switch (m.type()) {
      case pdata::MetricType::kEmpty:
        break;
      case pdata::MetricType::kGauge:
        NumberPoints(std::get<pdata::Gauge>(m.data).data_points);
        break;
      case pdata::MetricType::kSum: {
        const auto& s = std::get<pdata::Sum>(m.data);
        Line(std::string("     -> IsMonotonic: ") + (s.is_monotonic ? "true" : "false"));
        Temporality(s.aggregation_temporality);
        NumberPoints(s.data_points);
        break;
      }
      case pdata::MetricType::kHistogram: {
        const auto& h = std::get<pdata::Histogram>(m.data);
        Temporality(h.aggregation_temporality);
        HistogramPoints(h.data_points);
        break;
      }
      case pdata::MetricType::kExponentialHistogram: {
        const auto& h = std::get<pdata::ExponentialHistogram>(m.data);
        Temporality(h.aggregation_temporality);
        ExponentialHistogramPoints(h.data_points);
        break;
      }
      case pdata::MetricType::kSummary:
        SummaryPoints(std::get<pdata::Summary>(m.data).data_points);
        break;
    }
  }

  void Span(const pdata::Span& s) {
    Field("Trace ID", IdString(s.trace_id));
    Field("Parent ID", IdString(s.parent_span_id));
    Field("ID", IdString(s.span_id));
    Field("Name", s.name);
    Field("Kind", pdata::SpanKindName(s.kind));
    if (!s.trace_state.empty()) Field("TraceState", s.trace_state);
    Field("Start time", GoTimestamp(s.start_time_unix_nano));
    Field("End time", GoTimestamp(s.end_time_unix_nano));
    Field("Status code", pdata::SpanStatusCodeName(s.status.code));
    Field("Status message", s.status.message);
    Field("DroppedAttributesCount", std::to_string(s.dropped_attributes_count));
    Field("DroppedEventsCount", std::to_string(s.dropped_events_count));
    Field("DroppedLinksCount", std::to_string(s.dropped_links_count));
    Attrs("Attributes", s.attributes);
    if (!s.events.empty()) {
      Line("Events:");
      for (size_t i = 0; i < s.events.size(); ++i) {
        const auto& e = s.events[i];
        Line("SpanEvent #" + std::to_string(i));
        Line("     -> Name: " + e.name);
        Line("     -> Timestamp: " + GoTimestamp(e.time_unix_nano));
        Line("     -> DroppedAttributesCount: " + std::to_string(e.dropped_attributes_count));
        Attrs("     -> Attributes:", e.attributes);
      }
    }
    if (!s.links.empty()) {
      Line("Links:");
      for (size_t i = 0; i < s.links.size(); ++i) {
        const auto& l = s.links[i];
        Line("SpanLink #" + std::to_string(i));
        Line("     -> Trace ID: " + IdString(l.trace_id));
        Line("     -> ID: " + IdString(l.span_id));
        Line("     -> TraceState: " + l.trace_state);
        Line("     -> DroppedAttributesCount: " + std::to_string(l.dropped_attributes_count));
        Attrs("     -> Attributes:", l.attributes);
      }
    }
  }

  void LogRecord(const pdata::LogRecord& r) {
    Line("ObservedTimestamp: " + GoTimestamp(r.observed_time_unix_nano));
    Line("Timestamp: " + GoTimestamp(r.time_unix_nano));
    Line("SeverityText: " + r.severity_text);
    Line("SeverityNumber: " + std::string(pdata::SeverityNumberName(r.severity_number)) + "(" +
         std::to_string(static_cast<int32_t>(r.severity_number)) + ")");
    if (!r.event_name.empty()) Line("EventName: " + r.event_name);
    Line("Body: " + TypedValue(r.body));
    Attrs("Attributes", r.attributes);
    Line("Trace ID: " + IdString(r.trace_id));
    Line("Span ID: " + IdString(r.span_id));
    Line("Flags: " + std::to_string(r.flags));
  }

  std::string Take() { return std::move(out_); }

 private:
  void Temporality(pdata::AggregationTemporality t) {
    Line("     -> AggregationTemporality: " + std::string(pdata::AggregationTemporalityName(t)));
  }

  std::string out_;
};

}  // namespace

std::string MarshalNormal(const pdata::Metrics& md) {
  std::string out;
  for (size_t i = 0; i < md.resource_metrics.size(); ++i) {
    const auto& rm = md.resource_metrics[i];
    out += "ResourceMetrics #" + std::to_string(i) + ResourceDetails(rm.schema_url) +
           AttributesSuffix(rm.resource.attributes) + "\n";
    for (size_t j = 0; j < rm.scope_metrics.size(); ++j) {
      const auto& sm = rm.scope_metrics[j];
      out += "ScopeMetrics #" + std::to_string(j) + ScopeDetails(sm.scope, sm.schema_url) +
             AttributesSuffix(sm.scope.attributes) + "\n";
      for (const auto& m : sm.metrics) {
        switch (m.type()) {
          case pdata::MetricType::kEmpty:
            break;
          case pdata::MetricType::kGauge:
            NormalNumberPoints(m, std::get<pdata::Gauge>(m.data).data_points, out);
            break;
          case pdata::MetricType::kSum:
            NormalNumberPoints(m, std::get<pdata::Sum>(m.data).data_points, out);
            break;
          case pdata::MetricType::kHistogram:
            NormalHistogram(m, std::get<pdata::Histogram>(m.data), out);
            break;
          case pdata::MetricType::kExponentialHistogram:
            NormalExponentialHistogram(m, std::get<pdata::ExponentialHistogram>(m.data), out);
            break;
          case pdata::MetricType::kSummary:
            NormalSummary(m, std::get<pdata::Summary>(m.data), out);
            break;
        }
      }
    }
  }
  return out;
}

std::string MarshalNormal(const pdata::Traces& td) {
  std::string out;
  for (size_t i = 0; i < td.resource_spans.size(); ++i) {
    const auto& rs = td.resource_spans[i];
    out += "ResourceTraces #" + std::to_string(i) + ResourceDetails(rs.schema_url) +
           AttributesSuffix(rs.resource.attributes) + "\n";
    for (size_t j = 0; j < rs.scope_spans.size(); ++j) {
      const auto& ss = rs.scope_spans[j];
      out += "ScopeTraces #" + std::to_string(j) + ScopeDetails(ss.scope, ss.schema_url) +
             AttributesSuffix(ss.scope.attributes) + "\n";
      for (const auto& span : ss.spans) {
        out += span.name + " " + IdString(span.trace_id) + " " + IdString(span.span_id) +
               AttributesSuffix(span.attributes) + "\n";
      }
    }
  }
  return out;
}

std::string MarshalNormal(const pdata::Logs& ld) {
  std::string out;
  for (size_t i = 0; i < ld.resource_logs.size(); ++i) {
    const auto& rl = ld.resource_logs[i];
    out += "ResourceLog #" + std::to_string(i) + ResourceDetails(rl.schema_url) +
           AttributesSuffix(rl.resource.attributes) + "\n";
    for (size_t j = 0; j < rl.scope_logs.size(); ++j) {
      const auto& sl = rl.scope_logs[j];
      out += "ScopeLog #" + std::to_string(j) + ScopeDetails(sl.scope, sl.schema_url) +
             AttributesSuffix(sl.scope.attributes) + "\n";
      for (const auto& r : sl.log_records) {
        // Upstream separates body and attributes with a space even when there are none.
        out += pdata::AnyValueToString(r.body) + " " + JoinAttributes(r.attributes, " ") + "\n";
      }
    }
  }
  return out;
}

std::string MarshalDetailed(const pdata::Metrics& md) {
  Dump d;
  for (size_t i = 0; i < md.resource_metrics.size(); ++i) {
    const auto& rm = md.resource_metrics[i];
    d.Line("ResourceMetrics #" + std::to_string(i));
    d.Line("Resource SchemaURL: " + rm.schema_url);
    d.Attrs("Resource attributes", rm.resource.attributes);
    for (size_t j = 0; j < rm.scope_metrics.size(); ++j) {
      const auto& sm = rm.scope_metrics[j];
      d.Line("ScopeMetrics #" + std::to_string(j));
      d.Line("ScopeMetrics SchemaURL: " + sm.schema_url);
      d.Scope(sm.scope);
      for (size_t k = 0; k < sm.metrics.size(); ++k) {
        d.Line("Metric #" + std::to_string(k));
        d.Metric(sm.metrics[k]);
      }
    }
  }
  return d.Take();
}

std::string MarshalDetailed(const pdata::Traces& td) {
  Dump d;
  for (size_t i = 0; i < td.resource_spans.size(); ++i) {
    const auto& rs = td.resource_spans[i];
    d.Line("ResourceSpans #" + std::to_string(i));
    d.Line("Resource SchemaURL: " + rs.schema_url);
    d.Attrs("Resource attributes", rs.resource.attributes);
    for (size_t j = 0; j < rs.scope_spans.size(); ++j) {
      const auto& ss = rs.scope_spans[j];
      d.Line("ScopeSpans #" + std::to_string(j));
      d.Line("ScopeSpans SchemaURL: " + ss.schema_url);
      d.Scope(ss.scope);
      for (size_t k = 0; k < ss.spans.size(); ++k) {
        d.Line("Span #" + std::to_string(k));
        d.Span(ss.spans[k]);
      }
    }
  }
  return d.Take();
}

std::string MarshalDetailed(const pdata::Logs& ld) {
  Dump d;
  for (size_t i = 0; i < ld.resource_logs.size(); ++i) {
    const auto& rl = ld.resource_logs[i];
    d.Line("ResourceLog #" + std::to_string(i));
    d.Line("Resource SchemaURL: " + rl.schema_url);
    d.Attrs("Resource attributes", rl.resource.attributes);
    for (size_t j = 0; j < rl.scope_logs.size(); ++j) {
      const auto& sl = rl.scope_logs[j];
      d.Line("ScopeLogs #" + std::to_string(j));
      d.Line("ScopeLogs SchemaURL: " + sl.schema_url);
      d.Scope(sl.scope);
      for (size_t k = 0; k < sl.log_records.size(); ++k) {
        d.Line("LogRecord #" + std::to_string(k));
        d.LogRecord(sl.log_records[k]);
      }
    }
  }
  return d.Take();
}

}  // namespace astrolabe::exporter::debug
