#include "app/server_config.h"

#include <algorithm>
#include <string_view>

#include "common/strings.h"
#include "component/resolve.h"
#include "config/node.h"
#include "extension/api/config.h"
#include "exporter/store/config.h"
#include "extension/token_auth/config.h"
#include "receiver/prometheus_remote_write/config.h"

namespace astrolabe::app {
namespace {

// ---------------------------------------------------------------------------------------
// The built-in pipeline: one row per component. Adding one to the server is one row here
// (plus, when a flag sets one of its keys, one row in kFlagKeys).
//   section  extensions | receivers | processors | exporters
//   signals  the pipelines it joins, in table order ("" for extensions)
//   body     a YAML flow map; `{auth}` becomes `auth: {authenticator: token_auth}` (or
//            nothing under --auth none)
//   tokens   only when the server checks tokens (the authenticator itself)
struct BuiltinComponent {
  std::string_view section;
  std::string_view id;
  std::string_view signals;
  std::string_view body;
  bool tokens = false;
};

constexpr BuiltinComponent kBuiltins[] = {
    {"extensions", "health_check", "", "{}"},
    {"extensions", "token_auth", "", "{}", /*tokens=*/true},
    // The store before the api: extensions start in this order, and the API reads the store.
    {"extensions", "store", "", "{}"},  // <data>/tsdb (metrics) and <data>/spans
    {"extensions", "api", "", "{{auth}}"},
    {"receivers", "otlp", "metrics,traces,logs", "{protocols: {http: {{auth}}, grpc: {{auth}}}}"},
    // /api/v1/write on the OTLP/HTTP port (the two share one listener; see kFlagKeys).
    {"receivers", "prometheus_remote_write", "metrics", "{{auth}}"},
    // Only synchronous processors (the rows below, in pipeline order): the receivers answer
    // 2xx only once the store exporter has committed (fsynced) the request. A batch processor
    // would answer on enqueue and lose acknowledged data on kill -9
    // (tests/server_kill_drill_test.cc); the WAL and the span store group-commit concurrent
    // requests instead.
    // GenAI spans and message events get the canonical attributes and their cost before the
    // store indexes them (synchronous: the answer still waits for the store's commit).
    {"processors", "genai", "traces,logs", "{}"},
    // redaction: prompts and completions are stored with personal data and secrets
    // replaced by [REDACTED:<kind>] (docs/redaction.md). It belongs right after `genai`.
    {"processors", "redaction", "traces,logs", "{mode: redact}"},
    // genaimetrics: token, duration, cost and request metrics from LLM-call spans, sent
    // every flush interval to the traces pipeline's exporter (the store) as deltas
    // (docs/genai-metrics.md).
    {"processors", "genaimetrics", "traces", "{}"},
    {"exporters", "store", "metrics,traces,logs", "{}"},
};

enum class Flag { kData, kHttp, kOtlpHttp, kOtlpGrpc, kHealth };

// Where each flag lands: `path` is section.id.key..., the value is the flag's (or its
// default) followed by `suffix`.
struct FlagKey {
  Flag flag;
  std::string_view path;
  std::string_view suffix;
};

constexpr FlagKey kFlagKeys[] = {
    {Flag::kOtlpHttp, "receivers.otlp.protocols.http.endpoint", ""},
    {Flag::kOtlpHttp, "receivers.prometheus_remote_write.endpoint", ""},
    {Flag::kOtlpGrpc, "receivers.otlp.protocols.grpc.endpoint", ""},
    {Flag::kHealth, "extensions.health_check.endpoint", ""},
    {Flag::kHttp, "extensions.api.endpoint", ""},
    {Flag::kData, "extensions.token_auth.tokens_file", "/tokens.json"},
    {Flag::kData, "extensions.api.tokens_file", "/tokens.json"},
    {Flag::kData, "extensions.store.directory", ""},
};

constexpr std::string_view kAuth = "auth: {authenticator: token_auth}";
constexpr std::string_view kSignals[] = {"metrics", "traces", "logs"};
// ---------------------------------------------------------------------------------------

const char* FlagName(Flag f) {
  switch (f) {
    case Flag::kData:
      return "--data";
    case Flag::kHttp:
      return "--http";
    case Flag::kOtlpHttp:
      return "--otlp-http";
    case Flag::kOtlpGrpc:
      return "--otlp-grpc";
    case Flag::kHealth:
      return "--health";
  }
  return "";
}

const std::optional<std::string>& FlagValue(const ServerFlags& flags, Flag f) {
  switch (f) {
    case Flag::kData:
      return flags.data_dir;
    case Flag::kHttp:
      return flags.http;
    case Flag::kOtlpHttp:
      return flags.otlp_http;
    case Flag::kOtlpGrpc:
      return flags.otlp_grpc;
    case Flag::kHealth:
      return flags.health;
  }
  return flags.data_dir;
}

std::string FlagDefault(Flag f) {
  switch (f) {
    case Flag::kData:
      return kDefaultDataDir;
    case Flag::kHttp:
      return kDefaultHttp;
    case Flag::kOtlpHttp:
      return kDefaultOtlpHttp;
    case Flag::kOtlpGrpc:
      return kDefaultOtlpGrpc;
    case Flag::kHealth:
      return kDefaultHealth;
  }
  return "";
}

// A YAML double-quoted scalar whose value survives env expansion unchanged ($ → $$).
std::string Quote(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '$') out += '$';
    out += c;
  }
  out += '"';
  return out;
}

bool Active(const BuiltinComponent& c, bool auth_none) { return !(c.tokens && auth_none); }

bool ActiveId(std::string_view section, std::string_view id, bool auth_none) {
  for (const auto& c : kBuiltins) {
    if (c.section == section && c.id == id) return Active(c, auth_none);
  }
  return false;
}

std::string ReplaceAll(std::string s, std::string_view from, std::string_view to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

std::string BuiltinYaml(bool auth_none) {
  std::string out = "# The built-in pipeline of `astrolabe server` (src/app/server_config.cc).\n";
  for (std::string_view section : {"extensions", "receivers", "processors", "exporters"}) {
    std::string entries;
    for (const auto& c : kBuiltins) {
      if (c.section != section || !Active(c, auth_none)) continue;
      std::string body = ReplaceAll(std::string(c.body), "{auth}", auth_none ? "" : kAuth);
      entries += "  " + std::string(c.id) + ": " + body + "\n";
    }
    if (!entries.empty()) out += std::string(section) + ":\n" + entries;
  }
  auto list = [&](std::string_view section, std::string_view signal) {
    std::string ids;
    for (const auto& c : kBuiltins) {
      if (c.section != section || !Active(c, auth_none)) continue;
      if (!signal.empty()) {
        bool joins = false;
        for (std::string_view s : Split(c.signals, ',')) joins |= s == signal;
        if (!joins) continue;
      }
      ids += (ids.empty() ? "" : ", ") + std::string(c.id);
    }
    return "[" + ids + "]";
  };
  out += "service:\n  extensions: " + list("extensions", "") + "\n  pipelines:\n";
  for (std::string_view signal : kSignals) {
    out += "    " + std::string(signal) + ":\n";
    out += "      receivers: " + list("receivers", signal) + "\n";
    if (list("processors", signal) != "[]") {
      out += "      processors: " + list("processors", signal) + "\n";
    }
    out += "      exporters: " + list("exporters", signal) + "\n";
  }
  // Own metrics are served by the api extension at <--http>/metrics; a second port (the
  // collector's 8888) would clash with a collector on the same host. A config file may set
  // the level back to turn it on.
  out += "  telemetry:\n    metrics:\n      level: none\n";
  return out;
}

// {a: {b: {c: "value"}}} for the path a.b.c.
std::string NestedYaml(std::string_view path, const std::string& value) {
  std::string open, close;
  for (std::string_view part : Split(path, '.')) {
    open += "{" + std::string(part) + ": ";
    close += "}";
  }
  return open + Quote(value) + close + "\n";
}

// Every map under `node` that has an `endpoint` key, with the key path to it.
void FindListeners(const config::Node& node, const std::string& path,
                   std::vector<std::pair<std::string, const config::Node*>>& out) {
  if (!node.IsMap()) return;
  if (node.Find("endpoint") != nullptr) out.emplace_back(path, &node);
  for (const auto& [key, child] : node.entries()) {
    FindListeners(child, path.empty() ? key : path + "::" + key, out);
  }
}

}  // namespace

std::vector<config::ConfigSource> ServerConfigSources(const ServerFlags& flags,
                                                      const std::vector<std::string>& files) {
  std::vector<config::ConfigSource> sources;
  sources.push_back(
      config::ConfigSource::Memory("built-in server config", BuiltinYaml(flags.auth_none)));
  auto flag_sources = [&](bool given_only) {
    for (const FlagKey& k : kFlagKeys) {
      const std::vector<std::string_view> parts = Split(k.path, '.');
      if (!ActiveId(parts[0], parts[1], flags.auth_none)) continue;
      const auto& value = FlagValue(flags, k.flag);
      if (given_only && !value) continue;
      std::string v = value.value_or(FlagDefault(k.flag));
      if (!k.suffix.empty()) {
        while (v.size() > 1 && v.back() == '/') v.pop_back();
        v += k.suffix;
      }
      sources.push_back(config::ConfigSource::Memory(
          given_only ? FlagName(k.flag) : "built-in server config", NestedYaml(k.path, v)));
    }
  };
  flag_sources(false);
  for (const auto& f : files) sources.push_back(config::ConfigSource::File(f));
  flag_sources(true);
  return sources;
}

Status CheckServerConfig(const LoadedConfig& loaded, bool auth_none) {
  const config::Node tree = component::Encode(loaded.resolved);
  std::vector<std::string> problems;
  for (std::string_view section : {"receivers", "extensions"}) {
    const config::Node* components = tree.Find(section);
    if (components == nullptr || !components->IsMap()) continue;
    for (const auto& [id, body] : components->entries()) {
      std::vector<std::pair<std::string, const config::Node*>> listeners;
      FindListeners(body, "", listeners);
      const std::string type = id.substr(0, id.find('/'));
      for (const auto& [path, listener] : listeners) {
        const std::string where =
            std::string(section) + "::" + id + (path.empty() ? "" : "::" + path);
        const config::Node* endpoint = listener->Find("endpoint");
        const std::string address = endpoint->IsScalar() ? endpoint->scalar() : "";
        if (auth_none) {
          if (!extension::api::IsLoopbackEndpoint(address)) {
            problems.push_back(where + ": endpoint \"" + address +
                               "\" is not a loopback address; --auth none is allowed only when "
                               "every listener is on localhost (127.0.0.1, [::1]). Bind it to "
                               "localhost, or drop --auth none and use API tokens");
          }
          continue;
        }
        const bool needs_auth = section == "receivers" || type == "api";
        const config::Node* auth = listener->Find("auth");
        if (needs_auth && (auth == nullptr || !auth->IsMap())) {
          problems.push_back(where +
                             ": has no auth, and the server requires API tokens on "
                             "every ingest and API listener: add `auth: {authenticator: "
                             "token_auth}` there, or run with --auth none (loopback only)");
        }
      }
    }
  }
  if (problems.empty()) return Status::Ok();
  std::string message = "the server refuses this configuration:";
  for (const auto& p : problems) message += "\n  " + p;
  return InvalidArgument(message);
}

std::vector<std::string> WireRemoteWriteToStore(LoadedConfig& loaded) {
  std::vector<std::string> lines;
  component::ResolvedConfig& resolved = loaded.resolved;
  // The store extensions the service runs (for an exporter that names none).
  std::vector<config::ComponentId> stores;
  for (const config::ComponentId& id : resolved.service.extensions) {
    if (id.type == "store") stores.push_back(id);
  }
  for (component::ResolvedComponent& rc : resolved.receivers) {
    if (rc.id.type != "prometheus_remote_write") continue;
    auto& cfg = static_cast<receiver::prometheus_remote_write::Config&>(*rc.config);
    if (!cfg.store.empty()) continue;  // set by the config: its choice
    std::string store;  // the one store extension every pipeline of the receiver ends in
    std::string why;    // why not, when it does not
    bool in_pipeline = false;
    for (const config::PipelineConfig& p : resolved.service.pipelines) {
      if (p.id.type != "metrics") continue;
      if (std::find(p.receivers.begin(), p.receivers.end(), rc.id) == p.receivers.end()) continue;
      in_pipeline = true;
      for (const config::ComponentId& proc : p.processors) {
        if (proc.type != "batch" && why.empty()) {
          why = "pipeline " + p.id.ToString() + " has processor " + proc.ToString();
        }
      }
      for (const config::ComponentId& exp : p.exporters) {
        if (exp.type != "store") {
          if (why.empty()) why = "pipeline " + p.id.ToString() + " exports to " + exp.ToString();
          continue;
        }
        const component::ResolvedComponent* e = resolved.Find(component::Kind::kExporter, exp);
        std::string target;
        if (e != nullptr) target = static_cast<const exporter::store::Config&>(*e->config).store;
        if (target.empty() && stores.size() == 1) target = stores.front().ToString();
        if (target.empty()) {
          if (why.empty()) why = "exporter " + exp.ToString() + " names no single store";
        } else if (store.empty()) {
          store = target;
        } else if (store != target && why.empty()) {
          why = "its pipelines write to two stores (" + store + ", " + target + ")";
        }
      }
    }
    if (!in_pipeline) continue;
    if (why.empty() && !store.empty()) {
      cfg.store = store;
      lines.push_back("receiver " + rc.id.ToString() + " writes remote write straight into " +
                      "extension " + store + " (its pipelines export only to it, through no processor but batch)");
    } else {
      lines.push_back("receiver " + rc.id.ToString() + " sends remote write through its " +
                      "pipelines: " + (why.empty() ? "no store exporter" : why));
    }
  }
  return lines;
}

std::string TokensFileOf(const LoadedConfig& loaded) {
  for (const auto& ext : loaded.resolved.extensions) {
    if (ext.id.type != "token_auth") continue;
    return static_cast<const extension::token_auth::Config&>(*ext.config).tokens_file;
  }
  return "";
}

}  // namespace astrolabe::app
