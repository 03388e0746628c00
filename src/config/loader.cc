#include "config/loader.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/strings.h"
#include "config/decoder.h"
#include "config/emit.h"
#include "config/fixups.h"
#include "config/parse.h"

namespace astrolabe::config {
namespace {

constexpr size_t kMaxFileBytes = 64 << 20;

std::string Describe(const Node& n) { return std::string("a ") + std::string(n.KindName()); }

// service.telemetry as upstream's otelconftelemetry accepts it. Only the values Astrolabe
// uses are typed; the other upstream keys are accepted and ignored (Raw).
struct TelemetryLogs {
  std::string level = "info";
  bool development = false;
  std::string encoding = "console";
  bool disable_caller = false;
  bool disable_stacktrace = false;
  std::vector<std::string> output_paths, error_output_paths;
  void Visit(Visitor& v) {
    v.Field("level", level);
    v.Field("development", development);
    v.Field("encoding", encoding);
    v.Field("disable_caller", disable_caller);
    v.Field("disable_stacktrace", disable_stacktrace);
    v.Field("output_paths", output_paths);
    v.Field("error_output_paths", error_output_paths);
    v.Raw("sampling");
    v.Raw("initial_fields");
    v.Raw("processors");
  }
};

struct PrometheusPull {
  std::string host;
  int64_t port = 0;
  void Visit(Visitor& v) {
    v.Field("host", host);
    v.Field("port", port);
    v.Raw("without_units");
    v.Raw("without_type_suffix");
    v.Raw("without_scope_info");
    v.Raw("with_resource_constant_labels");
    v.Raw("translation_strategy");
  }
};

struct PullExporter {
  PrometheusPull prometheus;
  void Visit(Visitor& v) { v.Object("prometheus", prometheus); }
};

struct Pull {
  PullExporter exporter;
  void Visit(Visitor& v) { v.Object("exporter", exporter); }
};

struct Reader {
  Pull pull;
  void Visit(Visitor& v) {
    v.Object("pull", pull);
    v.Raw("periodic");
  }
};

struct TelemetryMetrics {
  std::string level = "normal";
  std::string address;
  std::vector<Reader> readers;
  void Visit(Visitor& v) {
    v.Field("level", level);
    v.Field("address", address);
    v.List("readers", readers);
    v.Raw("views");
  }
};

struct Telemetry {
  TelemetryLogs logs;
  TelemetryMetrics metrics;
  void Visit(Visitor& v) {
    v.Object("logs", logs);
    v.Object("metrics", metrics);
    v.Raw("traces");
    v.Raw("resource");
  }
};

const Node* FindPath(const Node* n, std::initializer_list<std::string_view> keys) {
  for (auto k : keys) {
    if (n == nullptr) return nullptr;
    n = n->Find(k);
  }
  return n;
}

void DecodeTelemetry(const Node& node, TelemetryConfig& out, Diagnostics& diag) {
  Telemetry t;
  Decode(node, "service.telemetry", t, diag);
  static const std::array<std::string, 7> kLogLevels = {"debug",  "info",  "warn", "error",
                                                        "dpanic", "panic", "fatal"};
  std::string lower = AsciiLower(t.logs.level);
  if (std::find(kLogLevels.begin(), kLogLevels.end(), lower) == kLogLevels.end()) {
    const Node* n = FindPath(&node, {"logs", "level"});
    diag.Error(n ? n->mark() : node.mark(), "service.telemetry.logs.level",
               "unrecognized level: \"" + t.logs.level + "\"");
  } else {
    out.logs_level = lower;
  }
  static const std::array<std::string, 4> kMetricLevels = {"none", "basic", "normal", "detailed"};
  lower = AsciiLower(t.metrics.level);
  if (std::find(kMetricLevels.begin(), kMetricLevels.end(), lower) == kMetricLevels.end()) {
    const Node* n = FindPath(&node, {"metrics", "level"});
    diag.Error(n ? n->mark() : node.mark(), "service.telemetry.metrics.level",
               "unknown metrics level \"" + t.metrics.level + "\"");
  } else {
    out.metrics_level = lower;
  }
  if (!t.metrics.address.empty()) out.metrics_address = t.metrics.address;
  if (!t.metrics.readers.empty()) {
    const PrometheusPull& p = t.metrics.readers.front().pull.exporter.prometheus;
    if (p.port != 0 || !p.host.empty()) {
      std::string host = p.host.empty() ? "localhost" : p.host;
      if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
      out.metrics_address = host + ":" + std::to_string(p.port != 0 ? p.port : 8888);
    }
  }
}

void UnknownKey(const Node& map, const std::string& key, const std::string& path,
                std::span<const std::string> valid, Diagnostics& diag) {
  std::string msg = "unknown key";
  if (auto s = ClosestMatch(key, valid)) {
    msg += " (did you mean " + *s + "?)";
  } else {
    msg += " (valid keys: " + Join(valid, ", ") + ")";
  }
  diag.Error(map.KeyMark(key), path, std::move(msg));
}

void DecodeSection(const Node& root, const std::string& section, std::vector<ComponentEntry>& out,
                   Diagnostics& diag) {
  const Node* n = root.Find(section);
  if (n == nullptr || n->IsNull()) return;
  if (!n->IsMap()) {
    diag.Error(n->mark(), section, "expected a map of component ids, got " + Describe(*n));
    return;
  }
  for (const auto& [key, body] : n->entries()) {
    Mark mark = n->KeyMark(key);
    auto id = ComponentId::Parse(key);
    if (!id.ok()) {
      diag.Error(mark, section + "." + key, id.status().message());
      continue;
    }
    auto dup =
        std::find_if(out.begin(), out.end(), [&](const ComponentEntry& e) { return e.id == *id; });
    if (dup != out.end()) {
      diag.Error(mark, section + "." + key,
                 "duplicate id \"" + id->ToString() + "\" (also at " + dup->mark.ToString() + ")");
      continue;
    }
    out.push_back({*id, mark, body});
  }
}

// A list of component ids (service.extensions, pipeline receivers/processors/exporters).
void DecodeIdList(const Node& n, const std::string& path, std::vector<ComponentId>& ids,
                  std::vector<Mark>& marks, Diagnostics& diag) {
  if (n.IsNull()) return;
  if (!n.IsSequence()) {
    diag.Error(n.mark(), path, "expected a list of component ids, got " + Describe(n));
    return;
  }
  for (size_t i = 0; i < n.items().size(); ++i) {
    const Node& item = n.items()[i];
    std::string item_path = path + "[" + std::to_string(i) + "]";
    if (!item.IsScalar()) {
      diag.Error(item.mark(), item_path, "expected a component id, got " + Describe(item));
      continue;
    }
    auto id = ComponentId::Parse(item.scalar());
    if (!id.ok()) {
      diag.Error(item.mark(), item_path, id.status().message());
      continue;
    }
    ids.push_back(*id);
    marks.push_back(item.mark());
  }
}

bool Has(const std::vector<ComponentEntry>& entries, const ComponentId& id) {
  return std::any_of(entries.begin(), entries.end(),
                     [&](const ComponentEntry& e) { return e.id == id; });
}

void DecodePipelines(const Node& n, ServiceConfig& service, Diagnostics& diag) {
  if (n.IsNull()) return;
  if (!n.IsMap()) {
    diag.Error(n.mark(), "service.pipelines", "expected a map of pipelines, got " + Describe(n));
    return;
  }
  static const std::array<std::string, 3> kKeys = {"receivers", "processors", "exporters"};
  for (const auto& [key, body] : n.entries()) {
    Mark mark = n.KeyMark(key);
    std::string path = "service.pipelines." + key;
    auto id = ComponentId::Parse(key);
    if (!id.ok()) {
      diag.Error(mark, path, id.status().message());
      continue;
    }
    if (id->type != "metrics" && id->type != "traces" && id->type != "logs") {
      diag.Error(mark, path,
                 "unknown signal \"" + id->type + "\" (valid values: [logs metrics traces])");
      continue;
    }
    PipelineConfig p;
    p.id = *id;
    p.mark = mark;
    if (!body.IsNull() && !body.IsMap()) {
      diag.Error(body.mark(), path, "expected a map, got " + Describe(body));
      continue;
    }
    if (body.IsMap()) {
      for (const auto& [k, v] : body.entries()) {
        if (std::find(kKeys.begin(), kKeys.end(), k) == kKeys.end()) {
          UnknownKey(body, k, path + "." + k, kKeys, diag);
        }
      }
      if (const Node* r = body.Find("receivers")) {
        DecodeIdList(*r, path + ".receivers", p.receivers, p.receiver_marks, diag);
      }
      if (const Node* r = body.Find("processors")) {
        DecodeIdList(*r, path + ".processors", p.processors, p.processor_marks, diag);
      }
      if (const Node* r = body.Find("exporters")) {
        DecodeIdList(*r, path + ".exporters", p.exporters, p.exporter_marks, diag);
      }
    }
    service.pipelines.push_back(std::move(p));
  }
}

// otelcol/config.go Validate and service/pipelines/config.go, with upstream's messages.
void Validate(const Node& root, const Config& cfg, const Mark& empty_mark, Diagnostics& diag) {
  auto section_mark = [&](std::string_view key) {
    return root.Find(key) != nullptr ? root.KeyMark(key) : empty_mark;
  };
  if (cfg.receivers.empty() && cfg.connectors.empty()) {
    diag.Error(section_mark("receivers"), "receivers",
               "no receiver configuration specified in config");
  }
  if (cfg.exporters.empty() && cfg.connectors.empty()) {
    diag.Error(section_mark("exporters"), "exporters",
               "no exporter configuration specified in config");
  }
  const ServiceConfig& s = cfg.service;
  for (size_t i = 0; i < s.extensions.size(); ++i) {
    if (!Has(cfg.extensions, s.extensions[i])) {
      diag.Error(
          s.extension_marks[i], "service::extensions",
          "references extension \"" + s.extensions[i].ToString() + "\" which is not configured");
    }
  }
  if (s.pipelines.empty()) {
    const Node* service = root.Find("service");
    Mark mark = section_mark("service");
    if (service != nullptr && service->Find("pipelines") != nullptr) {
      mark = service->KeyMark("pipelines");
    }
    diag.Error(mark, "service::pipelines", "service must have at least one pipeline");
  }
  for (const PipelineConfig& p : s.pipelines) {
    std::string path = "service::pipelines::" + p.id.ToString();
    if (p.receivers.empty()) diag.Error(p.mark, path, "must have at least one receiver");
    if (p.exporters.empty()) diag.Error(p.mark, path, "must have at least one exporter");
    for (size_t i = 0; i < p.receivers.size(); ++i) {
      if (!Has(cfg.receivers, p.receivers[i]) && !Has(cfg.connectors, p.receivers[i])) {
        diag.Error(
            p.receiver_marks[i], path,
            "references receiver \"" + p.receivers[i].ToString() + "\" which is not configured");
      }
    }
    for (size_t i = 0; i < p.processors.size(); ++i) {
      if (!Has(cfg.processors, p.processors[i])) {
        diag.Error(
            p.processor_marks[i], path,
            "references processor \"" + p.processors[i].ToString() + "\" which is not configured");
      }
      if (std::find(p.processors.begin(), p.processors.begin() + static_cast<ptrdiff_t>(i),
                    p.processors[i]) != p.processors.begin() + static_cast<ptrdiff_t>(i)) {
        diag.Error(p.processor_marks[i], path,
                   "references processor \"" + p.processors[i].ToString() + "\" multiple times");
      }
    }
    for (size_t i = 0; i < p.exporters.size(); ++i) {
      if (!Has(cfg.exporters, p.exporters[i]) && !Has(cfg.connectors, p.exporters[i])) {
        diag.Error(
            p.exporter_marks[i], path,
            "references exporter \"" + p.exporters[i].ToString() + "\" which is not configured");
      }
    }
  }
}

std::optional<std::string> ReadFile(const std::string& path, std::string& error) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    error = "cannot read: is a directory";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::string("cannot open: ") + std::strerror(errno);
    return std::nullopt;
  }
  std::string out;
  char buf[1 << 16];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    out.append(buf, static_cast<size_t>(in.gcount()));
    if (out.size() > kMaxFileBytes) {
      error = "file is larger than " + std::to_string(kMaxFileBytes) + " bytes";
      return std::nullopt;
    }
  }
  if (in.bad()) {
    error = "read error";
    return std::nullopt;
  }
  return out;
}

}  // namespace

void MergeInto(Node& dst, const Node& src) {
  if (!dst.IsMap() || !src.IsMap()) {
    dst = src;
    return;
  }
  for (const auto& [key, value] : src.entries()) {
    Node* existing = dst.FindMutable(key);
    if (existing != nullptr && existing->IsMap() && value.IsMap()) {
      MergeInto(*existing, value);
    } else {
      dst.Set(key, value, src.KeyMark(key));
    }
  }
}

Config DecodeConfig(const Node& root, const Mark& empty_mark, Diagnostics& diag) {
  Config cfg;
  cfg.root = root;
  if (root.IsNull() || (root.IsMap() && root.entries().empty())) {
    diag.Error(empty_mark, "", "empty configuration file");
    return cfg;
  }
  if (!root.IsMap()) {
    diag.Error(root.mark(), "", "expected a map at the top level, got " + Describe(root));
    return cfg;
  }
  static const std::array<std::string, 6> kTop = {"receivers",  "processors", "exporters",
                                                  "extensions", "connectors", "service"};
  for (const auto& [key, value] : root.entries()) {
    if (std::find(kTop.begin(), kTop.end(), key) == kTop.end()) {
      UnknownKey(root, key, key, kTop, diag);
    }
  }
  DecodeSection(root, "receivers", cfg.receivers, diag);
  DecodeSection(root, "processors", cfg.processors, diag);
  DecodeSection(root, "exporters", cfg.exporters, diag);
  DecodeSection(root, "extensions", cfg.extensions, diag);
  DecodeSection(root, "connectors", cfg.connectors, diag);

  const Node* service = root.Find("service");
  if (service != nullptr && !service->IsNull() && !service->IsMap()) {
    diag.Error(service->mark(), "service", "expected a map, got " + Describe(*service));
    service = nullptr;
  }
  if (service != nullptr && service->IsMap()) {
    static const std::array<std::string, 3> kService = {"telemetry", "extensions", "pipelines"};
    for (const auto& [key, value] : service->entries()) {
      if (std::find(kService.begin(), kService.end(), key) == kService.end()) {
        UnknownKey(*service, key, "service." + key, kService, diag);
      }
    }
    if (const Node* e = service->Find("extensions")) {
      DecodeIdList(*e, "service.extensions", cfg.service.extensions, cfg.service.extension_marks,
                   diag);
    }
    if (const Node* p = service->Find("pipelines")) DecodePipelines(*p, cfg.service, diag);
    if (const Node* t = service->Find("telemetry")) {
      DecodeTelemetry(*t, cfg.service.telemetry, diag);
    }
  }
  Validate(root, cfg, empty_mark, diag);
  return cfg;
}

LoadResult Load(const LoadOptions& options, Diagnostics& diag) {
  LoadResult result;
  if (options.sources.empty()) {
    diag.Error({}, "", "no configuration given");
    return result;
  }
  std::optional<Node> merged;
  Mark first_mark;
  for (const ConfigSource& src : options.sources) {
    auto file = std::make_shared<const std::string>(src.name);
    if (first_mark.file == nullptr) first_mark = Mark{file, 1, 1};
    std::string text;
    if (src.text) {
      text = *src.text;
    } else {
      std::string error;
      std::optional<std::string> read = ReadFile(src.name, error);
      if (!read) {
        diag.Error(Mark{file, 0, 0}, "", error);
        continue;
      }
      text = std::move(*read);
    }

    Diagnostics slips;
    bool text_fixed = false, tree_fixed = false;
    if (options.fix_slips) text_fixed = FixNbspIndentation(text, file, slips);
    ParseOptions popts{file, {}};
    Diagnostics parse_errors;
    std::optional<Node> node = ParseYaml(text, popts, parse_errors);
    if (!node && options.fix_slips && FixOverIndentation(text, &popts, slips)) {
      text_fixed = true;
      parse_errors = Diagnostics();
      node = ParseYaml(text, popts, parse_errors);
    }
    if (node && options.fix_slips) {
      tree_fixed |= FixNestedTargets(*node, slips);
      tree_fixed |= FixBarePipelines(*node, slips);
    }
    std::vector<Diagnostic> warnings = slips.warnings();
    std::stable_sort(warnings.begin(), warnings.end(),
                     [](const Diagnostic& a, const Diagnostic& b) {
                       return a.mark.line < b.mark.line ||
                              (a.mark.line == b.mark.line && a.mark.column < b.mark.column);
                     });
    for (auto& w : warnings) diag.Warning(w.mark, w.path, w.message, w.detail);
    if (!node) {
      diag.Merge(parse_errors);
      continue;
    }
    if (tree_fixed) {
      result.fixed.push_back({src.name, Emit(*node)});
    } else if (text_fixed) {
      result.fixed.push_back({src.name, text});
    }
    if (!merged || merged->IsNull()) {
      merged = std::move(*node);
    } else if (!node->IsNull()) {
      MergeInto(*merged, *node);
    }
  }
  if (!diag.has_errors()) {
    Node root = merged ? std::move(*merged) : Node::Null(first_mark);
    Expand(root, options.env, diag);
    result.config = DecodeConfig(root, first_mark, diag);
  }
  result.warnings = diag.warnings();
  return result;
}

Result<LoadResult> Load(const LoadOptions& options) {
  Diagnostics diag;
  LoadResult result = Load(options, diag);
  if (diag.has_errors()) return diag.ToStatus();
  return result;
}

}  // namespace astrolabe::config
